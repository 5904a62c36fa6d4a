"""The jurisdiction tree at any depth (province → city → county today, deeper tomorrow),
each question answered by one recursive query that can be used as a subquery."""
from __future__ import annotations

from typing import Iterable

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .models import Jurisdiction, Unit


def _roots_sql(roots: QuerySet | Iterable[int]) -> tuple[str, tuple]:
    if isinstance(roots, QuerySet):
        sql, params = roots.query.sql_with_params()
        return sql, tuple(params)
    ids = [int(pk) for pk in roots]
    return "SELECT unnest(%s::bigint[])", (ids,)


def jurisdiction_ids_below(*, roots: QuerySet | Iterable[int]) -> RawSQL:
    """The roots and every jurisdiction below them. `roots`: ids, or a one-column queryset of ids."""
    sql, params = _roots_sql(roots)
    table = Jurisdiction._meta.db_table
    return RawSQL(
        f"WITH RECURSIVE below(id) AS ({sql} UNION SELECT j.id FROM {table} j JOIN below b ON j.parent_id = b.id) SELECT id FROM below",
        params,
    )


def jurisdiction_ids_above_sql(start: str, *, schema: str | None = None) -> str:
    """SQL of the ids of the jurisdiction `start` (an SQL expression: a placeholder, or a column
    of an outer query) and of every one above it, up to its province; `schema` qualifies the table."""
    table = f'"{schema}".{Jurisdiction._meta.db_table}' if schema else Jurisdiction._meta.db_table
    return (f"WITH RECURSIVE above(id, parent_id) AS (SELECT id, parent_id FROM {table} WHERE id = {start} "
            f"UNION SELECT j.id, j.parent_id FROM {table} j JOIN above a ON j.id = a.parent_id) SELECT id FROM above")


def jurisdictions_below(*, roots: QuerySet | Iterable[int]) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(id__in=jurisdiction_ids_below(roots=roots))


def units_below(*, roots: QuerySet | Iterable[int]) -> QuerySet[Unit]:
    return Unit.objects.filter(county_id__in=jurisdiction_ids_below(roots=roots))
