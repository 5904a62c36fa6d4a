"""Units are cloned by `jiannuo_schema_clone(source, dest)`, whose every catalog read is keyed by the
template's own objects, so a clone costs the same at 3,000 units as at 30.

django-tenants' `clone_schema()` (a general-purpose PL/pgSQL function) found the template's objects
with catalog queries not confined to the template: it paired sequences with their columns by scanning
every sequence and pg_depend row of the database, and each table's indexes by joining pg_indexes with
itself across every schema holding a table of that name. A clone cost about 1 s at 10 units and
25-100 s at 300: provisioning a city grew quadratically.

The DDL is PostgreSQL's own: `CREATE TABLE ... (LIKE ... INCLUDING ALL)` for columns, defaults,
identity, CHECK constraints and comments; pg_get_constraintdef/indexdef/triggerdef/functiondef for the
rest, so names are kept exactly (later migrations drop them by name). Privileges are not copied:
`jiannuo_unit_schema_create` grants the application role its rights on the new schema. What the
template holds beyond that is refused loudly (SQLSTATE 'JN001') rather than copied halfway.

It runs as SQL in the database, not from Python, because the application role creates units only
through the owner's SECURITY DEFINER function (tenants 0004), which now calls it.
"""
from django.conf import settings
from django.db import migrations

# None of these reads may scan a whole catalog: pg_class, pg_constraint, pg_type and pg_proc have no
# index leading with the namespace, so the schema's own objects are found through pg_depend (each
# depends on its namespace: pg_depend_reference_index), and the rest through their relation's oid.
CLONE = r"""
CREATE OR REPLACE FUNCTION public.jiannuo_schema_clone(source text, dest text) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $fn$
DECLARE
    ns oid;
    qsrc text := quote_ident(source);
    qdst text := quote_ident(dest);
    tables oid[];
    unsupported text;
    r record;
    def text;
BEGIN
    SELECT oid INTO ns FROM pg_namespace WHERE nspname = source;
    IF ns IS NULL THEN
        RAISE EXCEPTION 'no schema %', source USING ERRCODE = 'invalid_schema_name';
    END IF;

    WITH own AS (
        SELECT d.classid, d.objid FROM pg_depend d
         WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns AND d.refobjsubid = 0)
    SELECT string_agg(what, ', ') INTO unsupported FROM (
        SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text AS what FROM own JOIN pg_class c ON c.oid = own.objid
         WHERE own.classid = 'pg_class'::regclass AND c.relkind NOT IN ('r', 'S')
        UNION ALL
        SELECT pg_describe_object(own.classid, own.objid, 0) FROM own
         WHERE own.classid NOT IN ('pg_class'::regclass, 'pg_proc'::regclass)
        UNION ALL
        SELECT 'sequence ' || s.relname || ' not owned by an identity column' FROM own JOIN pg_class s ON s.oid = own.objid
         WHERE own.classid = 'pg_class'::regclass AND s.relkind = 'S' AND NOT EXISTS (
               SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.objsubid = 0 AND d.deptype = 'i')
        UNION ALL
        SELECT 'column default ' || c.relname || '.' || a.attname || ' reading a sequence' FROM own JOIN pg_class c ON c.oid = own.objid
          JOIN pg_attrdef ad ON ad.adrelid = c.oid JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
         WHERE own.classid = 'pg_class'::regclass AND pg_get_expr(ad.adbin, ad.adrelid) LIKE '%nextval(%'
        UNION ALL
        SELECT 'row security policy ' || p.polname FROM own JOIN pg_policy p ON p.polrelid = own.objid
         WHERE own.classid = 'pg_class'::regclass
    ) refused;
    IF unsupported IS NOT NULL THEN
        RAISE EXCEPTION 'schema % holds what the clone does not copy: %', source, unsupported USING ERRCODE = 'JN001';
    END IF;

    SELECT coalesce(array_agg(c.oid ORDER BY c.oid), '{}') INTO tables
      FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns AND d.refobjsubid = 0
       AND d.classid = 'pg_class'::regclass AND c.relkind = 'r';

    EXECUTE format('CREATE SCHEMA %I', dest);

    FOR def IN SELECT pg_get_functiondef(d.objid) FROM pg_depend d
                WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns AND d.refobjsubid = 0
                  AND d.classid = 'pg_proc'::regclass ORDER BY d.objid LOOP
        EXECUTE public.jiannuo_schema_clone_place(def, 'FUNCTION ', qsrc, qdst);
    END LOOP;

    FOR r IN SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
               FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
              WHERE c.oid = ANY(tables) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
              GROUP BY c.oid, c.relname ORDER BY c.oid LOOP
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING ALL EXCLUDING INDEXES)', dest, r.relname, source, r.relname);
        EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                       dest, r.relname, r.cols, r.cols, source, r.relname);
    END LOOP;

    -- Identity columns: their sequence's type (LIKE makes every identity sequence a bigint one) and value.
    FOR r IN SELECT c.relname, a.attname, format_type(s.seqtypid, NULL) AS kind, pg_sequence_last_value(s.seqrelid) AS value
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence(qsrc || '.' || quote_ident(c.relname), a.attname)::regclass
              WHERE a.attrelid = ANY(tables) AND a.attidentity <> '' AND a.attnum > 0 AND NOT a.attisdropped LOOP
        def := pg_get_serial_sequence(qdst || '.' || quote_ident(r.relname), r.attname);
        IF r.kind <> 'bigint' THEN
            EXECUTE format('ALTER SEQUENCE %s AS %s', def, r.kind);
        END IF;
        IF r.value IS NOT NULL THEN
            PERFORM setval(def, r.value);
        END IF;
    END LOOP;

    -- Primary keys, unique and exclusion constraints (with their indexes), then plain indexes, then
    -- foreign keys (after the keys and unique indexes they point at), then triggers.
    FOR r IN SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con
               JOIN pg_class c ON c.oid = con.conrelid
              WHERE con.conrelid = ANY(tables) AND con.contype IN ('p', 'u', 'x') ORDER BY con.oid LOOP
        EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I ', dest, r.relname, r.conname) || r.def;
    END LOOP;
    FOR def IN SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
                WHERE i.indrelid = ANY(tables)
                  AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid)
                ORDER BY i.indexrelid LOOP
        EXECUTE public.jiannuo_schema_clone_place(def, ' ON ', qsrc, qdst);
    END LOOP;
    FOR r IN SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con
               JOIN pg_class c ON c.oid = con.conrelid
              WHERE con.conrelid = ANY(tables) AND con.contype = 'f' ORDER BY con.oid LOOP
        EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I ', dest, r.relname, r.conname)
             || public.jiannuo_schema_clone_place(r.def, 'REFERENCES ', qsrc, qdst);
    END LOOP;
    FOR def IN SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
                WHERE t.tgrelid = ANY(tables) AND NOT t.tgisinternal ORDER BY t.oid LOOP
        EXECUTE replace(public.jiannuo_schema_clone_place(def, ' ON ', qsrc, qdst), 'FUNCTION ' || qsrc || '.', 'FUNCTION ' || qdst || '.');
    END LOOP;
END
$fn$;
"""

PLACE = r"""
CREATE OR REPLACE FUNCTION public.jiannuo_schema_clone_place(definition text, marker text, qsrc text, qdst text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
    -- With only public on the path, PostgreSQL's deparsing functions qualify every name of the source.
    IF position(marker || qsrc || '.' IN definition) = 0 THEN
        RAISE EXCEPTION 'cannot place in %: %', qdst, definition USING ERRCODE = 'JN001';
    END IF;
    RETURN replace(definition, marker || qsrc || '.', marker || qdst || '.');
END
$fn$;
"""


def create(apps, schema_editor):
    role = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
    template = settings.TENANT_BASE_SCHEMA.replace("'", "''")
    with schema_editor.connection.cursor() as cursor:  # no parameters: % is not a placeholder
        cursor.execute(PLACE)
        cursor.execute(CLONE)
        cursor.execute("REVOKE ALL ON FUNCTION public.jiannuo_schema_clone(text, text) FROM PUBLIC")
        # The unit provisioning function of 0004, now cloning with the function above.
        cursor.execute(f"""
CREATE OR REPLACE FUNCTION public.jiannuo_unit_schema_create(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    tables text;
    sequences text;
BEGIN
    IF target !~ '^u_[a-z0-9_]{{1,60}}$' THEN
        RAISE EXCEPTION 'not a unit schema name: %', target USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tenants_unit WHERE schema_name = target AND status = 'provisioning') THEN
        RAISE EXCEPTION 'no unit is being provisioned in schema %', target USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('citus.enable_schema_based_sharding', 'off', true);
    PERFORM public.jiannuo_schema_clone('{template}', target);
    -- Table by table: GRANT ... ON ALL TABLES IN SCHEMA scans the whole of pg_class (a second at
    -- 3,000 units); the schema's own relations are found through pg_depend's index instead.
    SELECT string_agg(format('%I.%I', target, c.relname), ', ') FILTER (WHERE c.relkind = 'r'),
           string_agg(format('%I.%I', target, c.relname), ', ') FILTER (WHERE c.relkind = 'S')
      INTO tables, sequences
      FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = target::regnamespace AND d.refobjsubid = 0
       AND d.classid = 'pg_class'::regclass;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', target);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO {role}', tables);
    IF sequences IS NOT NULL THEN
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO {role}', sequences);
    END IF;
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %I.audit_auditentry FROM {role}', target);
END
$fn$;
""")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS public.jiannuo_schema_clone(text, text)")
        cursor.execute("DROP FUNCTION IF EXISTS public.jiannuo_schema_clone_place(text, text, text, text)")


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_unit_schema_functions")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
