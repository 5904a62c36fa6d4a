"""A round's evaluation scheme over the API: the unit admin prepares it with 004's defaults and
adjusts it until the evaluation opens; every member reads it with the formula beside it; bad
schemes are refused in Chinese and change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from evaluations.models import Evaluation
from pledges.models import Round
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url
from tests.pledges.support import TODAY, round_dates, who


def _later_round(unit_world) -> Round:
    """A round whose evaluation has not opened yet (the world's round is in its fulfil phase)."""
    from pledges import services

    with unit_run(unit_world.unit):
        return services.round_open(year=TODAY.year + 1, theme="明年的承诺", dates={k: v + timedelta(days=365) for k, v in round_dates().items()})


def test_the_unit_admin_prepares_an_evaluation_everyone_reads_with_its_formula(world, db):
    A = world["A"]
    path = unit_url(A, f"rounds/{A.round_id}/evaluation/")
    assert api_client_for(A.member).get(path).status_code == 404  # none yet
    assert api_client_for(A.member).post(path).status_code == 403  # members do not prepare it
    made = api_client_for(A.admin).post(path)
    assert made.status_code == 201
    body = api_client_for(A.member).get(path).json()
    assert body["member_weights"] == {"peer": 30, "public": 30, "leader": 20, "organisation": 20, "self": 0}
    assert [g["label"] for g in body["scale"]] == ["满意", "较满意", "基本满意", "不满意"]
    assert "党员互评×30%" in body["member_formula"] and "所在支部评议×40%" in body["leader_formula"]
    assert body["public_quorum_percent"] == 80
    again = api_client_for(A.admin).post(path)  # preparing twice gives the same one
    assert again.json()["id"] == body["id"]


def test_the_scheme_changes_until_the_evaluation_opens_then_is_fixed(world, db):
    A = world["A"]
    later = _later_round(A)
    admin = api_client_for(A.admin)
    path = unit_url(A, f"rounds/{later.pk}/evaluation/")
    admin.post(path)
    changed = admin.patch(path, {"member_weights": {"peer": 25, "public": 25, "leader": 25, "organisation": 25, "self": 0},
                                 "missing": "zero", "public_quorum_percent": 90}, format="json")
    assert changed.status_code == 200
    assert "党员互评×25%" in changed.json()["member_formula"] and "按0分计" in changed.json()["member_formula"]
    # Once a round's evaluation has opened, its scheme stays as everyone was shown it.
    now = api_client_for(A.admin).post(unit_url(A, f"rounds/{A.round_id}/evaluation/"))
    assert now.status_code == 201
    with unit_run(A.unit):
        Round.objects.filter(pk=A.round_id).update(evaluate_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=20))
    fixed = admin.patch(unit_url(A, f"rounds/{A.round_id}/evaluation/"), {"missing": "zero"}, format="json")
    assert fixed.status_code == 409 and fixed.json()["error"]["code"] == "conflict"
    with unit_run(A.unit):
        assert Evaluation.objects.get(round_id=A.round_id).missing == "renormalise"


def test_a_scheme_that_cannot_score_is_refused_in_chinese_and_changes_nothing(world, db):
    A = world["A"]
    later = _later_round(A)
    admin = api_client_for(A.admin)
    path = unit_url(A, f"rounds/{later.pk}/evaluation/")
    admin.post(path)
    bad = [
        {"member_weights": {"peer": 0, "public": 0}},
        {"member_weights": {"peer": 30, "neighbours": 70}},
        {"leader_weights": {"branch": -5}},
        {"scale": [{"code": "a", "label": "好", "points": 100, "threshold": 50}, {"code": "b", "label": "差", "points": 0, "threshold": 60}]},
        {"scale": [{"code": "a", "label": "好", "points": 100, "threshold": 50}]},
        {"scale": [{"code": "a", "label": "好", "points": 100, "threshold": 50}, {"code": "a", "label": "差", "points": 0, "threshold": 0}]},
        {"missing": "average"},
        {"public_quorum_percent": 0},
    ]
    before = admin.get(path).json()
    for body in bad:
        answer = admin.patch(path, body, format="json")
        assert answer.status_code == 400, body
        error = answer.json()["error"]
        assert error["code"] == "invalid" and any("\u4e00" <= ch <= "\u9fff" for text in error["fields"].values() for ch in text[0]), body
    assert admin.get(path).json() == before


def test_members_cannot_change_the_scheme(world, db):
    A = world["A"]
    path = unit_url(A, f"rounds/{A.round_id}/evaluation/")
    api_client_for(A.admin).post(path)
    assert api_client_for(A.secretary).patch(path, {"missing": "zero"}, format="json").status_code == 403
    assert api_client_for(world.county_admin_k1).patch(path, {"missing": "zero"}, format="json").status_code == 403


def test_the_secretary_registers_the_panel_and_follows_the_quorum_never_the_votes(world, db):
    from datetime import timedelta as days

    from evaluations import services as evaluation_services
    from evaluations.models import Evaluation as EvaluationModel

    A = world["A"]
    api_client_for(A.admin).post(unit_url(A, f"rounds/{A.round_id}/evaluation/"))
    path = unit_url(A, f"rounds/{A.round_id}/evaluation/panels/{A.branch_id}/")
    secretary = api_client_for(A.secretary)
    issued = secretary.post(path, {"people": [{"name": "王大爷", "category": "public_representative"},
                                              {"name": "李阿姨", "category": "served"}]}, format="json")
    assert issued.status_code == 201
    links = [entry["link"] for entry in issued.json()]
    assert all(f"/u/unit-a/evaluate/" in link for link in links)
    status = secretary.get(path).json()
    # Branch 1 has two enrolled members: 80% of 2 is 1.6, so 2 evaluators are needed.
    assert status["members"] == 2 and status["quorum"] == 2 and status["voted"] == 0 and status["still_needed"] == 2
    assert status["counts"] is False and [p["has_voted"] for p in status["panel"]] == [False, False]
    with unit_run(A.unit):
        evaluation = EvaluationModel.objects.get(round_id=A.round_id)
        members = evaluation_services.branch_members_to_grade(branch_id=A.branch_id)
        secret = links[0].rstrip("/").rsplit("/", 1)[1]
        evaluation_services.ballot_cast(secret=secret, grades={m: "satisfied" for m in members}, today=evaluation.round.evaluate_on + days(days=1))
    status = secretary.get(path).json()
    assert status["voted"] == 1 and status["still_needed"] == 1 and status["counts"] is False
    assert sorted((p["name"], p["has_voted"]) for p in status["panel"]) == [("李阿姨", False), ("王大爷", True)]
    assert "grade" not in str(status) and "satisfied" not in str(status)  # who has voted, never how
    # A member of the branch, or the secretary of another branch, does not run this panel.
    assert api_client_for(A.member).get(path).status_code == 403
    assert api_client_for(A.other_member).post(path, {"people": [{"name": "某人", "category": "served"}]}, format="json").status_code == 403
    bad = secretary.post(path, {"people": [{"name": "某人", "category": "friend"}]}, format="json")
    assert bad.status_code == 400 and "people.0.category" in bad.json()["error"]["fields"]


def test_the_panel_sheet_is_a_pdf_of_qr_code_cards_one_per_evaluator(world, db):
    import re as regex

    A = world["A"]
    api_client_for(A.admin).post(unit_url(A, f"rounds/{A.round_id}/evaluation/"))
    answer = api_client_for(A.secretary).post(unit_url(A, f"rounds/{A.round_id}/evaluation/panels/{A.branch_id}/sheet/"),
                                              {"people": [{"name": f"评议人{i}", "category": "served"} for i in range(13)]}, format="json")
    assert answer.status_code == 201 and answer["Content-Type"] == "application/pdf" and answer["Cache-Control"] == "no-store"
    pdf = answer.content
    assert pdf.startswith(b"%PDF") and len(regex.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 2  # 12 cards a page
    from evaluations.models import BallotToken

    with unit_run(A.unit):
        assert BallotToken.objects.filter(branch_id=A.branch_id).count() == 13
    assert api_client_for(A.member).post(unit_url(A, f"rounds/{A.round_id}/evaluation/panels/{A.branch_id}/sheet/"),
                                         {"people": [{"name": "某人", "category": "served"}]}, format="json").status_code == 403


def test_public_results_show_once_the_quorum_is_reached_and_never_fewer_than_three_ballots(world, db):
    from evaluations import services as evaluation_services
    from evaluations.models import Evaluation as EvaluationModel

    A = world["A"]
    api_client_for(A.admin).post(unit_url(A, f"rounds/{A.round_id}/evaluation/"))
    panel = unit_url(A, f"rounds/{A.round_id}/evaluation/panels/{A.branch_id}/")
    results = panel + "results/"
    secretary = api_client_for(A.secretary)
    links = [e["link"] for e in secretary.post(panel, {"people": [{"name": f"评议人{i}", "category": "served"} for i in range(4)]},
                                               format="json").json()]
    with unit_run(A.unit):
        evaluation = EvaluationModel.objects.get(round_id=A.round_id)
        members = sorted(evaluation_services.branch_members_to_grade(branch_id=A.branch_id))
        day = evaluation.round.evaluate_on + timedelta(days=1)

    def vote(link, first, second):
        with unit_run(A.unit):
            evaluation_services.ballot_cast(secret=link.rstrip("/").rsplit("/", 1)[1], grades={members[0]: first, members[1]: second}, today=day)

    vote(links[0], "satisfied", "dissatisfied")
    vote(links[1], "satisfied", "basically_satisfied")
    early = secretary.get(results)  # 2 of 2 needed by the quorum, but fewer than 3 ballots: nothing shown
    assert early.status_code == 409 and "1" in early.json()["error"]["message"]
    vote(links[2], "fairly_satisfied", "dissatisfied")
    live = secretary.get(results)  # the quorum is reached, but per member only once final: live, a ballot shows as the change it made
    assert live.status_code == 409 and "公布" in live.json()["error"]["message"]
    with unit_run(A.unit):
        from evaluations.results import results_publish

        results_publish(evaluation=evaluation, who=who(A.admin, admin=True), scope="branch", today=day)
        with pytest.raises(ValidationError):  # published: closed, no more ballots
            vote(links[3], "satisfied", "satisfied")
    body = secretary.get(results).json()
    assert body["ballots"] == 3
    first = next(r for r in body["members"] if r["member"]["id"] == members[0])
    assert [g["count"] for g in first["grades"]] == [2, 1, 0, 0]
    assert first["public_score"] == "93.3" and first["satisfaction_rate"] == "100.0"  # (100+100+80)/3
    second = next(r for r in body["members"] if r["member"]["id"] == members[1])
    assert second["public_score"] == "20.0" and second["satisfaction_rate"] == "0.0"  # (0+60+0)/3
    assert api_client_for(A.member).get(results).status_code == 403  # for whoever runs the branch
