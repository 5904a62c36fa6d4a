"""Member roll import and export (Excel). An import is all or nothing: every row is
checked first, and a file with any bad row changes nothing and returns a row-by-row report."""
from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from audit.recorder import record_bulk_create
from tenants.excel import table_write

from .models import Member, Organization
from .identity import members_identity_link
from .services import check_member

MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 5 * 1024 * 1024


# The roll's columns: a member's fields, each headed by the field's name (姓名, 性别, …).
FIELDS = ("name", "gender", "birth_date", "joined_on", "phone", "post", "tier", "is_exempt", "branch", "group", "status")
WIDTHS = (10, 6, 12, 12, 14, 16, 14, 12, 18, 14, 10)
# Headers of rolls exported before the headers came from the fields.
OLD_HEADERS = {"退休或体弱": "is_exempt"}


def columns() -> list[tuple[str, str]]:
    """(header, field) pairs in the active language: Chinese, the language of the people filling
    the roll in, unless the caller asked for English."""
    return [(capfirst(str(Member._meta.get_field(name).verbose_name)), name) for name in FIELDS]


def _header_fields() -> dict[str, str]:
    """Every header an import understands, in either language (whoever exported the file), to its field."""
    known = dict(OLD_HEADERS)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            known.update({header.casefold(): name for header, name in columns()})
    return known


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "errors": [e.__dict__ for e in self.errors]}


class ImportRejected(Exception):
    def __init__(self, report: ImportReport):
        super().__init__(f"{len(report.errors)} errors")
        self.report = report


def _choice(value, choices) -> str | None:
    """Accept the stored value or its label in either language."""
    text = str(value).strip()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for stored, label in choices:
                if text in (stored, str(label)):
                    return stored
    return None


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _bool(value) -> bool | None:
    text = str(value).strip().lower()
    if text in {"", "否", "no", "false", "0", "n"}:
        return False
    if text in {"是", "yes", "true", "1", "y"}:
        return True
    return None


def members_import(*, content: bytes, unit) -> ImportReport:
    """Create members from a workbook in the export's layout. Raises ImportRejected on any bad row."""
    report = ImportReport()
    if len(content) > MAX_IMPORT_BYTES:
        report.errors.append(RowError(0, "file", _("The file is larger than 5 MB.")))
        raise ImportRejected(report)
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    except Exception:  # openpyxl raises many kinds of errors for a broken or foreign file
        report.errors.append(RowError(0, "file", _("This is not an Excel (.xlsx) file.")))
        raise ImportRejected(report)
    if not rows:
        report.errors.append(RowError(0, "file", _("The file is empty.")))
        raise ImportRejected(report)
    known = _header_fields()
    position: dict[str, int] = {}
    for index, cell in enumerate(rows[0]):
        name = known.get(str(cell).strip().casefold()) if cell is not None else None
        if name is not None:
            position.setdefault(name, index)
    missing = [header for header, name in columns() if name not in position]
    if missing:
        report.errors.append(RowError(1, "header", _("Missing columns: %(cols)s") % {"cols": "、".join(missing)}))
        raise ImportRejected(report)
    data_rows = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in r)]
    if len(data_rows) > MAX_IMPORT_ROWS:
        report.errors.append(RowError(0, "file", _("At most %(n)d rows per file.") % {"n": MAX_IMPORT_ROWS}))
        raise ImportRejected(report)

    organizations = {(o.name, o.kind): o for o in Organization.objects.all()}
    taken_phones = set(Member.objects.exclude(phone="").values_list("phone", flat=True))
    members: list[Member] = []
    for number, row in data_rows:
        cell = lambda f: row[position[f]] if position[f] < len(row) and row[position[f]] is not None else ""  # noqa: E731
        errors_before = len(report.errors)

        def fail(name, message):
            report.errors.append(RowError(number, name, message))

        values = {
            "name": str(cell("name")).strip(),
            # NFKC: numbers typed with a Chinese input method come as full-width digits.
            "phone": unicodedata.normalize("NFKC", str(cell("phone"))).strip().removesuffix(".0"),
            "post": str(cell("post")).strip(),
        }
        for name, choices in (("gender", Member.Gender.choices), ("tier", Member.Tier.choices), ("status", Member.Status.choices)):
            raw = cell(name)
            if name == "status" and raw == "":
                values[name] = Member.Status.ACTIVE
                continue
            values[name] = _choice(raw, choices)
            if values[name] is None:
                fail(name, _("Unknown value “%(value)s”.") % {"value": raw})
        for name in ("birth_date", "joined_on"):
            values[name] = _day(cell(name))
            if values[name] is None:
                fail(name, _("Enter a date like 1980-05-01."))
        values["is_exempt"] = _bool(cell("is_exempt"))
        if values["is_exempt"] is None:
            fail("is_exempt", _("Enter %(yes)s or %(no)s.") % {"yes": _("Yes"), "no": _("No")})
        branch = organizations.get((str(cell("branch")).strip(), Organization.Kind.BRANCH))
        if branch is None:
            fail("branch", _("No branch named “%(value)s”.") % {"value": cell("branch")})
        group_name = str(cell("group")).strip()
        group = organizations.get((group_name, Organization.Kind.GROUP)) if group_name else None
        if group_name and group is None:
            fail("group", _("No party group named “%(value)s”.") % {"value": group_name})
        if values["phone"] and values["phone"] in taken_phones:
            fail("phone", _("This phone number is already on the roll."))
        if len(report.errors) > errors_before:
            continue
        member = Member(branch=branch, group=group, **values)
        try:
            member.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
            check_member(member=member)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    fail(name, message)
            continue
        if member.phone:
            taken_phones.add(member.phone)
        members.append(member)

    if report.errors:
        raise ImportRejected(report)
    with transaction.atomic():
        Member.objects.bulk_create(members, batch_size=1000)
        record_bulk_create(members)
        members_identity_link(members=members, unit=unit)
    report.created = len(members)
    return report


def members_export(*, members) -> bytes:
    """The roll in the active language, headers and values alike; the import reads it back in either."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Member roll"))
    yes, no = _("Yes"), _("No")
    # No title row: the import reads the header from the first row.
    table_write(sheet, [header for header, _name in columns()], (
        [m.name, m.get_gender_display(), m.birth_date, m.joined_on, m.phone, m.post, m.get_tier_display(),
         yes if m.is_exempt else no, m.branch.name, m.group.name if m.group_id else "", m.get_status_display()]
        for m in members
    ), widths=list(WIDTHS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
