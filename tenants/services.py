"""Unit provisioning: claim the row, clone the template schema, then open the unit.

A unit is ACTIVE only once its schema is complete; until then the routing
middleware answers 503 and the scheduler sends it nothing. The template schema is
kept migrated by `migrate_platform`, so a new unit costs one schema clone instead
of replaying every migration.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists, tenant_context

from .models import Jurisdiction, Unit


logger = logging.getLogger(__name__)


def schema_name_for(slug: str) -> str:
    return "u_" + slug.replace("-", "_")


def template_schema_ensure(*, verbosity: int = 0) -> None:
    """Create the template schema if needed and bring it to the latest migrations."""
    name = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    call_command("migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


# What other floors do when a unit opens (the county layer computes its figures), registered by
# those apps at start-up so that the kernel names no floor above it.
unit_opened_handlers: list = []


def unit_create(*, name: str, slug: str, kind: str, county: Jurisdiction, method: str = "clone") -> Unit:
    """Create a unit and its schema. `method="migrate"` replays migrations instead of
    cloning (kept for the provisioning benchmark and as a fallback)."""
    if county.level != Jurisdiction.Level.COUNTY:
        raise ValidationError({"county": _("Units are created under a county.")})
    unit = Unit(name=name, slug=slug, kind=kind, county=county, schema_name=schema_name_for(slug), status=Unit.Status.PROVISIONING)
    unit.full_clean()
    with transaction.atomic():
        unit.save()
    try:
        _schema_create(unit, method=method)
    except Exception:
        logger.exception("Provisioning unit %s failed; rolling back", slug)
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.jiannuo_unit_schema_drop(%s)", [unit.schema_name])
        Unit.objects.filter(pk=unit.pk).delete()
        raise
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.ACTIVE)
    unit.status = Unit.Status.ACTIVE
    for handler in unit_opened_handlers:
        try:
            handler(unit)
        except Exception:  # the unit is open either way; the periodic work catches up
            logger.exception("After opening unit %s, %r failed", slug, handler)
    return unit


def _schema_create(unit: Unit, *, method: str) -> None:
    connection.set_schema_to_public()
    if method == "clone":
        if not schema_exists(settings.TENANT_BASE_SCHEMA):
            template_schema_ensure()
        # The template's migration records are cloned with its tables, so there is nothing to
        # fake-apply afterwards (which django-tenants' create_schema would do).
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.jiannuo_unit_schema_create(%s)", [unit.schema_name])
    elif method == "migrate":
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{unit.schema_name}"')
        call_command("migrate_schemas", schema_name=unit.schema_name, tenant=True, interactive=False, verbosity=0)
    else:
        raise ValueError(method)
    connection.set_schema_to_public()
    _schema_distribute(unit)


class ProvisioningError(RuntimeError):
    pass


def _schema_distribute(unit: Unit) -> None:
    """Citus: distribute the unit's schema whole and check every table landed in the schema's own
    colocation group (one node for the whole unit). Plain PostgreSQL: the function answers NULL
    and nothing happens."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.jiannuo_unit_schema_distribute(%s)", [unit.schema_name])
        unplaced = cursor.fetchone()[0]
    if unplaced:
        raise ProvisioningError(f"Citus left tables of {unit.schema_name} undistributed: {', '.join(unplaced)}")


def unit_run(unit: Unit):
    """Context manager: run code in the unit's schema (commands, seeding, tests)."""
    return tenant_context(unit)


def check_jurisdiction_placement(*, level: str, parent: Jurisdiction | None) -> None:
    expected = Jurisdiction.PARENT_LEVEL[Jurisdiction.Level(level)]
    if (parent.level if parent else None) != expected:
        raise ValidationError({"parent": _("A %(level)s must be placed under a %(parent)s.") % {
            "level": Jurisdiction.Level(level).label, "parent": Jurisdiction.Level(expected).label if expected else _("nothing"),
        }})


@transaction.atomic
def jurisdiction_create(*, name: str, code: str, level: str, parent: Jurisdiction | None = None) -> Jurisdiction:
    check_jurisdiction_placement(level=level, parent=parent)
    jurisdiction = Jurisdiction(name=name, code=code, level=level, parent=parent)
    jurisdiction.full_clean()
    jurisdiction.save()
    return jurisdiction
