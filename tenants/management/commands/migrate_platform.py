"""Migrate everything: the public schema, the unit template, then each unit that is behind
the template (closed while it migrates), several at a time."""
import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.migration import units_migrate
from tenants.roles import application_role_login


class Command(BaseCommand):
    help = "Migrate the public schema, the unit template schema and every unit schema that is behind it."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=None,
                            help="units migrated at once (default: JIANNUO_MIGRATE_PROCESSES, 4)")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if os.environ.get("DATABASE_APP_PASSWORD"):  # compose and first installs: the role the app connects as
            application_role_login(os.environ["DATABASE_APP_PASSWORD"])
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(0, verbosity - 1))
        report = units_migrate(verbosity=max(0, verbosity - 1), processes=options["processes"])
        self.stdout.write(f"public and template migrated; units: {len(report.migrated)} migrated, "
                          f"{len(report.up_to_date)} already up to date, {len(report.failed)} failed")
        if report.failed:
            raise CommandError("Units that failed to migrate (still open, at their last applied migration):\n"
                               + "\n".join(f"  {schema}: {error}" for schema, error in sorted(report.failed.items())))
