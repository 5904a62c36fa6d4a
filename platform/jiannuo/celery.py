"""The Celery app: Redis broker, tasks that always run in the schema they were sent from
(tenant-schemas-celery), with the task base classes of the kernel (tenants.tasks) and the
schedule of per-unit work (tenants.scheduling)."""
import os

from django.conf import settings  # noqa: F401  (settings must be importable before the app)
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")


app = CeleryApp("jiannuo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_tenant_cache_seconds = 0  # unit status must be fresh: a migrating unit gets no task
app.autodiscover_tasks()

from tenants.scheduling import beat_schedule  # noqa: E402  (no Django imports inside)

app.conf.beat_schedule = beat_schedule()

