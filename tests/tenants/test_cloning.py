"""Cloning the template schema: an exact copy, at a cost that does not grow with the number of units."""
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

TEMPLATE = settings.TENANT_BASE_SCHEMA
CATALOGS = ["pg_class", "pg_attribute", "pg_attrdef", "pg_depend", "pg_constraint", "pg_index", "pg_type", "pg_proc",
            "pg_namespace", "pg_trigger", "pg_sequence", "pg_description", "pg_policy", "pg_inherits"]
# Rows this transaction has read from the catalogs, by sequential and index scans alike.
ROWS_READ = "SELECT " + " + ".join(
    f"pg_stat_get_xact_tuples_returned('{c}'::regclass) + pg_stat_get_xact_tuples_fetched('{c}'::regclass)" for c in CATALOGS)

pytestmark = pytest.mark.as_owner  # the clone itself is the owner's; the application role reaches it only through unit_create


def _clone(dest: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.jiannuo_schema_clone(%s, %s)", [TEMPLATE, dest])


def _django_tenants_clone(dest: str) -> None:
    from django_tenants.clone import CloneSchema

    CloneSchema().clone_schema(TEMPLATE, dest, set_connection=False)


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
    _clone("u_clone_check")
    template, clone = _describe(TEMPLATE), _describe("u_clone_check")
    assert len(template["columns"]) > 200 and len(template["indexes"]) > 50 and template["triggers"] and template["migrations"]
    assert clone == template


def test_a_clone_reads_the_catalog_for_the_template_only(world, db):
    """django-tenants' clone_schema() read every schema's catalog rows, on every clone: provisioning
    slowed to a minute a unit past 250 units. A clone may read what the template holds, never a whole
    catalog, whose size grows with every unit."""
    for n in range(4):  # units enough that a scan of the catalogs shows
        _clone(f"u_clone_filler_{n}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    ours = _catalog_rows_read(lambda: _clone("u_clone_measured"))
    theirs = _catalog_rows_read(lambda: _django_tenants_clone("u_clone_theirs"))
    assert theirs > 2 * relations  # the measure sees a whole-catalog reader
    assert ours < relations / 2


def test_what_the_clone_cannot_copy_is_refused(world, db):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE VIEW "{TEMPLATE}".clone_check AS SELECT 1 AS one')
    with pytest.raises(DatabaseError, match="clone_check") as refused, transaction.atomic():
        _clone("u_clone_refused")
    assert refused.value.__cause__.sqlstate == "JN001"


def test_creating_a_unit_reads_the_catalog_for_its_own_schema_only(world, db):
    """The whole of unit_create as the application calls it: the clone, the grants (GRANT … ON ALL
    TABLES IN SCHEMA would scan all of pg_class), the Citus hook and the unit's opening."""
    from tenants.services import unit_create

    for n in range(4):
        _clone(f"u_create_filler_{n}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    scans_before = _catalog_sequential_scans()
    read = _catalog_rows_read(lambda: unit_create(name="Measured", slug="measured", kind="township", county=world.counties["K1"]))
    assert read < relations / 2
    # A catalog scanned with a filter but no index returns few rows and still reads every unit's:
    # none of the catalogs that grow with the units may be scanned whole.
    scanned = {c: n for c, n in _catalog_sequential_scans().items() if n > scans_before[c]}
    assert scanned == {}


def _catalog_sequential_scans() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"pg_stat_get_xact_numscans('{c}'::regclass)" for c in GROWING_CATALOGS))
        return dict(zip(GROWING_CATALOGS, cursor.fetchone()))


GROWING_CATALOGS = ["pg_class", "pg_attribute", "pg_attrdef", "pg_depend", "pg_constraint", "pg_index", "pg_type",
                    "pg_trigger", "pg_sequence"]
