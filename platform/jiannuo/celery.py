"""The Celery app: Redis broker, tasks that always run in the schema they were sent from.

tenant-schemas-celery stamps the sending connection's schema on every message and
switches to it before the task runs. `UnitTask` adds what it does not: a unit task
sent from the public schema fails loudly instead of silently running there, and a
unit that is being provisioned or migrated gets no task (it is retried later).
"""
import os

from django.conf import settings  # noqa: F401  (settings must be importable before the app)
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")


class TaskOutsideUnit(RuntimeError):
    """A unit task was about to run in the public schema."""


class UnitNotReady(RuntimeError):
    """The unit is provisioning, migrating or suspended."""


class UnitTask(TenantTask):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        from django.db import connection
        from django_tenants.utils import get_public_schema_name

        if connection.schema_name == get_public_schema_name():
            raise TaskOutsideUnit(f"{self.name} must be sent from a unit's schema, not the public schema")
        unit = getattr(connection, "tenant", None)
        status = getattr(unit, "status", None)
        if status is not None and status != "active":
            raise self.retry(exc=UnitNotReady(f"unit {connection.schema_name} is {status}"), countdown=60, max_retries=30)
        return super().__call__(*args, **kwargs)


class PlatformTask(TenantTask):
    """Runs in the public schema (fan-out, cross-unit roll-ups)."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True


app = CeleryApp("jiannuo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_tenant_cache_seconds = 0  # unit status must be fresh: a migrating unit gets no task
app.autodiscover_tasks()

from tenants.scheduling import beat_schedule  # noqa: E402  (no Django imports inside)

app.conf.beat_schedule = beat_schedule()

