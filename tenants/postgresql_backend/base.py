"""django-tenants' PostgreSQL backend, issuing `SET search_path` only when the connection's
path really changes.

django-tenants forgets what the connection holds on every `set_tenant`, so each unit
request paid two statements: `SET search_path = public` for routing and `SET search_path =
<unit>, public` for the view, even when the previous request on that connection was in the
same unit. Here the path the connection holds is remembered (and forgotten on close, on
every rollback and savepoint rollback, as the base does for its own record: PostgreSQL undoes
a SET inside a transaction rolled back), so switching to the path already set costs nothing.
Routing's one public query names its schema in the SQL (`schema_independent`), so it runs
under whatever path the connection holds.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager

from django.conf import settings
from django_tenants.postgresql_backend import base

from .introspection import UnitIntrospection


def _pooled_connection_reset(connection) -> None:
    """A connection handed back to the pool forgets the unit it served: the next request starts
    from the server's default path whatever it does first."""
    with connection.transaction():  # commits at once whatever the connection's autocommit
        connection.execute("RESET search_path")


# The unit schemas each server connection has served, kept with the psycopg connection itself:
# with Django's pool a request's wrapper gets a different connection from the pool each time, so
# a count kept on the wrapper would restart with every checkout and never reach the limit.
_units_served: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def units_served(raw_connection) -> set[str]:
    return _units_served.setdefault(raw_connection, set())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        self._path_on_connection: list[str] | None = None
        self._schema_independent = False
        super().__init__(*args, **kwargs)
        self.introspection = UnitIntrospection(self)
        pool = self.settings_dict.get("OPTIONS", {}).get("pool")
        if pool:
            self.settings_dict["OPTIONS"]["pool"] = {**({} if pool is True else pool), "reset": _pooled_connection_reset}

    def set_tenant(self, tenant, include_public=True):
        on_connection = self._path_on_connection
        super().set_tenant(tenant, include_public)
        if on_connection is not None and on_connection == self._get_cursor_search_paths():
            self.search_path_set_schemas = on_connection

    def _handle_search_path(self, cursor=None):
        if self._schema_independent:
            return
        super()._handle_search_path(cursor)
        if not self._setting_search_path:
            self._path_on_connection = self.search_path_set_schemas
            if self.schema_name != "public" and self.connection is not None:
                units_served(self.connection).add(self.schema_name)

    @contextmanager
    def schema_independent(self):
        """Statements inside name the schema of every table they read (`public.x`): they run
        under the path the connection holds, without setting one."""
        self._schema_independent = True
        try:
            yield
        finally:
            self._schema_independent = False

    def _forget_path(self):
        self._path_on_connection = None

    def connect(self):
        self._forget_path()
        self.search_path_set_schemas = None
        super().connect()

    def close_if_unusable_or_obsolete(self):
        """Also end a connection (at the end of a request or task) once it has served more than
        DB_CONN_MAX_UNITS units: PostgreSQL keeps every table a connection has touched in that
        connection's catalog caches, which grow by a few hundred kilobytes a unit schema and are
        only freed with the connection (README, "Scaling out"; make bench-scale measures it)."""
        limit = settings.DB_CONN_MAX_UNITS
        raw = self.connection
        if raw is not None and limit and not self.in_atomic_block and len(units_served(raw)) > limit:
            if self.pool:
                raw.close()  # a closed connection is dropped by the pool, not handed out again
            self.close()
            return
        super().close_if_unusable_or_obsolete()

    def close(self):
        self._forget_path()
        super().close()

    def rollback(self):
        self._forget_path()
        super().rollback()

    def savepoint_rollback(self, sid):
        self._forget_path()
        super().savepoint_rollback(sid)
