"""A unit's schema stands on its own: no foreign key from any of its tables into another schema
(the template every unit is cloned from, and a unit), so it can be moved whole (Citus schema-based
sharding) and never depends on another schema's rows."""
import pytest
from django.conf import settings
from django.db import connection

CROSS_SCHEMA_KEYS = """
    SELECT t.relname, con.conname, rn.nspname || '.' || r.relname
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE con.contype = 'f' AND n.nspname = %s AND rn.nspname <> %s
"""


@pytest.mark.parametrize("which", ["template", "unit"])
def test_no_unit_table_has_a_foreign_key_into_another_schema(world, db, which):
    schema = settings.TENANT_BASE_SCHEMA if which == "template" else world["A"].unit.schema_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
        assert cursor.fetchone()[0] > 20  # the schema is there, with its tables: the check below is not vacuous
        cursor.execute("SELECT count(*) FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid "
                       "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE con.contype = 'f' AND n.nspname = %s", [schema])
        assert cursor.fetchone()[0] > 10  # foreign keys within the unit remain
        cursor.execute(CROSS_SCHEMA_KEYS, [schema, schema])
        assert cursor.fetchall() == []
