"""The public evaluation form, without an account: a link opens its own branch's form in its own
unit only; a grade per member records one anonymous ballot; a used, unknown or expired link,
or one opened before the evaluation, gets a page that says so."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client

from evaluations import services
from evaluations.models import BallotToken, PublicBallot
from pledges.models import Round
from tenants.organization.models import Organization
from tenants.services import unit_run
from tests.pledges.support import who


def _link(unit_world) -> tuple[str, object]:
    with unit_run(unit_world.unit):
        evaluation = services.evaluation_prepare(round=Round.objects.get(pk=unit_world.round_id), who=who(unit_world.admin, admin=True))
        (_member, secret), = services.panel_register(evaluation=evaluation, branch=Organization.objects.get(pk=unit_world.branch_id),
                                                     who=who(unit_world.secretary), people=[("王大爷", "public_representative")])
    return secret, evaluation


def test_an_evaluator_grades_each_member_once_without_an_account(world, db):
    A = world["A"]
    secret, evaluation = _link(A)
    path = f"/u/unit-a/evaluate/{secret}/"
    with time_machine.travel(evaluation.round.evaluate_on + timedelta(days=1), tick=True):
        with unit_run(A.unit):  # the member's self-evaluation, which the evaluators read before they grade
            services.self_assess(evaluation=evaluation, who=who(A.member), grade="satisfied", report="一年来走访了全村农户。",
                                 item_notes={A.item_id: "已完成全部走访"})
        browser = Client(HTTP_ACCEPT_LANGUAGE="en")
        page = browser.get(path)
        text = page.content.decode()
        assert page.status_code == 200 and page["Content-Language"] == "zh-hans" and page["Referrer-Policy"] == "same-origin"
        assert "A Member" in text and "A Secretary" in text and "A pledge item 1" in text  # the branch's members and their pledges
        assert "一年来走访了全村农户。" in text and "已完成全部走访" in text and "暂无自评" in text  # the secretary has written none
        assert "A Other" not in text  # another branch's member
        assert "满意" in text and "匿名" in text
        with unit_run(A.unit):
            members = services.branch_members_to_grade(branch_id=A.branch_id)
        half = browser.post(path, {f"grade-{next(iter(members))}": "satisfied"})
        assert half.status_code == 400 and "请为每位党员" in half.content.decode()
        done = browser.post(path, {**{f"grade-{m}": "fairly_satisfied" for m in members}, f"comment-{next(iter(members))}": "很热心"})
        assert done.status_code == 200 and "已记录" in done.content.decode()
        again = browser.get(path)
        assert again.status_code == 410 and "已经使用" in again.content.decode()
    with unit_run(A.unit):
        assert PublicBallot.objects.count() == 1 and BallotToken.objects.count() == 0


def test_a_link_opens_only_in_its_own_unit_and_before_the_evaluation_says_when(world, db):
    A = world["A"]
    secret, evaluation = _link(A)
    elsewhere = Client().get(f"/u/unit-b/evaluate/{secret}/")  # unit A's link at unit B's address
    assert elsewhere.status_code == 410 and "A Member" not in elsewhere.content.decode()
    early = Client().get(f"/u/unit-a/evaluate/{secret}/")  # the world's round is still fulfilling
    assert early.status_code == 409 and evaluation.round.evaluate_on.isoformat() in early.content.decode()
    with time_machine.travel(evaluation.round.ends_on + timedelta(days=2), tick=True):
        late = Client().get(f"/u/unit-a/evaluate/{secret}/")
    assert late.status_code == 410 and "已过期" in late.content.decode()
    with unit_run(A.unit):
        assert BallotToken.objects.count() == 1  # looking never spends a link
