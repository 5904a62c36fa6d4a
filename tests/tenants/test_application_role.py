"""The application connects as a role with no superuser rights and no DDL; audit entries are
append-only by its privileges; it creates units only through the owner's functions."""
import os
import signal
import uuid

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from tenants.models import Unit
from tenants.services import unit_create, unit_run

APP = settings.DATABASE_APP_ROLE


def _one(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _rows(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _schemas(world) -> list[str]:
    return ["public", settings.TENANT_BASE_SCHEMA] + [u.unit.schema_name for u in world.units.values()]


def _tables_lacking(schema: str, privilege: str) -> list[str]:
    return [name for (name,) in _rows(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname <> 'audit_auditentry'
             AND NOT has_table_privilege(%s, c.oid, %s) ORDER BY 1""", [schema, APP, privilege])]


def test_tests_and_the_application_run_as_a_role_without_superuser_rights(world, db):
    user, superuser, create_role, create_db = _one(
        "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
    assert (user, superuser, create_role, create_db) == (APP, False, False, False)
    assert _one("SELECT has_database_privilege(current_user, current_database(), 'CREATE')")[0] is False


def test_the_role_may_create_no_schema_and_no_table(world, db):
    for statement in ("CREATE SCHEMA u_intruder", f'CREATE TABLE "{world["A"].unit.schema_name}".intruder (id int)',
                      "CREATE TABLE public.intruder (id int)"):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


@pytest.mark.parametrize("privilege", ["SELECT", "INSERT", "UPDATE", "DELETE"])
def test_the_role_reads_and_writes_every_other_table_of_every_schema(world, db, privilege):
    lacking = {schema: _tables_lacking(schema, privilege) for schema in _schemas(world)}
    assert lacking == {schema: [] for schema in _schemas(world)}


def test_audit_entries_may_be_read_and_added_but_not_changed_in_any_schema(world, db):
    for schema in _schemas(world):
        table = f'"{schema}".audit_auditentry'
        granted = {p: _one("SELECT has_table_privilege(%s, %s, %s)", [APP, table, p])[0]
                   for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")}
        assert granted == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}, schema


def test_changing_an_audit_entry_is_refused_by_privilege_not_only_by_the_trigger(world, db):
    with unit_run(world["A"].unit):
        entry = AuditEntry.objects.create(actor_label="test", schema="u_unit_a", action=AuditEntry.Action.CREATE, model="test", object_id="1", object_repr="kept")
        for statement in ("UPDATE audit_auditentry SET object_repr = 'changed' WHERE id = %s",
                          "DELETE FROM audit_auditentry WHERE id = %s"):
            # The trigger would say "append-only"; the privilege check comes first and refuses.
            with pytest.raises(DatabaseError, match="permission denied for table audit_auditentry"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, [entry.pk])
        assert AuditEntry.objects.get(pk=entry.pk).object_repr == "kept"


def test_a_unit_created_by_the_application_role_belongs_to_the_owner_and_keeps_audit_append_only(world, db):
    unit = unit_create(name="Role Town", slug="role-town", kind="township", county=world.counties["K1"])
    assert unit.status == Unit.Status.ACTIVE
    owners = {owner for (owner,) in _rows(
        """SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s""", [unit.schema_name])}
    assert owners and APP not in owners
    assert _one("SELECT has_table_privilege(%s, %s, 'UPDATE')", [APP, f'"{unit.schema_name}".audit_auditentry'])[0] is False
    assert _one("SELECT has_table_privilege(%s, %s, 'INSERT')", [APP, f'"{unit.schema_name}".audit_auditentry'])[0] is True
    assert all(_tables_lacking(unit.schema_name, p) == [] for p in ("SELECT", "INSERT", "UPDATE", "DELETE"))


@pytest.mark.parametrize("schema", ["public", "unit_template", "u_unit_a", 'u_x"; DROP SCHEMA public; --'])
def test_the_owner_functions_touch_only_a_unit_being_provisioned(world, db, schema):
    for function in ("jiannuo_unit_schema_drop", "jiannuo_unit_schema_create"):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT public.{function}(%s)", [schema])
    assert _one("SELECT count(*) FROM pg_namespace WHERE nspname IN ('public', 'unit_template', 'u_unit_a')")[0] == 3


def test_the_citus_hook_does_nothing_on_plain_postgresql(world, db):
    assert _one("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")[0] == 0
    assert _one("SELECT public.jiannuo_unit_schema_distribute(%s)", [world["A"].unit.schema_name])[0] is None


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("DATABASE_APP_URL"), reason="DATABASE_APP_URL is unset: run through `make test`")
def test_a_real_worker_runs_unit_tasks_as_the_application_role(world, django_db_blocker):
    import redis

    from tests.support.tasks import attempts_key, database_role
    from tests.support.workers import start_worker, wait_for

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    key, queue = f"role-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex}"
    worker = start_worker(queue)
    try:
        with django_db_blocker.unblock(), unit_run(world["B"].unit):
            database_role.apply_async(args=(key,), queue=queue)
        assert wait_for(lambda: client.get(attempts_key(key)) is not None, 60), "the worker never ran the task"
        assert client.get(attempts_key(key)).decode() == f"{APP} {world['B'].unit.schema_name}"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
        client.delete(attempts_key(key), queue)


@pytest.mark.as_owner
def test_a_first_install_lets_the_application_role_log_in_without_any_other_right(db, settings):
    from tenants.roles import application_role_login

    settings.DATABASE_APP_ROLE = "jiannuo_app_first_install"  # rolled back with the test's transaction
    application_role_login("a-long-random-password")
    application_role_login("another-password")  # again: the password changes, nothing else
    assert _one("""SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolpassword IS NOT NULL
                   FROM pg_authid WHERE rolname = %s""", ["jiannuo_app_first_install"]) == (True, False, False, False, False, True)
