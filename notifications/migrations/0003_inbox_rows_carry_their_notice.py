from django.db import migrations


def inbox_rows_to_notices(apps, schema_editor):
    """Each message delivered before notices existed becomes an event notice, and its inbox rows point at it."""
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    Notice = apps.get_model("notifications", "Notice")
    Notification = apps.get_model("notifications", "Notification")
    for message in OutboxMessage.objects.filter(notifications__isnull=False).distinct():
        payload = message.payload or {}
        notice = Notice.objects.create(
            kind="event", topic="inbox", title=payload.get("title", "")[:200], body=payload.get("body", ""),
            audience={"kind": "people", "user_ids": payload.get("recipient_ids", [])},
            recipients=len(payload.get("recipient_ids", [])), fanned_out_at=message.delivered_at,
        )
        Notice.objects.filter(pk=notice.pk).update(created_at=message.created_at)
        Notification.objects.filter(source=message).update(notice=notice)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_notices_and_deliveries")]
    operations = [migrations.RunPython(inbox_rows_to_notices, migrations.RunPython.noop)]
