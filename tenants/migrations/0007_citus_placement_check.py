"""The Citus hook checks placement, not only registration, and distributes whatever way the schema
was made.

- `jiannuo_citus_present()`: whether this database is a Citus coordinator (the one place that asks).
- `jiannuo_unit_schema_distribute(schema)`: distributes the schema unless Citus already has it (a
  schema created with schema-based sharding on is distributed as it is made), then returns every
  table of the schema that is not a single-shard table of the schema's own colocation group — the
  group `pg_dist_schema` gives the schema, so all its tables live together on one node. Provisioning
  fails, and the unit is rolled back, unless there is none. NULL on plain PostgreSQL.

Citus' catalogs are named without a schema and the functions search `pg_catalog` first, where
Citus keeps them.
"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION public.jiannuo_citus_present() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
$fn$;

CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_distribute(target text) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    unplaced text[];
    distributed boolean;
BEGIN
    IF NOT public.jiannuo_citus_present() THEN
        RETURN NULL;
    END IF;
    IF target !~ '^u_[a-z0-9_]{1,60}$' THEN
        RAISE EXCEPTION 'not a unit schema name: %', target USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tenants_unit WHERE schema_name = target AND status = 'provisioning') THEN
        RAISE EXCEPTION 'no unit is being provisioned in schema %', target USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Citus refuses tables with triggers; on Citus, privileges alone keep audit append-only.
    EXECUTE format('DROP TRIGGER IF EXISTS audit_entry_append_only ON %I.audit_auditentry', target);
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_dist_schema WHERE schemaid = $1::regnamespace)' INTO distributed USING target;
    IF NOT distributed THEN
        EXECUTE 'SELECT citus_schema_distribute($1::regnamespace)' USING target;
    END IF;
    EXECUTE $q$
        SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (
              SELECT 1 FROM pg_dist_partition p JOIN pg_dist_schema s ON s.schemaid = n.oid
              WHERE p.logicalrelid = c.oid AND p.colocationid = s.colocationid)
    $q$ INTO unplaced USING target;
    RETURN unplaced;
END
$fn$;
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_distribute(target text) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    unplaced text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN NULL;
    END IF;
    IF target !~ '^u_[a-z0-9_]{1,60}$' THEN
        RAISE EXCEPTION 'not a unit schema name: %', target USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tenants_unit WHERE schema_name = target AND status = 'provisioning') THEN
        RAISE EXCEPTION 'no unit is being provisioned in schema %', target USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS audit_entry_append_only ON %I.audit_auditentry', target);
    EXECUTE 'SELECT citus_schema_distribute($1::regnamespace)' USING target;
    EXECUTE $q$
        SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
    $q$ INTO unplaced USING target;
    RETURN unplaced;
END
$fn$;
DROP FUNCTION IF EXISTS public.jiannuo_citus_present();
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_fan_out_mark")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
