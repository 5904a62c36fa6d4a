"""Introspection that costs the same at 3,000 units as at 30.

Django lists a schema's tables (the migration recorder asks four times per unit migrated) by
testing `pg_table_is_visible` on every row of pg_class: about 0.5 s a call at 3,000 units (800,000
relations), so migrating a unit with nothing to apply took 2.3 s. Here the relations are found
through pg_depend's index on the namespaces of the search path, then filtered the same way.
"""
from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.introspection import (
    DatabaseSchemaIntrospection,
    DatabaseSchemaIntrospectionSearchPathContext,
)


class UnitIntrospection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor):
        with DatabaseSchemaIntrospectionSearchPathContext(cursor=cursor, connection=self.connection):
            cursor.execute("""
                SELECT c.relname,
                       CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
                       obj_description(c.oid, 'pg_class')
                  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
                 WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjsubid = 0
                   AND d.refobjid = ANY (ARRAY(SELECT n.oid FROM pg_catalog.pg_namespace n
                                                WHERE n.nspname = ANY (pg_catalog.current_schemas(false))
                                                  AND n.nspname NOT IN ('pg_catalog', 'pg_toast')))
                   AND d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
                   AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
                   AND pg_catalog.pg_table_is_visible(c.oid)""")
            return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]
