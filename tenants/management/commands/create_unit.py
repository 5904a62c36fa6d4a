"""Create a unit under a county (cloned from the template schema)."""
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.context import acting
from tenants.models import Jurisdiction
from tenants.models import Unit
from tenants.services import unit_create


class Command(BaseCommand):
    help = "Create a unit: --county CODE --slug SLUG --name NAME --kind KIND [--admin PHONE_OR_USERNAME]"

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="county code")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Unit.Kind.values)
        parser.add_argument("--admin", help="the unit's first admin: an existing username or mobile number, or a new one")

    def handle(self, *args, **options):
        county = Jurisdiction.objects.filter(code=options["county"], level="county").first()
        if county is None:
            raise CommandError(f"no county with code {options['county']!r}")
        if options["admin"] is not None:
            from accounts.services import check_unit_admin_login

            try:  # before the unit is made: no unit is left without the admin it was meant to have
                options["admin"] = check_unit_admin_login(login=options["admin"])
            except ValidationError as exc:
                raise CommandError("admin: " + " ".join(exc.messages))
        started = time.perf_counter()
        try:
            with acting(source="command"):
                unit = unit_create(name=options["name"], slug=options["slug"], kind=options["kind"], county=county)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        self.stdout.write(f"unit {unit.slug} ({unit.schema_name}) created in {time.perf_counter() - started:.2f}s")
        if options["admin"]:
            from accounts.services import unit_admin_grant

            try:
                with acting(source="command"):
                    admin, password = unit_admin_grant(unit=unit, login=options["admin"])
            except ValidationError as exc:
                raise CommandError(f"unit {unit.slug} was created, but not its admin: " + "; ".join(exc.messages))
            self.stdout.write(f"admin: {admin.username}" + (f" (new account; one-time password: {password})" if password else " (existing account)"))
