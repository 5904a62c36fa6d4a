"""Writes audit entries in the same transaction as the change they describe.

Connected once for every concrete AuditedModel; bulk writes (imports) call
`record_bulk_create` themselves because Django sends no signals for them.
"""
from __future__ import annotations

from typing import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.signals import post_delete, post_save

from .context import current_actor
from .models import AuditedModel, AuditEntry

_ENCODER = DjangoJSONEncoder()


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _ENCODER.default(value) if not isinstance(value, (list, dict)) else value


def snapshot(instance: models.Model) -> dict:
    hidden = getattr(instance, "audit_hidden", ())
    return {f.attname: _jsonable(getattr(instance, f.attname)) for f in instance._meta.concrete_fields if f.attname not in hidden}


def _loaded_snapshot(instance: models.Model) -> dict | None:
    loaded = getattr(instance, "_audit_loaded", None)
    if loaded is None:
        return None
    hidden = getattr(instance, "audit_hidden", ())
    return {k: _jsonable(v) for k, v in loaded.items() if k not in hidden}


def _entry(instance: models.Model, action: str, before: dict | None, after: dict | None) -> AuditEntry:
    actor_id, actor_label = current_actor().resolve()
    return AuditEntry(
        actor_id=actor_id,
        actor_label=actor_label[:150],
        schema=connection.schema_name,
        action=action,
        model=instance._meta.label,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
    )


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    after = snapshot(instance)
    if created:
        _entry(instance, AuditEntry.Action.CREATE, None, after).save()
    else:
        before = _loaded_snapshot(instance)
        if before is not None:
            changed = {k for k in after if before.get(k) != after[k]}
            if not changed:
                return
            before = {k: before.get(k) for k in changed}
            after = {k: after[k] for k in changed}
        _entry(instance, AuditEntry.Action.UPDATE, before, after).save()
    instance._audit_loaded = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _on_delete(sender, instance, **kwargs):
    _entry(instance, AuditEntry.Action.DELETE, snapshot(instance), None).save()


def record_bulk_create(instances: Iterable[models.Model]) -> None:
    AuditEntry.objects.bulk_create([_entry(i, AuditEntry.Action.CREATE, None, snapshot(i)) for i in instances])


def connect() -> None:
    from django.apps import apps

    for model in apps.get_models():
        if issubclass(model, AuditedModel):
            post_save.connect(_on_save, sender=model, dispatch_uid=f"audit-save-{model._meta.label}")
            post_delete.connect(_on_delete, sender=model, dispatch_uid=f"audit-delete-{model._meta.label}")


def record_event(*, instance: models.Model, after: dict, action: str = AuditEntry.Action.UPDATE) -> None:
    """An audited change that is not a model save (an activation code sent, a login unlocked)."""
    _entry(instance, action, None, after).save()
