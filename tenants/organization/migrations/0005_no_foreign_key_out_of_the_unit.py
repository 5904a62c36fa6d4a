"""A unit's schema keeps no foreign key into another schema (the console's log points at the
public schema's users): each unit's tables must be movable whole, on their own (Citus schema-based
sharding refuses them otherwise), and a unit's rows never depend on another schema's. The ids stay;
only the database constraint goes, as for every other reference to a user from a unit."""
from django.db import migrations

DROP = """
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN
        SELECT t.relname AS table_name, con.conname AS name
        FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE con.contype = 'f' AND n.nspname = current_schema() AND rn.nspname <> current_schema()
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fk.table_name, fk.name);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("organization", "0004_rural_and_community_members"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]
    operations = [migrations.RunSQL(DROP, migrations.RunSQL.noop)]
