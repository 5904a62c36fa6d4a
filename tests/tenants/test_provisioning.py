"""Creating a unit: cloned from the template schema, closed to traffic until complete."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.models import Unit
from tenants.organization.models import Member, Organization
from tenants.services import unit_create, unit_run
from tests.conftest import api_client_for


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select table_name from information_schema.tables where table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_cloned_unit_has_the_template_tables_and_no_data(world, db):
    unit = unit_create(name="New Town", slug="new-town", kind="township", county=world.counties["K1"])
    assert unit.status == Unit.Status.ACTIVE
    assert _tables(unit.schema_name) == _tables("unit_template")
    with unit_run(unit):
        assert Member.objects.count() == 0 and Organization.objects.count() == 0


@pytest.mark.as_owner  # replaying migrations is DDL, which only the owning role may do
def test_clone_and_migrate_give_the_same_schema(world, db):
    cloned = unit_create(name="Cloned", slug="cloned", kind="school", county=world.counties["K1"], method="clone")
    migrated = unit_create(name="Migrated", slug="migrated", kind="school", county=world.counties["K1"], method="migrate")
    assert _tables(cloned.schema_name) == _tables(migrated.schema_name)


def test_unit_under_a_city_is_refused(world, db):
    with pytest.raises(ValidationError):
        unit_create(name="Nowhere", slug="nowhere", kind="township", county=world.counties["city"])
    assert not Unit.objects.filter(slug="nowhere").exists()


def test_bad_slug_is_refused_before_any_schema_exists(world, db):
    with pytest.raises(ValidationError):
        unit_create(name="Bad", slug="Bad Slug!", kind="township", county=world.counties["K1"])
    assert not schema_exists("u_Bad Slug!")


def test_unit_still_provisioning_takes_no_requests(world, db):
    Unit.objects.filter(pk=world["B"].unit.pk).update(status=Unit.Status.PROVISIONING)
    assert api_client_for(world["B"].admin).get("/api/v1/u/unit-b/me/").status_code == 503
