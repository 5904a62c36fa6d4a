"""Members evaluate each other (互评), leaders review (领导点评), the organisation assesses (组织考评)
and everyone writes a self-evaluation (自评、述职): over the API as a phone uses it, each step
only in its phase, never of oneself, and peer ballots as anonymous as public ones."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from evaluations import services
from evaluations.models import BallotBox, BallotRight, MemberScore, Publication, Review, SelfAssessment
from evaluations.results import results_publish
from evaluations.tallies import scores_apply_pending
from pledges.models import PledgeItem, Round
from tenants.organization.caller import Caller
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url
from tests.evaluations.support import evaluation_open_today, members_in
from tests.pledges.support import TODAY, who


def _path(w, rest: str = "") -> str:
    return unit_url(w, f"rounds/{w.round_id}/evaluation/{rest}")


def test_a_member_grades_the_others_of_their_branch_once_and_never_themselves(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        secretary = Member.objects.get(user_id=A.secretary.pk)
    phone = api_client_for(A.member)
    listed = phone.get(_path(A, "ballots/"))
    assert listed.status_code == 200
    [ballot] = listed.json()
    assert ballot["method"] == "peer" and [m["id"] for m in ballot["members"]] == [secretary.pk]  # not me

    graded_self = phone.post(_path(A, "ballots/peer/"), {"grades": {str(me.pk): "satisfied", str(secretary.pk): "satisfied"}}, format="json")
    assert graded_self.status_code == 400 and graded_self.json()["error"]["fields"]["grades"] == ["不能给自己评价，请去掉自己。"]
    off_scale = phone.post(_path(A, "ballots/peer/"), {"grades": {str(secretary.pk): "excellent"}}, format="json")
    assert off_scale.status_code == 400 and "满意" in str(off_scale.json())
    with unit_run(A.unit):
        assert not BallotBox.objects.exists() and BallotRight.objects.filter(voter=me).exists()  # nothing changed

    cast = phone.post(_path(A, "ballots/peer/"), {"grades": {str(secretary.pk): "fairly_satisfied"}}, format="json")
    assert cast.status_code == 201 and cast.json() == {"method": "peer", "cast_on": TODAY.isoformat()}
    again = phone.post(_path(A, "ballots/peer/"), {"grades": {str(secretary.pk): "satisfied"}}, format="json")
    assert again.status_code == 409
    assert phone.get(_path(A, "ballots/")).json() == []
    with unit_run(A.unit):
        # Counted, not kept: the box holds how many of each grade the secretary got, nothing of the ballot.
        assert list(BallotBox.objects.values_list("subject_id", "grade", "count")) == [(secretary.pk, "fairly_satisfied", 1)]
        assert not BallotRight.objects.filter(voter=me).exists()


def test_no_ballot_before_the_evaluation_opens(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        Round.objects.filter(pk=A.round_id).update(evaluate_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=30))
        secretary = Member.objects.get(user_id=A.secretary.pk)
    assert api_client_for(A.member).get(_path(A, "ballots/")).json() == []  # no rights before it opens
    early = api_client_for(A.member).post(_path(A, "ballots/peer/"), {"grades": {str(secretary.pk): "satisfied"}}, format="json")
    assert early.status_code == 409 and "评" in early.json()["error"]["message"]
    with unit_run(A.unit):
        assert not BallotRight.objects.filter(evaluation=evaluation).exists() and not BallotBox.objects.exists()


def test_the_leading_team_grades_each_other_and_counts_in_the_leaders_scheme(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        leaders = members_in(A, A.branch2_id, 3, tier="township_leader", prefix="领导")
        services.rights_issue(evaluation=evaluation)
        assert set(BallotRight.objects.filter(method="team").values_list("voter_id", flat=True)) == {m.pk for m in leaders}
        for voter in leaders:
            others = {m.pk: "satisfied" for m in leaders if m != voter}
            services.member_ballot_cast(evaluation=evaluation, who=Caller(user_id=None, member=voter), method="team", grades=others)
        scores_apply_pending(evaluation_id=evaluation.pk)
        row = MemberScore.objects.get(evaluation=evaluation, member=leaders[0])
        assert row.is_leader and row.tallies == {"team": {"satisfied": 2}}
        # Team only (weight 20 of 三评's 40/40/20): renormalised, the score is the team's mean.
        assert str(row.score) == "100.0" and row.grade == "satisfied"


def test_the_secretary_reviews_members_of_their_branch_and_the_unit_admin_assesses(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        secretary = Member.objects.get(user_id=A.secretary.pk)
        other = Member.objects.get(user_id=A.other_member.pk)
    secretary_phone = api_client_for(A.secretary)
    review = {"subject": me.pk, "method": "leader", "grade": "satisfied", "comment": "工作扎实"}
    made = secretary_phone.post(_path(A, "reviews/"), review, format="json")
    assert made.status_code == 201
    assert made.json()["reviewer_name"] == secretary.name and made.json()["stage"] == "year_end"
    revised = secretary_phone.post(_path(A, "reviews/"), {**review, "grade": "fairly_satisfied"}, format="json")
    assert revised.status_code == 201 and revised.json()["id"] == made.json()["id"] and revised.json()["grade"] == "fairly_satisfied"
    # Not of themselves, not of another branch's member, and a member reviews nobody.
    assert secretary_phone.post(_path(A, "reviews/"), {**review, "subject": secretary.pk}, format="json").status_code in (400, 403)
    assert secretary_phone.post(_path(A, "reviews/"), {**review, "subject": other.pk}, format="json").status_code == 403
    assert api_client_for(A.member).post(_path(A, "reviews/"), {**review, "subject": secretary.pk}, format="json").status_code == 403
    # Only unit admins record the organisation's assessment.
    assert secretary_phone.post(_path(A, "reviews/"), {**review, "method": "organisation"}, format="json").status_code == 403
    assessed = api_client_for(A.admin).post(_path(A, "reviews/"), {**review, "method": "organisation", "grade": "satisfied"}, format="json")
    assert assessed.status_code == 201
    # The member reads what was said of them, signed.
    mine = api_client_for(A.member).get(_path(A, "reviews/")).json()
    assert {(r["method"], r["grade"]) for r in mine} == {("leader", "fairly_satisfied"), ("organisation", "satisfied")}
    assert api_client_for(A.other_member).get(_path(A, "reviews/")).json() == []


def test_an_interim_review_is_written_mid_year_and_never_scored(world, db):
    A = world["A"]  # the world's round is in its fulfil phase
    with unit_run(A.unit):
        services.evaluation_prepare(round=Round.objects.get(pk=A.round_id), who=who(A.admin, admin=True))
        me = Member.objects.get(user_id=A.member.pk)
    interim = api_client_for(A.secretary).post(_path(A, "reviews/"), {"subject": me.pk, "method": "leader", "stage": "interim",
                                                                      "grade": "basically_satisfied", "comment": "下半年加把劲"}, format="json")
    assert interim.status_code == 201
    year_end = api_client_for(A.secretary).post(_path(A, "reviews/"), {"subject": me.pk, "method": "leader", "grade": "satisfied"}, format="json")
    assert year_end.status_code == 409  # the year-end review waits for the evaluation
    with unit_run(A.unit):
        [stored] = Review.objects.all()
        assert stored.applied_grade == stored.grade  # nothing pending for the tallies
        assert scores_apply_pending(evaluation_id=stored.evaluation_id) == 0


def test_a_member_writes_a_self_evaluation_on_their_own_items_only(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation_open_today(A)
        mine = list(PledgeItem.objects.filter(pledge__member__user_id=A.member.pk).values_list("pk", flat=True))
        others = list(PledgeItem.objects.exclude(pledge__member__user_id=A.member.pk).values_list("pk", flat=True))
    phone = api_client_for(A.member)
    assert phone.get(_path(A, "self/")).status_code == 404
    body = {"grade": "fairly_satisfied", "report": "一年来走访了全部农户。", "item_notes": {str(mine[0]): "已完成"}}
    written = phone.put(_path(A, "self/"), body, format="json")
    assert written.status_code == 200 and written.json()["item_notes"] == {str(mine[0]): "已完成"}
    if others:
        foreign = phone.put(_path(A, "self/"), {**body, "item_notes": {str(others[0]): "代写"}}, format="json")
        assert foreign.status_code == 400
    bad = phone.put(_path(A, "self/"), {**body, "grade": "A+"}, format="json")
    assert bad.status_code == 400
    assert phone.get(_path(A, "self/")).json()["grade"] == "fairly_satisfied"
    with unit_run(A.unit):
        assert SelfAssessment.objects.count() == 1


def test_the_secretary_writes_the_branch_report_its_members_read(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation_open_today(A)
    path = _path(A, f"branches/{A.branch_id}/report/")
    assert api_client_for(A.member).put(path, {"text": "冒名"}, format="json").status_code == 403
    written = api_client_for(A.secretary).put(path, {"text": "支部全年开展主题党日12次。"}, format="json")
    assert written.status_code == 200
    read = api_client_for(A.member).get(path)
    assert read.status_code == 200 and read.json()["text"] == "支部全年开展主题党日12次。"
    assert api_client_for(A.other_member).get(path).status_code == 403  # another branch's member


def test_scores_show_the_formula_and_hide_components_of_fewer_than_three_anonymous_grades(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        secretary = Member.objects.get(user_id=A.secretary.pk)
        other = Member.objects.get(user_id=A.other_member.pk)
        colleagues = members_in(A, A.branch_id, 2, prefix="同事")
        services.rights_issue(evaluation=evaluation)
        services.member_ballot_cast(evaluation=evaluation, who=who(A.secretary), method="peer", grades={me.pk: "satisfied"})
        services.review_record(evaluation=evaluation, who=who(A.secretary), subject=me, method="leader", stage="year_end", grade="fairly_satisfied")
        scores_apply_pending(evaluation_id=evaluation.pk)
    [mine] = api_client_for(A.member).get(_path(A, "scores/")).json()
    assert mine["member"]["id"] == me.pk and "党员互评×30%" in mine["formula"]
    parts = {c["method"]: c for c in mine["components"]}
    # While the evaluation is open nothing of the anonymous kinds shows per member (each ballot would
    # show as the change it made); the signed leader review does.
    assert parts["peer"]["count"] is None and parts["peer"]["mean"] is None and parts["leader"]["mean"] == "80.0"
    assert mine["score"] is None and mine["grade"] == "" and mine["withheld"] is True
    # Nor do the branch's or the unit's figures give the one peer grade away: the member is left out of them.
    early = api_client_for(A.admin).get(_path(A, "figures/")).json()
    assert early["unit"]["withheld"] == 1 and early["unit"]["scored"] == 0 and early["unit"]["mean_score"] is None
    assert all(b["withheld"] == 1 and b["scored"] == 0 for b in early["branches"] if b["branch"]["id"] == A.branch_id)
    with unit_run(A.unit):
        results_publish(evaluation=evaluation, who=who(A.admin, admin=True), scope="branch")
    [mine] = api_client_for(A.member).get(_path(A, "scores/")).json()
    parts = {c["method"]: c for c in mine["components"]}
    # Final now, but one colleague's vote is still not shown, nor the score that would give it away.
    assert parts["peer"]["count"] == 1 and parts["peer"]["mean"] is None and mine["withheld"] is True
    with unit_run(A.unit):
        Publication.objects.all().delete()  # reopened, for the test: two more colleagues vote
        for colleague in colleagues:
            services.member_ballot_cast(evaluation=evaluation, who=Caller(user_id=None, member=colleague), method="peer",
                                        grades={me.pk: "satisfied"})
        scores_apply_pending(evaluation_id=evaluation.pk)
        results_publish(evaluation=evaluation, who=who(A.admin, admin=True), scope="branch")
    [mine] = api_client_for(A.member).get(_path(A, "scores/")).json()
    # Renormalised over what is present: peer 100 ×30 + leader 80 ×20 over 50.
    assert mine["withheld"] is False and mine["score"] == "92.0" and mine["grade"] == "satisfied"
    assert {c["method"]: c["mean"] for c in mine["components"]}["peer"] == "100.0"
    # The secretary graded the member too: of 3 grades, theirs taken away leaves two they could read
    # off the mean, so for them it takes a fourth.
    as_secretary = next(r for r in api_client_for(A.secretary).get(_path(A, "scores/")).json() if r["member"]["id"] == me.pk)
    assert {c["method"]: c["mean"] for c in as_secretary["components"]}["peer"] is None and as_secretary["withheld"] is True
    with unit_run(A.unit):  # published: the evaluation is closed
        late = members_in(A, A.branch_id, 1, prefix="迟到")[0]
        with pytest.raises(ValidationError):
            services.review_record(evaluation=evaluation, who=who(A.secretary), subject=late, method="leader", stage="year_end", grade="satisfied")
    # The secretary sees their branch; another branch's member sees only themselves.
    assert {r["member"]["id"] for r in api_client_for(A.secretary).get(_path(A, "scores/")).json()} >= {me.pk, secretary.pk}
    assert [r["member"]["id"] for r in api_client_for(A.other_member).get(_path(A, "scores/")).json()] == [other.pk]
    figures = api_client_for(A.admin).get(_path(A, "figures/")).json()
    assert figures["unit"]["scored"] == 1 and figures["unit"]["grades"]["satisfied"] == 1 and figures["unit"]["withheld"] == 0
    assert figures["unit"]["mean_score"] == "92.0"
    assert api_client_for(A.member).get(_path(A, "figures/")).status_code == 403


def test_scores_figures_and_ballots_take_as_many_queries_for_many_members_as_for_few(world, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
    paths = [(A.admin, "scores/"), (A.admin, "figures/"), (A.member, "ballots/"), (A.secretary, "reviews/")]

    def counts():
        out = []
        for user, rest in paths:
            client = api_client_for(user)
            client.get(_path(A, rest))  # warm: the rights are issued on the first look
            with CaptureQueriesContext(connection) as captured:
                assert client.get(_path(A, rest)).status_code == 200
            out.append(len(captured))
        return out

    with unit_run(A.unit):
        services.rights_issue(evaluation=evaluation)
    few = counts()
    with unit_run(A.unit):
        many = members_in(A, A.branch_id, 12)
        MemberScore.objects.bulk_create([MemberScore(evaluation=evaluation, member=m, branch_id=A.branch_id,
                                                     tallies={"public": {"satisfied": 3}}, score=100, grade="satisfied") for m in many])
        for m in many:
            services.review_record(evaluation=evaluation, who=who(A.secretary), subject=m, method="leader", stage="year_end", grade="satisfied")
    assert counts() == few


def test_everyone_with_a_login_hears_once_that_the_evaluation_is_open(world, db):
    from notifications.models import Notice

    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        assert services.rights_issue(evaluation=evaluation) is True
        assert services.rights_issue(evaluation=evaluation) is False  # once
        [message] = Notice.objects.filter(dedupe_key=f"evaluation-open:{evaluation.pk}")
        assert set(message.audience["user_ids"]) == {A.member.pk, A.secretary.pk, A.other_member.pk}
        assert "评诺" in message.title and "匿名" in message.body


def test_a_branch_secretary_is_reviewed_by_the_secretary_above_and_only_they(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        secretary = Member.objects.get(user_id=A.secretary.pk)
        above = Member.objects.get(user_id=A.other_member.pk)
        from tenants.organization.models import Organization

        Organization.objects.filter(pk=A.committee_id).update(secretary=above)
    review = {"method": "leader", "grade": "satisfied"}
    above_phone = api_client_for(A.other_member)
    # The committee's secretary reviews the branch's secretary, not the branch's members (their secretary does).
    assert above_phone.post(_path(A, "reviews/"), {**review, "subject": secretary.pk}, format="json").status_code == 201
    assert above_phone.post(_path(A, "reviews/"), {**review, "subject": me.pk}, format="json").status_code == 403
    assert api_client_for(A.secretary).post(_path(A, "reviews/"), {**review, "subject": me.pk}, format="json").status_code == 201


def test_a_members_row_follows_a_transfer_and_the_scheme_stays_once_anything_is_recorded(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        me = Member.objects.get(user_id=A.member.pk)
        services.review_record(evaluation=evaluation, who=who(A.secretary), subject=me, method="leader", stage="year_end", grade="satisfied")
        scores_apply_pending(evaluation_id=evaluation.pk)
        Member.objects.filter(pk=me.pk).update(branch_id=A.branch2_id)
        services.review_record(evaluation=evaluation, who=who(A.admin, admin=True), subject=me, method="organisation", stage="year_end",
                               grade="satisfied")
        scores_apply_pending(evaluation_id=evaluation.pk)
        assert MemberScore.objects.get(evaluation=evaluation, member=me).branch_id == A.branch2_id  # the new branch sees them
        # The round's dates moved back after it opened: what was recorded keeps the scheme as it was.
        Round.objects.filter(pk=A.round_id).update(evaluate_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=30))
        evaluation.round.refresh_from_db()
        with pytest.raises(ValidationError):
            services.evaluation_update(evaluation=evaluation, who=who(A.admin, admin=True), changes={"missing": "zero"})


def test_a_members_score_has_no_console_page_of_its_own(world, db):
    from tests.conftest import console_client

    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        services.rights_issue(evaluation=evaluation)
        row = MemberScore.objects.filter(evaluation=evaluation).first()
    console = console_client(A.admin)
    assert console.get("/u/unit-a/admin/evaluations/memberscore/").status_code == 200
    assert console.get(f"/u/unit-a/admin/evaluations/memberscore/{row.pk}/change/").status_code in (302, 403)
