"""Cloning the template schema: an exact copy, at a cost that does not grow with the number of units."""
import pytest
from django.conf import settings
from django.db import connection, transaction
from django_tenants.clone import CloneSchema

from tenants.cloning import UnsupportedTemplate, schema_clone

TEMPLATE = settings.TENANT_BASE_SCHEMA
CATALOGS = ["pg_class", "pg_attribute", "pg_attrdef", "pg_depend", "pg_constraint", "pg_index", "pg_type", "pg_proc",
            "pg_namespace", "pg_trigger", "pg_sequence", "pg_description", "pg_policy", "pg_inherits"]
# Rows this transaction has read from the catalogs, by sequential and index scans alike.
ROWS_READ = "SELECT " + " + ".join(
    f"pg_stat_get_xact_tuples_returned('{c}'::regclass) + pg_stat_get_xact_tuples_fetched('{c}'::regclass)" for c in CATALOGS)


def _catalog_rows_read(clone) -> int:
    """Catalog rows read by `clone`, with the planner taking an index wherever there is one: on a
    small test database a scan of a whole small catalog is cheaper and chosen; past a few hundred
    units only the index paths stay cheap, and a read with none scans every unit's rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(ROWS_READ)
        before = cursor.fetchone()[0]
        clone()
        cursor.execute(ROWS_READ)
        read = cursor.fetchone()[0] - before
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    return read


def _describe(schema: str) -> dict:
    """What a schema holds, with its own name taken out of every definition."""
    queries = {
        "columns": """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                             a.attgenerated, pg_get_expr(d.adbin, d.adrelid)
                        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                       WHERE c.relnamespace = %(ns)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped""",
        "constraints": """SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                           WHERE c.relnamespace = %(ns)s::regnamespace""",
        # The definition up to its WHERE: a predicate is printed back with its casts arranged differently.
        "indexes": """SELECT c.relname, i.relname, split_part(pg_get_indexdef(x.indexrelid), ' WHERE ', 1), pg_get_indexdef(x.indexrelid) ~ ' WHERE '
                        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
                       WHERE c.relnamespace = %(ns)s::regnamespace""",
        "sequences": """SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, pg_sequence_last_value(c.oid)
                          FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = %(ns)s::regnamespace""",
        "triggers": """SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                        WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal""",
        "functions": "SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = %(ns)s::regnamespace",
        "migrations": "SELECT app, name FROM {schema}.django_migrations",
        "content types": "SELECT id, app_label, model FROM {schema}.django_content_type",
    }
    described = {}
    with connection.cursor() as cursor:
        for what, query in queries.items():
            cursor.execute(query.format(schema=schema), {"ns": schema})
            described[what] = sorted(tuple(str(v).replace(f"{schema}.", "SCHEMA.") for v in row) for row in cursor.fetchall())
    return described


def test_the_clone_is_the_template(world, db):
    schema_clone(source=TEMPLATE, dest="u_clone_check")
    template, clone = _describe(TEMPLATE), _describe("u_clone_check")
    assert len(template["columns"]) > 200 and len(template["indexes"]) > 50 and template["triggers"] and template["migrations"]
    assert clone == template


def test_a_clone_reads_the_catalog_for_the_template_only(world, db):
    """django-tenants' clone_schema() read every schema's catalog rows, on every clone: provisioning
    slowed to a minute a unit past 250 units. A clone may read what the template holds, never a whole
    catalog, whose size grows with every unit."""
    for n in range(4):  # units enough that a scan of the catalogs shows
        schema_clone(source=TEMPLATE, dest=f"u_clone_filler_{n}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    ours = _catalog_rows_read(lambda: schema_clone(source=TEMPLATE, dest="u_clone_measured"))
    theirs = _catalog_rows_read(lambda: CloneSchema().clone_schema(TEMPLATE, "u_clone_theirs", set_connection=False))
    assert theirs > 2 * relations  # the measure sees a whole-catalog reader
    assert ours < relations / 2


def test_what_the_clone_cannot_copy_is_refused(world, db):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE VIEW "{TEMPLATE}".clone_check AS SELECT 1 AS one')
    with pytest.raises(UnsupportedTemplate, match="clone_check"):
        schema_clone(source=TEMPLATE, dest="u_clone_refused")
