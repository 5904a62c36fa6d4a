"""The application role creates units without any right to create schemas: these SECURITY
DEFINER functions, owned by the migrating role, do the DDL for it and nothing else.

- `jiannuo_unit_schema_create(schema)` clones the unit template into the schema of a unit row
  that is being provisioned, then grants the application role the same rights as everywhere
  else (audit entries: SELECT and INSERT only).
- `jiannuo_unit_schema_drop(schema)` undoes a failed provisioning; it refuses any other schema.
- `jiannuo_unit_schema_distribute(schema)` is the Citus hook: NULL on plain PostgreSQL; on a
  Citus coordinator it distributes the schema (citus_schema_distribute, Citus 12+) and returns
  the unit tables that did not land in Citus' metadata (none, or provisioning fails). Cloning
  runs inside a PL/pgSQL function, where Citus' schema-based sharding would register the schema
  and leave its tables on the coordinator: the clone turns sharding off for itself and the
  schema is distributed afterwards, whole.
"""
from django.conf import settings
from django.db import migrations


def functions_create(apps, schema_editor):
    role = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
    template = settings.TENANT_BASE_SCHEMA.replace("'", "''")
    provisioning_check = """
    IF target !~ '^u_[a-z0-9_]{1,60}$' THEN
        RAISE EXCEPTION 'not a unit schema name: %', target USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tenants_unit WHERE schema_name = target AND status = 'provisioning') THEN
        RAISE EXCEPTION 'no unit is being provisioned in schema %', target USING ERRCODE = 'insufficient_privilege';
    END IF;
"""
    sql = f"""
CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_create(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
    {provisioning_check}
    PERFORM set_config('citus.enable_schema_based_sharding', 'off', true);
    PERFORM public.clone_schema('{template}', target, 'DATA');
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', target);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {role}', target);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO {role}', target);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %I.audit_auditentry FROM {role}', target);
END
$fn$;

CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_drop(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
    {provisioning_check}
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', target);
END
$fn$;

CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_distribute(target text) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    unplaced text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN NULL;
    END IF;
    {provisioning_check}
    -- Citus refuses tables with triggers; on Citus, privileges alone keep audit append-only.
    EXECUTE format('DROP TRIGGER IF EXISTS audit_entry_append_only ON %I.audit_auditentry', target);
    EXECUTE 'SELECT citus_schema_distribute($1::regnamespace)' USING target;
    EXECUTE $q$
        SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{{}}')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
    $q$ INTO unplaced USING target;
    RETURN unplaced;
END
$fn$;

REVOKE ALL ON FUNCTION public.jiannuo_unit_schema_create(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.jiannuo_unit_schema_drop(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.jiannuo_unit_schema_distribute(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.jiannuo_unit_schema_create(text) TO {role};
GRANT EXECUTE ON FUNCTION public.jiannuo_unit_schema_drop(text) TO {role};
GRANT EXECUTE ON FUNCTION public.jiannuo_unit_schema_distribute(text) TO {role};
"""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: the % of format() is not a placeholder


def functions_drop(apps, schema_editor):
    schema_editor.execute("""
DROP FUNCTION IF EXISTS public.jiannuo_unit_schema_create(text);
DROP FUNCTION IF EXISTS public.jiannuo_unit_schema_drop(text);
DROP FUNCTION IF EXISTS public.jiannuo_unit_schema_distribute(text);
""")


class Migration(migrations.Migration):
    # The application role is created and granted by audit 0003.
    dependencies = [("tenants", "0003_outbox_pending_flag"), ("audit", "0003_append_only_by_privilege")]
    operations = [migrations.RunPython(functions_create, functions_drop, elidable=False)]
