"""Migrating every unit: the template first, then only the units behind it, several at a time.

A unit is closed while its own schema migrates (503, no tasks) and open before and after, so
the code being deployed meets units on both sides of a migration: migrations that change a
table are written expand-then-contract (README, "Scaling out"). A unit whose recorded
migrations match the template's is skipped without loading Django's migration graph, which is
what made migrating thousands of up-to-date units take hours.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from .models import Unit
from .services import template_schema_ensure

logger = logging.getLogger(__name__)

_FINGERPRINT = 'SELECT md5(coalesce(string_agg(app || \'.\' || name, \',\' ORDER BY app, name), \'\')) FROM "{schema}".django_migrations'


@dataclass
class MigrationReport:
    migrated: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    processes: set[int] = field(default_factory=set)  # the processes that did the migrating


def _fingerprint(schema: str) -> str:
    """The schema's applied migrations, as one digest (names are schema-qualified: the owning
    role's tool, not a request)."""
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT.format(schema=schema))
        return cursor.fetchone()[0]


def units_behind(units) -> tuple[list[Unit], list[Unit]]:
    """Split `units` into those whose migrations differ from the template's and those that match."""
    template = _fingerprint(settings.TENANT_BASE_SCHEMA)
    behind, current = [], []
    for unit in units:
        (current if _fingerprint(unit.schema_name) == template else behind).append(unit)
    return behind, current


def _reopened(status: str) -> str:
    # MIGRATING found at the start was left by a run that stopped before reopening the unit.
    return Unit.Status.ACTIVE if status == Unit.Status.MIGRATING else status


def unit_migrate(unit_pk: int, verbosity: int = 0) -> tuple[str, str | None, int]:
    """Migrate one unit, closed meanwhile; returns (schema, error or None, process id). Runs
    in a worker process as well as inline."""
    unit = Unit.objects.get(pk=unit_pk)
    previous = _reopened(unit.status)
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.MIGRATING)
    try:
        call_command("migrate_schemas", schema_name=unit.schema_name, tenant=True, interactive=False, verbosity=verbosity)
        return unit.schema_name, None, os.getpid()
    except Exception as error:  # the others go on; the command reports every failure at the end
        logger.exception("Migrating unit %s failed", unit.schema_name)
        return unit.schema_name, f"{type(error).__name__}: {error}", os.getpid()
    finally:
        connection.set_schema_to_public()
        Unit.objects.filter(pk=unit.pk).update(status=previous)


def _worker_start() -> None:
    connections.close_all()  # never share the parent's server connection after fork


def units_migrate(*, verbosity: int = 0, processes: int | None = None, units=None) -> MigrationReport:
    """Migrate the template, then each unit that is behind it, `processes` at a time
    (JIANNUO_MIGRATE_PROCESSES by default)."""
    processes = processes or settings.UNIT_MIGRATION_PROCESSES
    template_schema_ensure(verbosity=verbosity)
    if units is None:
        units = Unit.objects.exclude(status=Unit.Status.PROVISIONING).order_by("pk")
    behind, current = units_behind(units)
    report = MigrationReport(up_to_date=[u.schema_name for u in current])
    for unit in current:
        if unit.status == Unit.Status.MIGRATING:
            Unit.objects.filter(pk=unit.pk).update(status=_reopened(unit.status))
    if processes <= 1 or len(behind) <= 1:
        results = [unit_migrate(unit.pk, verbosity) for unit in behind]
    else:
        connections.close_all()
        context = multiprocessing.get_context("fork")  # the children inherit the loaded project
        with ProcessPoolExecutor(max_workers=min(processes, len(behind)), mp_context=context, initializer=_worker_start) as pool:
            results = list(pool.map(unit_migrate, [u.pk for u in behind], [verbosity] * len(behind)))
    for schema, error, pid in results:
        report.processes.add(pid)
        if error is None:
            report.migrated.append(schema)
        else:
            report.failed[schema] = error
    return report
