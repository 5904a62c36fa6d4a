"""The application connects as a role that may add audit entries but never change or remove
them: append-only by privilege, which holds on Citus too (Citus refuses to distribute a schema
whose tables have triggers). The trigger of 0002 stays for plain PostgreSQL, where it also
stops the owner.

Runs in every schema that has the audit table (public, the unit template and each unit): the
role gets the use of the schema and its tables, minus UPDATE, DELETE and TRUNCATE on audit
entries. Tables created later by the migrating role are granted by default privileges; a unit
cloned from the template gets the same grants from `jiannuo_unit_schema_create` (tenants 0004).
"""
from django.conf import settings
from django.db import migrations


def grant(apps, schema_editor):
    role = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_schema(), rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        schema, may_create_roles = cursor.fetchone()
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        if cursor.fetchone() is None:
            if not may_create_roles:
                raise RuntimeError(
                    f"The application role {settings.DATABASE_APP_ROLE!r} does not exist and the migrating role "
                    "may not create it: CREATE ROLE it (LOGIN, no superuser) first, or set DATABASE_APP_ROLE.")
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # a login and password are the operator's to give
        # The schema's own relations through pg_depend's index: GRANT ... ON ALL TABLES IN SCHEMA
        # scans the whole of pg_class, a second a schema at 3,000 units.
        cursor.execute("""
            SELECT string_agg(format('%%I.%%I', n.nspname, c.relname), ', ') FILTER (WHERE c.relkind IN ('r', 'p')),
                   string_agg(format('%%I.%%I', n.nspname, c.relname), ', ') FILTER (WHERE c.relkind = 'S')
              FROM pg_namespace n JOIN pg_depend d ON d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid
               AND d.refobjsubid = 0 AND d.classid = 'pg_class'::regclass JOIN pg_class c ON c.oid = d.objid
             WHERE n.nspname = %s""", [schema])
        tables, sequences = cursor.fetchone()
        schema = schema_editor.quote_name(schema)
        for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {tables} TO {role}",
            f"GRANT USAGE, SELECT, UPDATE ON SEQUENCE {sequences} TO {role}" if sequences else None,
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.audit_auditentry FROM {role}",
        ):
            if statement:
                cursor.execute(statement)
        if schema == '"public"':
            # Whatever the migrating role creates from now on, in any schema. Once, with the public
            # schema (migrated before any unit): units migrate in parallel, and two processes
            # altering the same default privileges at once fail ("tuple concurrently updated").
            for statement in (
                f"ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
                f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
                f"ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO {role}",
            ):
                cursor.execute(statement)


def revoke(apps, schema_editor):
    role = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = schema_editor.quote_name(cursor.fetchone()[0])
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        if cursor.fetchone():
            cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
            cursor.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {role}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(grant, revoke, elidable=False)]
