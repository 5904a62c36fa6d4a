"""Hot reads compiled to SQL once per process, then only executed.

Building a queryset and compiling it to SQL costs Django 0.5–2 ms of CPU per query, while
PostgreSQL answers the reads a phone makes most (its pledges, a ledger, a pledge's page) in a
tenth of that. A compiled read is an ordinary queryset, written with the ORM in a selector,
built once with a marker standing in for each parameter; its SQL, the positions of the
markers among the SQL's parameters and the columns' converters are kept, and each call only
executes that SQL with the call's values. The SQL names no schema, so one compilation serves
every unit (the connection's search_path picks the unit, as for any other query).

    @compiled(member_id=int, states=list)
    def open_items(*, member_id, states):
        return PledgeItem.objects.filter(pledge__member_id=member_id, state__any=states).values("id", "state")

    open_items(member_id=7, states=["published", "overdue"])   # -> list of dicts

Parameter kinds: `int`, `str`, `date`, `list` (used with the `any` lookup below, so a list of any
length is one parameter: `= ANY(%s)`). A marker must reach the SQL unchanged: a parameter
the ORM transforms (`__icontains`, `__in`) fails at compilation, not silently. Limits are
given per call (`limit=`, `offset=`), not sliced into the queryset.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Field, ForeignObject, Lookup, QuerySet, Window
from django.db.models.query import FlatValuesListIterable, ValuesIterable, ValuesListIterable


class Any(Lookup):
    """`field__any=[…]`: `field = ANY(%s)`, the whole list one array parameter (IN would make
    the SQL's shape depend on the list's length)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(Any)
ForeignObject.register_lookup(Any)  # related fields keep lookups of their own


_BASE = -7_300_000_000_000  # far outside any id, count or year the unit holds
_MARKERS: dict[type, Callable[[int], object]] = {
    int: lambda i: _BASE - i,
    str: lambda i: f"\x00compiled-parameter-{i}\x00",
    list: lambda i: [_BASE - 1000 - i],
    date: lambda i: date(1, 1, 1) + timedelta(days=i),  # year 1: no round, deadline or record is dated so
}


class CompilationError(Exception):
    pass


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], kinds: dict[str, type], using: str = DEFAULT_DB_ALIAS):
        unknown = {name: kind for name, kind in kinds.items() if kind not in _MARKERS}
        if unknown:
            raise CompilationError(f"{build.__qualname__}: unsupported parameter kinds {unknown}")
        self.build, self.kinds, self.using = build, kinds, using
        self._lock = threading.Lock()
        self._compiled: tuple | None = None
        self._counted: tuple | None = None
        self._windowed: tuple | None = None
        functools.update_wrapper(self, build)

    def _compile(self, *, counting: bool = False, windowed: bool = False) -> tuple:
        markers = {name: _MARKERS[kind](i) for i, (name, kind) in enumerate(self.kinds.items())}
        queryset = self.build(**markers)
        if windowed:  # the whole read's count as a last column (the ORM keeps ORDER BY's positions right)
            queryset = queryset.annotate(compiled_window_count=Window(Count("*")))
        query = queryset.query
        where = self.build.__qualname__
        if query.is_sliced:
            raise CompilationError(f"{where}: give limit= and offset= per call instead of slicing")
        if queryset._iterable_class not in (ValuesIterable, ValuesListIterable, FlatValuesListIterable):
            raise CompilationError(f"{where}: compile .values() or .values_list() querysets")
        compiler = query.get_compiler(self.using)
        sql, params = compiler.as_sql(with_limits=False)
        slots, found = [], set()
        for index, value in enumerate(params):
            for name, marker in markers.items():
                if type(value) is type(marker) and value == marker:
                    slots.append((index, name))
                    found.add(name)
        missing = set(markers) - found
        if missing:
            raise CompilationError(f"{where}: parameters {sorted(missing)} do not reach the SQL unchanged")
        if str(-_BASE)[:8] in sql or "compiled-parameter" in sql or "0001-01-" in sql:
            raise CompilationError(f"{where}: a parameter was written into the SQL text")
        if queryset._iterable_class is ValuesIterable:
            names = list(query.selected) if getattr(query, "selected", None) else [
                *query.extra_select, *query.values_select, *query.annotation_select]
        else:
            names = None
        fields = [column[0] for column in compiler.select[:compiler.col_count]]
        converters = [(position, convs, expression) for position, (convs, expression) in compiler.get_converters(fields).items()]
        if counting:
            sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"
        return sql, tuple(params), tuple(slots), names, queryset._iterable_class, converters

    def sql(self) -> str:
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile()
        return self._compiled[0]

    def _bind(self, params: tuple, slots: tuple, values: dict) -> list:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"{self.build.__qualname__}() takes {sorted(self.kinds)}, got {sorted(values)}")
        bound = list(params)
        for index, name in slots:
            value = values[name]
            bound[index] = list(value) if self.kinds[name] is list else value
        return bound

    def count(self, **values) -> int:
        """How many rows the read gives. Count with a read of the bare keys, unordered (a
        count over the columns' joins and the order would pay for both)."""
        if self._counted is None:
            with self._lock:
                if self._counted is None:
                    self._counted = self._compile(counting=True)
        sql, params, slots = self._counted[:3]
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, self._bind(params, slots, values))
            return cursor.fetchone()[0]

    def __call__(self, *, limit: int | None = None, offset: int = 0, **values) -> list:
        return self._run(values, limit=limit, offset=offset, total=False)[0]

    def page(self, *, limit: int, offset: int = 0, **values) -> tuple[list, int | None]:
        """One page and the number of rows the whole read gives, in one statement (a window
        count rides along each row); the number is None when the page is empty."""
        return self._run(values, limit=limit, offset=offset, total=True)

    def _run(self, values: dict, *, limit: int | None, offset: int, total: bool) -> tuple[list, int | None]:
        if total:
            if self._windowed is None:
                with self._lock:
                    if self._windowed is None:
                        self._windowed = self._compile(windowed=True)
            sql, params, slots, names, iterable, converters = self._windowed
        else:
            self.sql()
            sql, params, slots, names, iterable, converters = self._compiled
        bound = self._bind(params, slots, values)
        if limit is not None:
            sql = f"{sql} LIMIT %s OFFSET %s"
            bound += [limit, offset]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            rows: Iterable = cursor.fetchall()
        if converters:
            rows = _converted(rows, converters, connection)
        counted = None
        if total:
            counted = rows[0][-1] if rows else None
            rows = [row[:-1] for row in rows]
            names = names[:-1] if names else names
        if iterable is ValuesIterable:
            return [dict(zip(names, row)) for row in rows], counted
        if iterable is FlatValuesListIterable:
            return [row[0] for row in rows], counted
        return [tuple(row) for row in rows], counted


def _converted(rows, converters, connection) -> list[list]:
    out = []
    for row in rows:
        row = list(row)
        for position, convs, expression in converters:
            value = row[position]
            for convert in convs:
                value = convert(value, expression, connection)
            row[position] = value
        out.append(row)
    return out


class Paged:
    """A compiled read as a list to paginate: `page()` reads a page and the whole list's count
    in one statement (tenants.api.pagination uses it); slicing reads a page alone and `count()`
    counts `counted`, a read of the same rows' keys without the columns' joins or an order."""

    ordered = True

    def __init__(self, read: CompiledQuery, counted: CompiledQuery, **values):
        self.read, self.counted, self.values = read, counted, values

    def count(self) -> int:
        return self.counted.count(**self.values)

    def __len__(self) -> int:
        return self.count()

    def page(self, *, offset: int, limit: int) -> tuple[list, int | None]:
        """(rows, count of the whole list); the count is None past the end (no rows)."""
        return self.read.page(limit=limit, offset=offset, **self.values)

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("a Paged list is read a page (a slice) at a time")
        start = index.start or 0
        if index.stop is None:
            return self.read(**self.values)[start:]
        return self.read(limit=max(0, index.stop - start), offset=start, **self.values)


def model_from_row(model, names: list[str], row) -> object:
    """A model instance from a compiled `values_list(*names)` row of its own columns."""
    return model.from_db(DEFAULT_DB_ALIAS, names, row)


def compiled(**kinds: type) -> Callable[[Callable[..., QuerySet]], CompiledQuery]:
    """Decorate a function building a `.values()` queryset from keyword parameters."""
    def wrap(build: Callable[..., QuerySet]) -> CompiledQuery:
        return CompiledQuery(build, kinds)
    return wrap
