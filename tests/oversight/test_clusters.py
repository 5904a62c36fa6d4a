"""A city or province over several clusters reads their roll-ups through postgres_fdw, united in
views with a cluster column. Here both "clusters" are this very database reached over the network
(what a real second server would be, but with the same rows), so each view holds every row twice."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from oversight.clusters import Cluster, ClusterLinkError, clusters_link, rollup_tables
from oversight.models import UnitFigures

pytestmark = pytest.mark.as_owner  # linking is DDL, by the owning role


def _available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgres_fdw'")
        return cursor.fetchone()[0] == 1


def _this_database(host: str | None = None, port: str | None = None) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{host or s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{s['NAME']}"


def _rows(query: str):
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


@pytest.fixture
def fdw(db):
    if not _available():
        pytest.skip("postgres_fdw is not installed with this PostgreSQL (Debian's postgresql package has it)")


def test_a_province_reads_every_clusters_roll_ups_by_cluster(world, fdw):
    local = UnitFigures.objects.count()
    assert local >= 3  # the world's units have figures: the check below is not vacuous
    counts = clusters_link([Cluster("east", _this_database()), Cluster("west", _this_database())])
    assert counts == {"east": local, "west": local}
    for table in rollup_tables():
        assert _rows(f"SELECT count(*) FROM {table}")[0][0] * 2 == _rows(f"SELECT count(*) FROM rollups.{table}")[0][0], table
    by_cluster = dict(_rows("SELECT cluster, sum(members) FROM rollups.oversight_unitfigures GROUP BY cluster"))
    assert by_cluster == {"east": sum(f.members for f in UnitFigures.objects.all()), "west": sum(f.members for f in UnitFigures.objects.all())}
    # A county's figures across clusters: rows keyed by (cluster, id), jurisdictions matched by code.
    joined = _rows("""SELECT f.cluster, j.code, count(*) FROM rollups.oversight_unitfigures f
                      JOIN rollups.tenants_unit u ON u.cluster = f.cluster AND u.id = f.unit_id
                      JOIN rollups.oversight_jurisdiction j ON j.cluster = u.cluster AND j.id = u.county_id
                      GROUP BY 1, 2 ORDER BY 1, 2""")
    assert {code for _, code, _ in joined} == {"k1", "k2"} and {cluster for cluster, _, _ in joined} == {"east", "west"}


def test_linking_again_replaces_the_clusters(world, fdw):
    clusters_link([Cluster("east", _this_database()), Cluster("west", _this_database())])
    clusters_link([Cluster("north", _this_database())])
    assert {c for (c,) in _rows("SELECT DISTINCT cluster FROM rollups.oversight_unitfigures")} == {"north"}
    assert _rows("SELECT srvname FROM pg_foreign_server ORDER BY 1") == [("rollup_north",)]


def test_a_cluster_that_does_not_answer_leaves_the_earlier_link_unchanged(world, fdw):
    clusters_link([Cluster("east", _this_database())])
    with pytest.raises(CommandError, match="earlier link is unchanged"):
        call_command("rollups_link", "--cluster", f"east={_this_database()}", "--cluster", f"west={_this_database(port='9')}")
    assert {c for (c,) in _rows("SELECT DISTINCT cluster FROM rollups.oversight_unitfigures")} == {"east"}


@pytest.mark.parametrize("clusters", [[], [Cluster("East", "postgres://r@h/db")], [Cluster("a", "postgres://r@h/db"), Cluster("a", "postgres://r@h/db")]])
def test_clusters_are_named_once_in_lower_case(world, fdw, clusters):
    with pytest.raises(ClusterLinkError):
        clusters_link(clusters)


def test_the_command_refuses_a_cluster_without_an_address(world, fdw):
    with pytest.raises(CommandError, match="NAME=postgres://"):
        call_command("rollups_link", "--cluster", "east")
