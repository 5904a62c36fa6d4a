from celery import current_app, shared_task
from django_tenants.utils import tenant_context

from jiannuo.celery import PlatformTask

from .models import Unit
from .scheduling import slot_offset


@shared_task(base=PlatformTask, name="tenants.fan_out")
def fan_out(task_name: str, period: int) -> int:
    """Send `task_name` to every active unit, each at its own slot within the period."""
    sent = 0
    for unit in Unit.objects.filter(status=Unit.Status.ACTIVE).order_by("pk"):
        offset = slot_offset(unit.schema_name, task_name, period)
        with tenant_context(unit):  # stamps the unit's schema on the message
            current_app.send_task(task_name, countdown=offset, expires=offset + period * 1.5)
        sent += 1
    return sent
