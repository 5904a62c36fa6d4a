"""Migrate everything: the public schema, the unit template, then each unit (closed while it migrates)."""
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.services import units_migrate


class Command(BaseCommand):
    help = "Migrate the public schema, the unit template schema and every unit schema."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(0, verbosity - 1))
        migrated = units_migrate(verbosity=max(0, verbosity - 1))
        self.stdout.write(f"public, template and {len(migrated)} unit schema(s) migrated")
