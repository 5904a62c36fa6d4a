"""The Citus hook at provisioning, against a stand-in of Citus' catalogs (Citus is not installable
here). The stand-in is built in the test's transaction, as the owner: `pg_dist_schema` and
`pg_dist_partition` in the public schema (the hook searches pg_catalog first, where Citus keeps them,
and finds these only because Citus is absent), a `citus_schema_distribute` that registers the
schema's tables as a real one would — or leaves one out, or puts one in another colocation group —
and `jiannuo_citus_present()` answering yes. What it proves: provisioning calls the hook for every
way a unit is made, fails and rolls the unit back unless every table is placed with its schema.
What it cannot: that Citus itself behaves as its documentation says (README, Scaling out)."""
import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.models import Unit
from tenants.services import ProvisioningError, unit_create

pytestmark = pytest.mark.as_owner  # the stand-in is DDL


def _citus_stand_in(*, leave_out: str = "", other_group: str = "") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE TABLE public.pg_dist_schema (schemaid oid PRIMARY KEY, colocationid int NOT NULL UNIQUE);
            CREATE TABLE public.pg_dist_partition (logicalrelid regclass NOT NULL, colocationid int NOT NULL);
            CREATE SEQUENCE public.stand_in_colocation;
            CREATE FUNCTION public.citus_schema_distribute(target regnamespace) RETURNS void
            LANGUAGE plpgsql AS $fn$
            DECLARE
                group_id int := nextval('public.stand_in_colocation');
            BEGIN
                INSERT INTO public.pg_dist_schema VALUES (target, group_id);
                INSERT INTO public.pg_dist_partition
                SELECT c.oid, CASE WHEN c.relname = '{other_group}' THEN group_id + 1000 ELSE group_id END
                FROM pg_class c WHERE c.relnamespace = target AND c.relkind IN ('r', 'p') AND c.relname <> '{leave_out}';
            END
            $fn$;
            CREATE OR REPLACE FUNCTION public.jiannuo_citus_present() RETURNS boolean LANGUAGE sql AS 'SELECT true';
        """)


def _distributed_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaid::regnamespace::text FROM public.pg_dist_schema ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def _has_audit_trigger(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND t.tgname = 'audit_entry_append_only')""", [schema])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("method", ["clone", "migrate"])
def test_a_new_unit_is_distributed_whole_on_citus(world, db, method):
    _citus_stand_in()
    unit = unit_create(name="Citus Town", slug=f"citus-{method}", kind="township", county=world.counties["K1"], method=method)
    assert unit.status == Unit.Status.ACTIVE
    assert _distributed_schemas() == [unit.schema_name]
    assert not _has_audit_trigger(unit.schema_name)  # Citus refuses tables with triggers: privileges keep audit append-only
    assert _has_audit_trigger(world["A"].unit.schema_name)  # units already there are left as they are


@pytest.mark.parametrize("misplaced", [{"leave_out": "pledges_pledge"}, {"other_group": "audit_auditentry"}])
def test_a_unit_whose_tables_citus_did_not_place_with_its_schema_is_rolled_back(world, db, misplaced):
    _citus_stand_in(**misplaced)
    with pytest.raises(ProvisioningError) as refused:
        unit_create(name="Half Town", slug="half-town", kind="township", county=world.counties["K1"])
    assert next(iter(misplaced.values())) in str(refused.value)  # names the table
    assert not Unit.objects.filter(slug="half-town").exists()
    assert not schema_exists("u_half_town")


def test_a_schema_citus_already_distributed_is_checked_not_distributed_again(world, db):
    """With schema-based sharding on, a schema is distributed as it is created."""
    _citus_stand_in()
    with connection.cursor() as cursor:
        cursor.execute("CREATE OR REPLACE FUNCTION public.jiannuo_citus_present() RETURNS boolean LANGUAGE sql AS 'SELECT false'")
    unit = unit_create(name="Early Town", slug="early-town", kind="township", county=world.counties["K1"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.citus_schema_distribute(%s::regnamespace)", [unit.schema_name])  # as sharding would have
        cursor.execute("UPDATE public.tenants_unit SET status = 'provisioning' WHERE id = %s", [unit.pk])
        cursor.execute("CREATE OR REPLACE FUNCTION public.jiannuo_citus_present() RETURNS boolean LANGUAGE sql AS 'SELECT true'")
        cursor.execute("SELECT public.jiannuo_unit_schema_distribute(%s)", [unit.schema_name])
        assert cursor.fetchone()[0] == []
    assert _distributed_schemas() == [unit.schema_name]  # registered once (a second registration would break the key)
