"""The database roles: the owning role runs migrations and owns every schema; the application
role (settings.DATABASE_APP_ROLE) is what web, workers and beat connect as."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from psycopg import sql


def application_role_login(password: str) -> None:
    """Let the application role log in with `password`, creating it if needed (the migrating
    role must be allowed to create roles; otherwise a DBA does this once)."""
    statement = sql.SQL("{} ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        cursor.execute(statement.format(sql.SQL(verb), sql.Identifier(settings.DATABASE_APP_ROLE), sql.Literal(password))
                       .as_string(cursor.cursor))
