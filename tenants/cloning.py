"""A new unit's schema as a copy of the migrated template schema.

django-tenants' `clone_schema()` (a general-purpose PL/pgSQL function) finds the template's objects
with catalog queries that are not confined to the template: it pairs sequences with their columns by
scanning every sequence and pg_depend row of the database, and each table's indexes by joining
pg_indexes with itself across every schema holding a table of that name. Each clone therefore cost
more with every unit already there — about 1 s at 10 units, 25–100 s at 300 (depending on the plan
PostgreSQL picked) — and provisioning a county's or a city's units grew quadratically.

Here every catalog read is keyed by the template's namespace oid (or its relations' oids), so a clone
costs the same at 30 units as at 3,000 (tests/tenants/test_cloning.py counts the catalog rows read).
The DDL is PostgreSQL's own: `CREATE TABLE … (LIKE … INCLUDING ALL)` for columns, defaults, identity,
CHECK constraints and comments; `pg_get_constraintdef`/`pg_get_indexdef`/`pg_get_triggerdef`/
`pg_get_functiondef` for the rest, so names are kept exactly (later migrations drop them by name).
What the template holds beyond what Django's migrations make here is refused loudly rather than
copied halfway.
"""
from __future__ import annotations

from django.db import connection, transaction
from psycopg import sql

# Catalog reads. None may scan a whole catalog: pg_class, pg_constraint, pg_type and pg_proc have no
# index leading with the namespace, so the schema's own objects are found through pg_depend (each
# depends on its namespace: pg_depend_reference_index), and the rest through their relation's oid.
_OWN = """
    SELECT d.classid, d.objid FROM pg_depend d
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %(ns)s AND d.refobjsubid = 0"""
_UNSUPPORTED = """
    WITH own AS (""" + _OWN + """)
    SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text FROM own JOIN pg_class c ON c.oid = own.objid
     WHERE own.classid = 'pg_class'::regclass AND c.relkind NOT IN ('r', 'S')
    UNION ALL
    SELECT pg_describe_object(own.classid, own.objid, 0) FROM own WHERE own.classid NOT IN ('pg_class'::regclass, 'pg_proc'::regclass)
    UNION ALL
    SELECT 'sequence ' || s.relname || ' not owned by an identity column' FROM own JOIN pg_class s ON s.oid = own.objid
     WHERE own.classid = 'pg_class'::regclass AND s.relkind = 'S' AND NOT EXISTS (
           SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.objsubid = 0 AND d.deptype = 'i')
    UNION ALL
    SELECT 'privileges on ' || c.relname FROM own JOIN pg_class c ON c.oid = own.objid
     WHERE own.classid = 'pg_class'::regclass AND c.relacl IS NOT NULL
    UNION ALL
    SELECT 'column default ' || c.relname || '.' || a.attname || ' reading a sequence' FROM own JOIN pg_class c ON c.oid = own.objid
      JOIN pg_attrdef ad ON ad.adrelid = c.oid JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
     WHERE own.classid = 'pg_class'::regclass AND pg_get_expr(ad.adbin, ad.adrelid) LIKE '%%nextval(%%'
    UNION ALL
    SELECT 'row security policy ' || p.polname FROM own JOIN pg_policy p ON p.polrelid = own.objid WHERE own.classid = 'pg_class'::regclass"""
_TABLES = """
    SELECT c.oid, c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %(ns)s AND d.refobjsubid = 0
       AND d.classid = 'pg_class'::regclass AND c.relkind = 'r' ORDER BY c.oid"""
_FUNCTIONS = """
    SELECT pg_get_functiondef(d.objid) FROM pg_depend d
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %(ns)s AND d.refobjsubid = 0 AND d.classid = 'pg_proc'::regclass
     ORDER BY d.objid"""
_COLUMNS = """
    SELECT a.attrelid, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
     WHERE a.attrelid = ANY(%(tables)s) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     GROUP BY a.attrelid"""
# Primary keys, unique and exclusion constraints (with their indexes), and foreign keys: by name.
_CONSTRAINTS = """
    SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype = 'f' FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
     WHERE con.conrelid = ANY(%(tables)s) AND con.contype IN ('p', 'u', 'x', 'f') ORDER BY con.oid"""
_INDEXES = """
    SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
     WHERE i.indrelid = ANY(%(tables)s)
       AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid)
     ORDER BY i.indexrelid"""
_TRIGGERS = """
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid = ANY(%(tables)s) AND NOT t.tgisinternal ORDER BY t.oid"""
# Identity columns: their sequence's type (LIKE makes every identity sequence a bigint one) and value.
_IDENTITIES = """
    SELECT c.relname, a.attname, format_type(s.seqtypid, NULL), pg_sequence_last_value(s.seqrelid)
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence(%(quoted)s || '.' || quote_ident(c.relname), a.attname)::regclass
     WHERE a.attrelid = ANY(%(tables)s) AND a.attidentity <> '' AND a.attnum > 0 AND NOT a.attisdropped"""


class UnsupportedTemplate(Exception):
    """The template schema holds something the clone does not copy."""


def schema_clone(*, source: str, dest: str) -> None:
    """Create schema `dest` as a copy of schema `source`: tables with their rows, identity
    sequences at the same values, constraints, indexes, triggers and functions."""
    # With only public on the path, PostgreSQL's deparsing functions qualify every name in `source`.
    connection.set_schema_to_public()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        cursor.execute("SELECT oid, quote_ident(nspname) FROM pg_namespace WHERE nspname = %s", [source])
        ns, quoted_source = cursor.fetchone()
        quoted_dest = sql.Identifier(dest).as_string(raw)
        args = {"ns": ns}
        cursor.execute(_UNSUPPORTED, args)
        if unsupported := [row[0] for row in cursor.fetchall()]:
            raise UnsupportedTemplate(f"schema {source} holds what the clone does not copy: {', '.join(unsupported)}")

        def read(query: str) -> list[tuple]:
            cursor.execute(query, args)
            return cursor.fetchall()

        def run(statement: sql.Composable | str) -> None:
            cursor.execute(statement if isinstance(statement, str) else statement.as_string(raw))

        def in_dest(definition: str, marker: str) -> str:
            head = f"{marker}{quoted_source}."
            if head not in definition:
                raise UnsupportedTemplate(f"cannot place in {dest}: {definition}")
            return definition.replace(head, f"{marker}{quoted_dest}.")

        tables, functions = read(_TABLES), read(_FUNCTIONS)
        args.update(tables=[oid for oid, _name in tables], quoted=quoted_source)
        columns = dict(read(_COLUMNS))
        constraints, indexes, triggers, identities = read(_CONSTRAINTS), read(_INDEXES), read(_TRIGGERS), read(_IDENTITIES)

        src, dst = sql.Identifier(source), sql.Identifier(dest)
        run(sql.SQL("CREATE SCHEMA {}").format(dst))
        for (definition,) in functions:
            run(in_dest(definition, "FUNCTION "))
        for oid, name in tables:
            table, cols = sql.Identifier(name), sql.SQL(columns[oid])
            run(sql.SQL("CREATE TABLE {}.{} (LIKE {}.{} INCLUDING ALL EXCLUDING INDEXES)").format(dst, table, src, table))
            run(sql.SQL("INSERT INTO {}.{} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}.{}").format(dst, table, cols, cols, src, table))
        for table, column, kind, value in identities:
            sequence = f"{quoted_dest}.{sql.Identifier(table).as_string(raw)}"
            if kind != "bigint":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [sequence, column])
                run(sql.SQL("ALTER SEQUENCE {} AS {}").format(sql.SQL(cursor.fetchone()[0]), sql.SQL(kind)))
            if value is not None:
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [sequence, column, value])
        keys = [c for c in constraints if not c[3]]
        foreign = [c for c in constraints if c[3]]
        for table, name, definition, _ in keys:
            run(sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} ").format(dst, sql.Identifier(table), sql.Identifier(name)) + sql.SQL(definition))
        for (definition,) in indexes:
            run(in_dest(definition, " ON "))
        for table, name, definition, _ in foreign:  # after the keys and unique indexes they point at
            run(sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} ").format(dst, sql.Identifier(table), sql.Identifier(name))
                + sql.SQL(in_dest(definition, "REFERENCES ")))
        for (definition,) in triggers:
            run(in_dest(definition, " ON ").replace(f"FUNCTION {quoted_source}.", f"FUNCTION {quoted_dest}."))
