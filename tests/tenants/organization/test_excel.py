"""Member import and export: all or nothing, with a row-by-row report."""
import io

from django.utils import translation
from openpyxl import Workbook, load_workbook

from tenants.organization.excel import columns
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url


def _workbook(rows, *, header: list[str] | None = None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header or [h for h, _f in columns()])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "members.xlsx"
    return buffer


GOOD = ["王芳", "女", "1988-02-03", "2012-07-01", "13911112222", "出纳", "机关党员", "否", "A Branch 1", "A Group 1", "正常"]
GOOD2 = ["李强", "男", "1979-11-30", "2001-06-15", "", "", "事业单位党员", "是", "A Branch 2", "", ""]


def _count(world):
    with unit_run(world["A"].unit):
        return Member.objects.count()


def test_import_creates_members_and_export_round_trips(world, db):
    admin = api_client_for(world["A"].admin)
    before = _count(world)
    response = admin.post(unit_url(world["A"], "members/import/"), {"file": _workbook([GOOD, GOOD2])}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    assert _count(world) == before + 2
    with unit_run(world["A"].unit):
        wang = Member.objects.get(name="王芳")
        assert wang.group.name == "A Group 1" and wang.user_id is not None

    export = admin.get(unit_url(world["A"], "members/export/"))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    assert {r[0] for r in rows[1:]} >= {"王芳", "李强", "A Member"}
    assert not any(str(r[0]).startswith("B ") for r in rows[1:])


def test_one_broken_row_imports_nothing_and_reports_each_problem(world, db):
    admin = api_client_for(world["A"].admin)
    before = _count(world)
    broken = ["张三", "未知", "1990-13-45", "2015-01-01", "12345", "", "机关党员", "也许", "No Such Branch", "", ""]
    response = admin.post(unit_url(world["A"], "members/import/"), {"file": _workbook([GOOD, broken])}, format="multipart")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "import_rejected"
    problems = {(e["row"], e["field"]) for e in body["rows"]}
    assert {(3, "gender"), (3, "birth_date"), (3, "is_exempt"), (3, "branch")} <= problems
    assert all(e["row"] == 3 for e in body["rows"])
    assert _count(world) == before


def test_duplicate_phone_within_the_file_is_reported(world, db):
    admin = api_client_for(world["A"].admin)
    twin = list(GOOD)
    twin[0] = "王芳二"
    response = admin.post(unit_url(world["A"], "members/import/"), {"file": _workbook([GOOD, twin])}, format="multipart")
    assert response.status_code == 400
    assert {(e["row"], e["field"]) for e in response.json()["error"]["rows"]} == {(3, "phone")}


def test_a_file_that_is_not_excel_is_refused(world, db):
    admin = api_client_for(world["A"].admin)
    fake = io.BytesIO(b"name,phone\nx,1")
    fake.name = "members.xlsx"
    response = admin.post(unit_url(world["A"], "members/import/"), {"file": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["field"] == "file"


def test_missing_columns_are_named(world, db):
    book = Workbook()
    book.active.append(["姓名", "性别"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "x.xlsx"
    response = api_client_for(world["A"].admin).post(unit_url(world["A"], "members/import/"), {"file": buffer}, format="multipart")
    assert response.status_code == 400
    assert "出生日期" in response.json()["error"]["rows"][0]["message"]


def test_only_unit_admins_import(world, db):
    response = api_client_for(world["A"].secretary).post(unit_url(world["A"], "members/import/"), {"file": _workbook([GOOD])}, format="multipart")
    assert response.status_code == 403


def _export(world, **headers) -> list[tuple]:
    answer = api_client_for(world["A"].admin).get(unit_url(world["A"], "members/export/"), **headers)
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    return book.sheetnames, list(book.worksheets[0].iter_rows(values_only=True))


def test_the_roll_is_exported_in_one_language_chinese_unless_english_is_asked_for(world, db):
    names, rows = _export(world)
    assert names == ["党员名册"]
    assert list(rows[0]) == ["姓名", "性别", "出生日期", "入党日期", "手机号", "岗位", "层级", "离退休或体弱", "党支部", "党小组", "状态"]
    member = next(r for r in rows[1:] if r[0] == "A Member")
    assert member[1] in ("男", "女") and member[6] == "机关党员" and member[7] == "否" and member[10] == "正常"
    assert hasattr(member[2], "year")  # the birth date is a date, not text

    names, rows = _export(world, HTTP_ACCEPT_LANGUAGE="en")
    assert names == ["Member roll"]
    assert list(rows[0]) == ["Full name", "Gender", "Birth date", "Date joined the Party", "Mobile phone", "Post", "Tier",
                             "Retired or frail", "Branch", "Party group", "Status"]
    member = next(r for r in rows[1:] if r[0] == "A Member")
    assert member[1] in ("Male", "Female") and member[6] == "Agency member" and member[7] == "No" and member[10] == "Active"
    assert not any("\u4e00" <= ch <= "\u9fff" for row in rows for cell in row[:8] if isinstance(cell, str) for ch in cell)


def test_a_roll_with_english_headers_and_values_imports_too(world, db):
    with translation.override("en"):
        header = [h for h, _f in columns()]
    english = ["Wang Fang", "Female", "1988-02-03", "2012-07-01", "13911113333", "Cashier", "Agency member", "Yes", "A Branch 1", "", "Active"]
    before = _count(world)
    response = api_client_for(world["A"].admin).post(unit_url(world["A"], "members/import/"),
                                                     {"file": _workbook([english], header=header)}, format="multipart")
    assert response.status_code == 201, response.json()
    with unit_run(world["A"].unit):
        assert Member.objects.count() == before + 1
        wang = Member.objects.get(name="Wang Fang")
        assert wang.gender == Member.Gender.FEMALE and wang.is_exempt and wang.tier == Member.Tier.AGENCY_MEMBER


def test_a_roll_exported_before_the_headers_were_renamed_still_imports(world, db):
    header = [h for h, _f in columns()]
    header[header.index("离退休或体弱")] = "退休或体弱"
    response = api_client_for(world["A"].admin).post(unit_url(world["A"], "members/import/"),
                                                     {"file": _workbook([GOOD], header=header)}, format="multipart")
    assert response.status_code == 201, response.json()


def test_an_english_caller_is_told_in_english_what_to_enter(world, db):
    wrong = list(GOOD)
    wrong[7] = "maybe"
    response = api_client_for(world["A"].admin).post(unit_url(world["A"], "members/import/"), {"file": _workbook([wrong])},
                                                     format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert {e["message"] for e in response.json()["error"]["rows"]} == {"Enter Yes or No."}
