"""Results and consequences: the unit publishes its results within a scope, draws up the
commendation list, and follows a poor result through rectification and the accountability
ladder to its end; the results go out as Excel and PDF with the formula and the 3-ballot rule."""
from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from evaluations import services
from evaluations.models import AccountabilityStep, Commendation, Rectification
from evaluations.tallies import scores_apply_pending
from pledges.models import Round
from tenants.organization.caller import Caller
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url
from tests.evaluations.support import evaluation_open_today, members_in
from tests.pledges.support import TODAY, who


def _path(w, rest: str = "") -> str:
    return unit_url(w, f"rounds/{w.round_id}/evaluation/{rest}")


def _publish(A, evaluation, scope: str = "branch") -> None:
    from evaluations.results import results_publish

    results_publish(evaluation=evaluation, who=who(A.admin, admin=True), scope=scope)


def _scored_unit(A):
    """Unit A's evaluation open, with 3 more members in the first branch who grade each other and
    the member (3 peer grades each: shown), and a signed review for the member."""
    evaluation = evaluation_open_today(A)
    me = Member.objects.get(user_id=A.member.pk)
    colleagues = members_in(A, A.branch_id, 3, prefix="同事")
    services.rights_issue(evaluation=evaluation)
    everyone = [me, *colleagues]
    for voter in colleagues:
        services.member_ballot_cast(evaluation=evaluation, who=Caller(user_id=None, member=voter), method="peer",
                                    grades={m.pk: ("satisfied" if m == me else "basically_satisfied") for m in everyone if m != voter})
    services.review_record(evaluation=evaluation, who=who(A.secretary), subject=me, method="leader", stage="year_end", grade="satisfied")
    scores_apply_pending(evaluation_id=evaluation.pk)
    return evaluation, me, colleagues


def test_members_see_the_results_only_once_published_and_within_the_scope(world, db):
    A = world["A"]
    with unit_run(A.unit):
        _evaluation, me, _colleagues = _scored_unit(A)
    assert api_client_for(A.member).get(_path(A, "results/")).status_code == 403  # not published yet
    secretary_view = api_client_for(A.secretary).get(_path(A, "results/")).json()  # the secretary always, their branches
    assert me.pk in [r["member"]["id"] for r in secretary_view]
    assert api_client_for(A.member).put(_path(A, "publication/"), {"scope": "unit"}, format="json").status_code == 403
    published = api_client_for(A.admin).put(_path(A, "publication/"), {"scope": "branch"}, format="json")
    assert published.status_code == 200 and published.json()["scope"] == "branch"
    mine = api_client_for(A.member).get(_path(A, "results/")).json()
    row = next(r for r in mine if r["member"]["id"] == me.pk)
    assert row["score"] == "100.0" and row["grade_label"] == "满意" and row["branch"]["id"] == A.branch_id
    assert all(r["branch"]["id"] == A.branch_id for r in mine)
    theirs = api_client_for(A.other_member).get(_path(A, "results/")).json()  # another branch: its own only
    assert theirs and all(r["branch"]["id"] == A.branch2_id for r in theirs)
    api_client_for(A.admin).put(_path(A, "publication/"), {"scope": "unit"}, format="json")
    assert me.pk in [r["member"]["id"] for r in api_client_for(A.other_member).get(_path(A, "results/")).json()]
    assert api_client_for(A.admin).put(_path(A, "publication/"), {"scope": "everyone"}, format="json").status_code == 400


def test_results_are_not_published_before_the_evaluation_opens(world, db):
    A = world["A"]
    with unit_run(A.unit):
        services.evaluation_prepare(round=Round.objects.get(pk=A.round_id), who=who(A.admin, admin=True))
    early = api_client_for(A.admin).put(_path(A, "publication/"), {"scope": "unit"}, format="json")
    assert early.status_code == 409 and api_client_for(A.admin).get(_path(A, "publication/")).status_code == 404


def test_the_best_grade_proposes_the_commendation_list_the_admin_confirms(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation, me, colleagues = _scored_unit(A)
        _publish(A, evaluation)  # the final results propose it
    admin = api_client_for(A.admin)
    proposed = admin.get(_path(A, "commendations/?proposed=true")).json()
    assert [p["member"]["id"] for p in proposed] == [me.pk]  # 满意; the colleagues are 基本满意
    made = admin.post(_path(A, "commendations/"), {"member": me.pk, "reason": "践诺成效突出"}, format="json")
    assert made.status_code == 201
    assert admin.get(_path(A, "commendations/?proposed=true")).json() == []  # listed now
    assert [c["member"]["id"] for c in admin.get(_path(A, "commendations/")).json()] == [me.pk]
    assert api_client_for(A.secretary).post(_path(A, "commendations/"), {"member": colleagues[0].pk, "reason": "x"}, format="json").status_code == 403
    assert admin.post(_path(A, "commendations/"), {"member": colleagues[0].pk, "reason": " "}, format="json").status_code == 400
    assert admin.delete(_path(A, f"commendations/{me.pk}/")).status_code == 204
    with unit_run(A.unit):
        assert not Commendation.objects.exists()


def test_a_rectification_climbs_the_ladder_and_a_refusal_marks_the_member_unqualified(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation, me, colleagues = _scored_unit(A)
        Commendation.objects.create(evaluation=evaluation, member=colleagues[0], reason="x", listed_by="x", listed_on=TODAY)
    secretary = api_client_for(A.secretary)
    body = {"member": colleagues[0].pk, "reason": "群众意见较大", "deadline": (TODAY + timedelta(days=20)).isoformat()}
    assert api_client_for(A.member).post(_path(A, "rectifications/"), body, format="json").status_code == 403
    assert secretary.post(_path(A, "rectifications/"), {**body, "deadline": TODAY.isoformat()}, format="json").status_code == 400
    opened = secretary.post(_path(A, "rectifications/"), body, format="json")
    assert opened.status_code == 201 and opened.json()["state"] == "open" and opened.json()["overdue"] is False
    rid = opened.json()["id"]
    assert secretary.post(_path(A, "rectifications/"), body, format="json").status_code == 409  # one at a time
    with unit_run(A.unit):
        assert not Commendation.objects.filter(member=colleagues[0]).exists()  # off the list while it lasts
    for step in ("oral_reminder", "oral_reminder", "deadline_rectification"):
        assert secretary.post(_path(A, f"rectifications/{rid}/steps/"), {"step": step, "note": "谈话"}, format="json").status_code == 201
    down = secretary.post(_path(A, f"rectifications/{rid}/steps/"), {"step": "criticism_education"}, format="json")
    assert down.status_code == 409  # never down the ladder
    assert secretary.post(_path(A, f"rectifications/{rid}/steps/"), {"step": "exile"}, format="json").status_code == 400
    with unit_run(A.unit):
        assert [s.step for s in AccountabilityStep.objects.order_by("id")] == ["oral_reminder", "oral_reminder", "deadline_rectification"]
    closed = secretary.post(_path(A, f"rectifications/{rid}/close/"), {"outcome": "refused", "note": "拒不整改"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "refused"
    assert secretary.post(_path(A, f"rectifications/{rid}/steps/"), {"step": "resignation"}, format="json").status_code == 409
    row = next(r for r in secretary.get(_path(A, "results/")).json() if r["member"]["id"] == colleagues[0].pk)
    assert row["unqualified"] is True and row["rectification"] == "refused"
    # Refused: not commendable; the member's own list shows it; another branch's member sees nothing of it.
    assert api_client_for(A.admin).post(_path(A, "commendations/"), {"member": colleagues[0].pk, "reason": "x"}, format="json").status_code == 409
    assert api_client_for(A.other_member).get(_path(A, "rectifications/")).json() == []


def test_an_open_rectification_past_its_deadline_is_overdue(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation, me, _colleagues = _scored_unit(A)
        Rectification.objects.create(evaluation=evaluation, member=me, reason="r", deadline=TODAY - timedelta(days=1), opened_by="x",
                                     opened_on=TODAY - timedelta(days=10))
    [listed] = api_client_for(A.member).get(_path(A, "rectifications/")).json()  # their own
    assert listed["overdue"] is True


def test_the_results_export_as_excel_and_pdf_with_the_formula_and_nothing_withheld_shown(world, db):
    from pdfminer.high_level import extract_text

    A = world["A"]
    with unit_run(A.unit):
        evaluation, me, colleagues = _scored_unit(A)
        lonely = Member.objects.get(user_id=A.secretary.pk)  # graded by nobody but the member: one peer grade
        services.member_ballot_cast(evaluation=evaluation, who=who(A.member), method="peer", grades={lonely.pk: "dissatisfied"})
        scores_apply_pending(evaluation_id=evaluation.pk)
        _publish(A, evaluation)
    admin = api_client_for(A.admin)
    sheet = admin.get(_path(A, "results/export/"))
    assert sheet.status_code == 200, sheet.content
    workbook = load_workbook(io.BytesIO(sheet.content))
    rows = [[c for c in row] for row in workbook["评诺结果"].iter_rows(values_only=True)]
    by_name = {row[1]: row for row in rows[2:]}
    assert by_name[me.name][2] == "100.0" and by_name[me.name][3] == "满意"
    assert by_name[lonely.name][2] == "待满三份匿名评价" and "0.0" not in [str(v) for v in by_name[lonely.name]]  # one grade: not shown
    assert "综合得分" in workbook["计分公式"]["A2"].value
    pdf = admin.get(_path(A, "results/export/?file=pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = extract_text(io.BytesIO(pdf.content))
    assert me.name in text and "综合得分" in text and "满意" in text
    assert admin.get(_path(A, "results/export/?file=doc")).status_code == 400
    assert api_client_for(A.member).get(_path(A, "results/export/")).status_code == 403


def test_results_published_to_the_board_show_on_a_public_page_in_chinese(world, db):
    from django.test import Client

    A = world["A"]
    page_path = f"/u/unit-a/evaluation/{A.round_id}/results/"
    with unit_run(A.unit):
        evaluation, me, colleagues = _scored_unit(A)
        _publish(A, evaluation, scope="unit")
    assert Client().get(page_path).status_code == 404  # published inside the unit only
    with unit_run(A.unit):
        _publish(A, evaluation, scope="board")
        Commendation.objects.create(evaluation=evaluation, member=me, reason="x", listed_by="x", listed_on=TODAY)
        Rectification.objects.create(evaluation=evaluation, member=colleagues[0], reason="群众意见大", deadline=TODAY + timedelta(days=9),
                                     opened_by="x", opened_on=TODAY)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(page_path)
    text = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "zh-hans"
    assert "评诺结果" in text and me.name in text and "100.0" in text and "满意" in text and "综合得分" in text
    assert "表彰" in text and "群众意见大" not in text and "整改" not in text  # commended, but nothing of rectifications
    assert Client().get(f"/u/unit-b/evaluation/{A.round_id}/results/").status_code == 404  # unit B has published nothing
