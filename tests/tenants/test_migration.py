"""Migrating many units: the template first, then only the units behind it, several processes
at a time; a unit is closed while it migrates and open again after, even when it fails."""
import os

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.migration import _fingerprint, units_migrate
from tenants.models import Unit
from tenants.services import unit_create

pytestmark = pytest.mark.as_owner  # migrations are DDL: the owning role's work


def _unapply_last_audit_migration(unit: Unit) -> None:
    call_command("migrate_schemas", "audit", "0002_append_only", schema_name=unit.schema_name, tenant=True,
                 interactive=False, verbosity=0)
    connection.set_schema_to_public()


@pytest.fixture
def units_behind(world, django_db_blocker):
    """Two committed units, each one migration behind the template (worker processes must see them)."""
    with django_db_blocker.unblock():
        units = [unit_create(name=f"Behind {i}", slug=f"behind-{i}", kind="township", county=world.counties["K1"])
                 for i in (1, 2)]
        for unit in units:
            _unapply_last_audit_migration(unit)
        try:
            yield units
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                for unit in units:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{unit.schema_name}" CASCADE')
            Unit.objects.filter(pk__in=[u.pk for u in units]).delete()


def _app_may_insert_audit(unit: Unit) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, 'INSERT')",
                       [settings.DATABASE_APP_ROLE, f'"{unit.schema_name}".audit_auditentry'])
        return cursor.fetchone()[0]


def test_only_units_behind_the_template_migrate_and_in_parallel_processes(world, units_behind, django_db_blocker):
    with django_db_blocker.unblock():
        template = _fingerprint(settings.TENANT_BASE_SCHEMA)
        assert all(_fingerprint(u.schema_name) != template for u in units_behind)
        assert not any(_app_may_insert_audit(u) for u in units_behind)

        report = units_migrate(processes=2)

        assert sorted(report.migrated) == sorted(u.schema_name for u in units_behind)
        assert {w.unit.schema_name for w in world.units.values()} <= set(report.up_to_date)
        assert report.failed == {}
        assert len(report.processes) == 2 and os.getpid() not in report.processes
        assert all(_fingerprint(u.schema_name) == template for u in units_behind)
        assert all(_app_may_insert_audit(u) for u in units_behind)  # the migration really ran
        assert set(Unit.objects.filter(pk__in=[u.pk for u in units_behind]).values_list("status", flat=True)) == {"active"}

        again = units_migrate(processes=2)
        assert again.migrated == [] and again.processes == set()
        assert {u.schema_name for u in units_behind} <= set(again.up_to_date)


def test_a_unit_that_fails_is_reported_reopened_and_the_others_still_migrate(world, units_behind, django_db_blocker):
    broken, fine = units_behind
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:  # the migration it is behind by cannot apply here
            cursor.execute(f'DROP TABLE "{broken.schema_name}".audit_auditentry')
        with pytest.raises(CommandError, match=broken.schema_name):
            call_command("migrate_platform", processes=2, verbosity=0)
        assert Unit.objects.get(pk=broken.pk).status == Unit.Status.ACTIVE
        assert _fingerprint(fine.schema_name) == _fingerprint(settings.TENANT_BASE_SCHEMA)
        assert _fingerprint(broken.schema_name) != _fingerprint(settings.TENANT_BASE_SCHEMA)


def test_a_unit_left_migrating_by_a_stopped_run_is_reopened(world, units_behind, django_db_blocker):
    stuck, up_to_date_but_stuck = units_behind
    with django_db_blocker.unblock():
        call_command("migrate_schemas", schema_name=up_to_date_but_stuck.schema_name, tenant=True, interactive=False, verbosity=0)
        connection.set_schema_to_public()
        Unit.objects.filter(pk__in=[u.pk for u in units_behind]).update(status=Unit.Status.MIGRATING)
        report = units_migrate(processes=1)
        assert report.migrated == [stuck.schema_name]
        assert up_to_date_but_stuck.schema_name in report.up_to_date
        assert set(Unit.objects.filter(pk__in=[u.pk for u in units_behind]).values_list("status", flat=True)) == {"active"}
