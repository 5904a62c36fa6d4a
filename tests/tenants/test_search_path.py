"""The connection names its schema once per switch (TENANT_LIMIT_SET_CALLS), and never trusts
a `SET search_path` that a rollback has undone: PostgreSQL reverts a SET issued inside a
transaction or savepoint that is rolled back, so the next query must name the schema again."""
import pytest
from django.db import connection, transaction

from tests.jiannuo.test_routing import SchemaOfEachStatement


def _sets(statements) -> list[str]:
    return [sql for _schema, sql in statements if sql.startswith("SET search_path")]


def test_one_set_per_schema_switch(world, db):
    recorder = SchemaOfEachStatement()
    with connection.execute_wrapper(recorder):
        connection.set_tenant(world["A"].unit)
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert len(_sets(recorder.statements)) == 2


def _path_a_query_runs_in() -> str:
    with connection.cursor() as cursor:  # through django-tenants, as every query of the app
        cursor.execute("SELECT current_setting('search_path')")
        return cursor.fetchone()[0]


def test_after_a_rolled_back_savepoint_queries_still_run_in_the_unit_the_connection_names(world, db):
    a, b = world["A"].unit, world["B"].unit
    connection.set_tenant(a)
    assert a.schema_name in _path_a_query_runs_in()  # the server is on unit A
    with pytest.raises(RuntimeError):
        with transaction.atomic():  # a savepoint inside the test's transaction
            connection.set_tenant(b)
            assert b.schema_name in _path_a_query_runs_in()  # SET to B inside the savepoint…
            raise RuntimeError("…which is rolled back: PostgreSQL puts the server back on A")
    assert connection.schema_name == b.schema_name
    # Trusting the SET the rollback undid would run this in unit A's schema.
    seen = _path_a_query_runs_in()
    assert b.schema_name in seen and a.schema_name not in seen
    connection.set_schema_to_public()
    assert _path_a_query_runs_in() == "public"


def test_returning_to_the_path_the_connection_holds_sets_nothing(world, db):
    a, b = world["A"].unit, world["B"].unit
    recorder = SchemaOfEachStatement()
    with connection.execute_wrapper(recorder):
        connection.set_tenant(a)
        assert a.schema_name in _path_a_query_runs_in()
        connection.set_schema_to_public()  # as every request ends…
        connection.set_tenant(a)  # …and the next one, in the same unit, begins
        assert a.schema_name in _path_a_query_runs_in()
        connection.set_tenant(b)
        assert b.schema_name in _path_a_query_runs_in()
    assert len(_sets(recorder.statements)) == 2  # A once, then B


def test_after_a_rollback_the_path_is_set_again_even_to_the_same_unit(world, db):
    a, b = world["A"].unit, world["B"].unit
    connection.set_tenant(a)
    assert a.schema_name in _path_a_query_runs_in()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            connection.set_tenant(b)
            assert b.schema_name in _path_a_query_runs_in()
            raise RuntimeError("rolled back: the server is on A again")
    connection.set_tenant(b)  # the connection's record of B died with the savepoint
    seen = _path_a_query_runs_in()
    assert b.schema_name in seen and a.schema_name not in seen


def test_unit_requests_in_a_row_set_the_path_once_and_each_statement_runs_in_its_unit(world, db):
    """Routing's query names its schema, so it runs under any path; a second request to the
    same unit on the same connection then sets nothing, and one to another unit sets its path."""
    from tests.conftest import api_client_for, unit_url

    A, B = world["A"], world["B"]
    admin_a, admin_b = api_client_for(A.admin), api_client_for(B.admin)
    assert admin_a.get(unit_url(A, "members/")).status_code == 200  # the connection now holds A's path
    paths: list[tuple[str, str]] = []

    def real_path(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not sql.startswith("SET"):  # asked of the server directly, past Django's wrappers
            paths.append((sql, connection.connection.execute("SELECT current_setting('search_path')").fetchone()[0]))
        return result

    recorder = SchemaOfEachStatement()
    with connection.execute_wrapper(recorder), connection.execute_wrapper(real_path):
        first = admin_a.get(unit_url(A, "members/"))
        sets_a = len(_sets(recorder.statements))
        unit_paths_a = [path for sql, path in paths if '"public".' not in sql]
        paths.clear()
        second = admin_b.get(unit_url(B, "members/"))
    assert first.status_code == second.status_code == 200
    assert sets_a == 0 and unit_paths_a and all(A.unit.schema_name in p for p in unit_paths_a)
    assert len(_sets(recorder.statements)) == 1  # B's
    unit_paths_b = [path for sql, path in paths if '"public".' not in sql]
    assert unit_paths_b and all(B.unit.schema_name in p and A.unit.schema_name not in p for p in unit_paths_b)


def test_a_statement_prepared_in_one_unit_reads_the_next_units_rows(world, db):
    """Prepared statements (DB_PREPARE_THRESHOLD): a statement the connection prepared while on
    unit A's path, executed after the path moved to unit B, reads B's tables: PostgreSQL
    re-parses a prepared statement when search_path changes. Members are told apart by name."""
    from django.conf import settings

    from tenants.organization.models import Member

    threshold = settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold")
    assert threshold is not None, "the test settings prepare statements, as production does"
    sql = f'SELECT name FROM {Member._meta.db_table} ORDER BY name'  # names no schema

    def names() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(sql + " LIMIT %s", [1000])
            return [row[0] for row in cursor.fetchall()]

    a, b = world["A"].unit, world["B"].unit
    connection.set_tenant(a)
    in_a = names()
    for _ in range(threshold + 1):  # past the threshold: the statement is prepared on the connection
        assert names() == in_a
    prepared = connection.connection.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                                             [f"%{Member._meta.db_table}%"]).fetchone()[0]
    assert prepared >= 1
    connection.set_tenant(b)
    in_b = names()
    connection.set_tenant(a)
    assert in_a and in_b and not set(in_a) & set(in_b)  # every member's name is their unit's own
    assert names() == in_a


def test_a_schemas_table_list_is_djangos_and_scans_no_catalog_whole(world, db):
    """The migration recorder lists a unit's tables several times per unit migrated; Django's own
    query tests every relation of the database (0.5 s a call at 3,000 units)."""
    from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection

    for unit in (None, world["A"].unit):
        connection.set_schema_to_public() if unit is None else connection.set_tenant(unit)
        with connection.cursor() as cursor:
            djangos = sorted(DatabaseSchemaIntrospection.get_table_list(connection.introspection, cursor))
            cursor.execute("SELECT pg_stat_get_xact_numscans('pg_class'::regclass)")
            scans = cursor.fetchone()[0]
            ours = sorted(connection.introspection.get_table_list(cursor))
            cursor.execute("SELECT pg_stat_get_xact_numscans('pg_class'::regclass)")
            assert cursor.fetchone()[0] == scans  # no sequential scan of pg_class
        assert ours == djangos and len(ours) > 30
    connection.set_schema_to_public()
