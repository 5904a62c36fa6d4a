"""Django's connection pool (DB_POOL_SIZE): a pooled connection serves one unit's request, goes
back to the pool, and the next request on it starts with no unit's search_path, whatever its
first statement is."""
import copy

import pytest
from django.db import connection, connections


@pytest.fixture
def pooled(world, django_db_blocker):
    """A second connection to the test database through a pool of exactly one connection, so
    consecutive requests are served by the same server process."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 5}
    wrapper = type(connections["default"])(settings_dict, alias="pool_test")
    with django_db_blocker.unblock():
        try:
            yield wrapper
        finally:
            wrapper.close()
            wrapper.close_pool()


def _request(wrapper, unit=None, *, first_statement_names_its_schemas=False):
    """What a request does with its connection: routing starts in public, the view switches to
    the unit, and at the end Django closes the connection, which hands it back to the pool."""
    wrapper.set_schema_to_public()
    if unit is not None:
        wrapper.set_tenant(unit)
    try:
        if first_statement_names_its_schemas:  # like routing's query, which sets no path
            with wrapper.schema_independent(), wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid(), current_setting('search_path')")
                return cursor.fetchone()
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_setting('search_path')")
            return cursor.fetchone()
    finally:
        wrapper.close()


def test_the_next_request_on_a_pooled_connection_carries_no_units_path(world, pooled):
    a, b = world["A"].unit, world["B"].unit
    pid_a, path_a = _request(pooled, a)
    assert a.schema_name in path_a
    # The same server process, and the statement that runs before any SET sees the default path.
    pid_next, path_next = _request(pooled, first_statement_names_its_schemas=True)
    assert pid_next == pid_a
    assert a.schema_name not in path_next and path_next == '"$user", public'
    pid_b, path_b = _request(pooled, b)
    assert pid_b == pid_a and b.schema_name in path_b and a.schema_name not in path_b


def test_a_connection_in_the_pool_holds_the_servers_default_path(world, pooled):
    _request(pooled, world["A"].unit)
    with pooled.pool.connection() as raw:
        assert raw.execute("SHOW search_path").fetchone()[0] == '"$user", public'


def test_returning_to_the_same_unit_on_a_pooled_connection_sets_the_path_again(world, pooled):
    a = world["A"].unit
    _request(pooled, a)
    # The wrapper must not trust what it set on the connection before it went back to the pool.
    pid, path = _request(pooled, a)
    assert a.schema_name in path


@pytest.fixture
def own_connection(world, django_db_blocker):
    """A second, unpooled connection to the test database, as each web worker thread keeps one."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = None  # persistent: only the unit limit may end it
    wrapper = type(connections["default"])(settings_dict, alias="units_test")
    with django_db_blocker.unblock():
        try:
            yield wrapper
        finally:
            wrapper.close()


def _serve(wrapper, unit) -> int:
    """One request in `unit`, then what Django does at its end; returns the server process id."""
    wrapper.set_tenant(unit)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    wrapper.close_if_unusable_or_obsolete()
    return pid


def test_a_connection_that_served_more_units_than_the_limit_is_ended(world, own_connection, settings):
    """PostgreSQL's per-connection catalog caches grow with every unit schema a connection touches
    (make bench-scale): a connection is replaced once it has served DB_CONN_MAX_UNITS units."""
    settings.DB_CONN_MAX_UNITS = 2
    a, b, c = world["A"].unit, world["B"].unit, world["C"].unit
    first = _serve(own_connection, a)
    assert _serve(own_connection, b) == first and _serve(own_connection, a) == first  # two units: kept
    _serve(own_connection, c)  # a third unit: ended after this request
    assert own_connection.connection is None
    assert _serve(own_connection, a) != first  # the next request opens a fresh one


def test_without_a_limit_the_connection_is_kept(world, own_connection, settings):
    settings.DB_CONN_MAX_UNITS = 0
    pids = {_serve(own_connection, w.unit) for w in world.units.values()}
    assert len(pids) == 1 and own_connection.connection is not None


def test_with_the_pool_a_connection_that_served_more_units_than_the_limit_is_ended(world, pooled, settings):
    """Each request takes a connection from the pool and hands it back: the units a server
    connection has served are counted across requests, not per checkout."""
    settings.DB_CONN_MAX_UNITS = 2
    a, b, c = world["A"].unit, world["B"].unit, world["C"].unit
    first = _serve(pooled, a)
    assert pooled.connection is None  # handed back to the pool after the request
    assert _serve(pooled, b) == first and _serve(pooled, a) == first  # two units: the same server process
    assert _serve(pooled, c) == first  # a third unit: served, then the connection is ended
    assert _serve(pooled, a) != first  # the pool opened a fresh one
