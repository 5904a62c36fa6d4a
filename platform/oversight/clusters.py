"""A city or province over several database clusters: each cluster (one PostgreSQL server, or one
Citus cluster) holds whole counties and keeps their roll-ups in its public schema. The reading
database links every cluster's roll-up tables through postgres_fdw and unites them in views, one
per table, with the cluster's name as the first column: `rollups.oversight_unitfigures` and so on.

Only roll-up tables are linked (never a unit's schema), read through a role that may read nothing
else (README, "Moving to Citus"). Ids are each cluster's own: key rows by (cluster, id), and match
jurisdictions across clusters by their code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from tenants.models import Jurisdiction, Unit

from .models import BranchFigures, UnitEvaluationFigures, UnitFigures, UnitFiguresDay, UnitRoundFigures

ROLLUP_MODELS = (Jurisdiction, Unit, UnitFigures, UnitRoundFigures, BranchFigures, UnitEvaluationFigures, UnitFiguresDay)
VIEWS_SCHEMA = "rollups"
SERVER_PREFIX = "rollup_"  # each cluster's foreign server and the schema of its foreign tables
CLUSTER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class ClusterLinkError(ValueError):
    pass


@dataclass(frozen=True)
class Cluster:
    name: str
    url: str  # postgres://reader:password@host:port/dbname — a role that may only read the roll-ups


def rollup_tables() -> list[str]:
    return [model._meta.db_table for model in ROLLUP_MODELS]


def cluster_parse(text: str) -> Cluster:
    """`name=postgres://…` as given on the command line."""
    name, _, url = text.partition("=")
    if not CLUSTER_NAME.match(name) or urlparse(url).scheme not in ("postgres", "postgresql") or not urlparse(url).path.strip("/"):
        raise ClusterLinkError(f"expected NAME=postgres://user:password@host:port/dbname (NAME: lower-case letters, digits, _), got {text!r}")
    return Cluster(name, url)


def clusters_link(clusters: list[Cluster]) -> dict[str, int]:
    """Link (again) the roll-ups of exactly these clusters, replacing any earlier link, in one
    transaction: a cluster that cannot be reached leaves the earlier link as it was. Returns the
    units each cluster has figures for (each cluster answered)."""
    names = [cluster.name for cluster in clusters]
    if not clusters or len(set(names)) != len(names) or not all(CLUSTER_NAME.match(name) for name in names):
        raise ClusterLinkError("give each cluster once, by a name of lower-case letters, digits and _")
    tables = rollup_tables()
    app_role = sql.Identifier(settings.DATABASE_APP_ROLE)
    with transaction.atomic(), connection.cursor() as cursor:
        def run(statement: sql.Composable) -> None:
            cursor.execute(statement.as_string(connection.connection))

        run(sql.SQL("CREATE EXTENSION IF NOT EXISTS postgres_fdw"))
        run(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(VIEWS_SCHEMA)))
        cursor.execute("SELECT srvname FROM pg_foreign_server WHERE srvname LIKE %s", [SERVER_PREFIX.replace("_", r"\_") + "%"])
        for (old,) in cursor.fetchall():  # its user mapping goes with it
            run(sql.SQL("DROP SCHEMA IF EXISTS {0} CASCADE; DROP SERVER {0} CASCADE").format(sql.Identifier(old)))
        for cluster in clusters:
            url = urlparse(cluster.url)
            server = sql.Identifier(SERVER_PREFIX + cluster.name)
            run(sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host {}, port {}, dbname {})").format(
                server, sql.Literal(url.hostname or "localhost"), sql.Literal(str(url.port or 5432)), sql.Literal(url.path.strip("/"))))
            credentials = [sql.SQL("user {}").format(sql.Literal(unquote(url.username or "")))]
            if url.password:
                credentials.append(sql.SQL("password {}").format(sql.Literal(unquote(url.password))))
            # For every local role: the views run as their owner, and the remote role reads only roll-ups.
            run(sql.SQL("CREATE USER MAPPING FOR PUBLIC SERVER {} OPTIONS ({})").format(server, sql.SQL(", ").join(credentials)))
            run(sql.SQL("CREATE SCHEMA {}").format(server))
            run(sql.SQL("IMPORT FOREIGN SCHEMA public LIMIT TO ({}) FROM SERVER {} INTO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, tables)), server, server))
        run(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(VIEWS_SCHEMA)))
        for table in tables:
            union = sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT {}::text AS cluster, * FROM {}.{}").format(
                    sql.Literal(cluster.name), sql.Identifier(SERVER_PREFIX + cluster.name), sql.Identifier(table))
                for cluster in clusters)
            run(sql.SQL("CREATE VIEW {}.{} AS {}").format(sql.Identifier(VIEWS_SCHEMA), sql.Identifier(table), union))
        run(sql.SQL("GRANT USAGE ON SCHEMA {0} TO {1}; GRANT SELECT ON ALL TABLES IN SCHEMA {0} TO {1}").format(
            sql.Identifier(VIEWS_SCHEMA), app_role))
        counts = {}
        for cluster in clusters:  # each cluster answers now, or nothing changes
            cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(SERVER_PREFIX + cluster.name), sql.Identifier(UnitFigures._meta.db_table)).as_string(connection.connection))
            counts[cluster.name] = cursor.fetchone()[0]
    return counts
