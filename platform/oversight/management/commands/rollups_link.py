"""Link several clusters' roll-ups for a city or province (oversight.clusters)."""
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from oversight.clusters import ClusterLinkError, cluster_parse, clusters_link, rollup_tables


class Command(BaseCommand):
    help = ("Link the roll-up tables of several clusters into views in schema `rollups`, one per table, "
            "with a `cluster` column: --cluster NAME=postgres://reader:password@host:port/dbname (repeat). "
            "Run as the owning role; replaces any earlier link.")

    def add_arguments(self, parser):
        parser.add_argument("--cluster", action="append", default=[], required=True, metavar="NAME=URL")

    def handle(self, *args, **options):
        try:
            counts = clusters_link([cluster_parse(text) for text in options["cluster"]])
        except ClusterLinkError as exc:
            raise CommandError(str(exc))
        except DatabaseError as exc:
            raise CommandError(f"a cluster could not be linked; the earlier link is unchanged: {exc}".strip())
        for name, units in counts.items():
            self.stdout.write(f"{name}: figures of {units} units")
        self.stdout.write(f"views: {', '.join('rollups.' + table for table in rollup_tables())}")
