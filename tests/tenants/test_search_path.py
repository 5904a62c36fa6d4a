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
