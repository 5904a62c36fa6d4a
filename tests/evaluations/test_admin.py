"""The unit console's evaluation pages: the scheme adjusted through the service until the
evaluation opens, the panels (who has not voted, never how), the scores as they may be shown,
and no page at all for tokens, rights or ballots."""
from __future__ import annotations

from datetime import timedelta

from evaluations import services
from evaluations.models import BallotBox, BallotRight, BallotToken, Evaluation, PublicBallot
from evaluations.tallies import scores_apply_pending
from pledges.models import Round
from tenants.admin_sites import unit_admin_site
from tenants.organization.caller import Caller
from tenants.organization.models import Member, Organization
from tenants.services import unit_run
from tests.conftest import console_client
from tests.evaluations.support import evaluation_open_today, members_in
from tests.pledges.support import TODAY, round_dates, who

BASE = "/u/unit-a/admin/evaluations"


def _scheme_form(evaluation: Evaluation, **changes) -> dict:
    data = {f"member_{m}": w for m, w in evaluation.member_weights.items()}
    data.update({f"leader_{m}": w for m, w in evaluation.leader_weights.items()})
    data.update({"scale_lines": "\n".join(f"{g['label']}, {g['code']}, {g['points']}, {g['threshold']}" for g in evaluation.scale),
                 "missing": evaluation.missing, "public_quorum_percent": evaluation.public_quorum_percent})
    data.update(changes)
    return data


def test_the_unit_admin_adjusts_the_scheme_in_the_console_until_it_opens(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = services.evaluation_prepare(round=Round.objects.get(pk=A.round_id), who=who(A.admin, admin=True))
    console = console_client(A.admin)
    page = console.get(f"{BASE}/evaluation/{evaluation.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200 and "综合得分 = 党员互评×30%" in text and "满意, satisfied, 100, 90" in text
    saved = console.post(f"{BASE}/evaluation/{evaluation.pk}/change/", _scheme_form(evaluation, member_peer=40, member_public=20,
                                                                                     scale_lines="好, good, 100, 90\n较好, fair, 80, 75\n差, poor, 0, 0"))
    assert saved.status_code == 302
    with unit_run(A.unit):
        evaluation.refresh_from_db()
        assert evaluation.member_weights["peer"] == 40 and [g["label"] for g in evaluation.scale] == ["好", "较好", "差"]
    refused = console.post(f"{BASE}/evaluation/{evaluation.pk}/change/", _scheme_form(evaluation, scale_lines="好, good, 100, 90"))
    assert refused.status_code == 200 and "errornote" in refused.content.decode()  # one grade cannot score
    with unit_run(A.unit):
        Round.objects.filter(pk=A.round_id).update(evaluate_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=20))
    fixed = console.post(f"{BASE}/evaluation/{evaluation.pk}/change/", _scheme_form(evaluation, member_peer=10))
    assert fixed.status_code == 200 and "后方案不能再改" in fixed.content.decode()
    with unit_run(A.unit):
        evaluation.refresh_from_db()
        assert evaluation.member_weights["peer"] == 40
        Round.objects.filter(pk=A.round_id).update(**{k: v for k, v in round_dates().items() if k in ("evaluate_on", "ends_on")})


def test_the_console_shows_who_has_not_voted_and_scores_as_they_may_be_shown(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        services.rights_issue(evaluation=evaluation)
        services.member_ballot_cast(evaluation=evaluation, who=who(A.secretary), method="peer", grades={me.pk: "satisfied"})
        issued = services.panel_register(evaluation=evaluation, branch=Organization.objects.get(pk=A.branch_id), who=who(A.secretary),
                                         people=[("王大爷", "served"), ("李阿姨", "served")])
        services.ballot_cast(secret=issued[0][1], grades={me.pk: "satisfied"})
        scores_apply_pending(evaluation_id=evaluation.pk)
    console = console_client(A.admin)
    panel = console.get(f"{BASE}/panelmember/").content.decode()
    assert "王大爷" in panel and "李阿姨" in panel and panel.count("icon-yes") == 1 and panel.count("icon-no") == 1
    scores = console.get(f"{BASE}/memberscore/").content.decode()
    assert "A Member" in scores and "结果公布后显示" in scores  # not final, and one peer and one public grade: the score waits
    assert "（100.0）" not in scores  # nor the means of one grade each


def test_tokens_rights_and_ballots_have_no_console_page():
    registered = {model for model in unit_admin_site._registry}
    assert not registered & {BallotToken, BallotRight, PublicBallot, BallotBox}
