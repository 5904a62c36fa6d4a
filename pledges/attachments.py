"""Photos and documents on progress records and close-outs.

The type is decided from the file's first bytes, not from its name or the type the
client claims, and size and count follow the round's rules.
"""
from __future__ import annotations

import os
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Attachment, PledgeItem, ProgressRecord

# type name → (leading bytes, MIME type, extension)
ATTACHMENT_SIGNATURES = {
    "jpeg": ((b"\xff\xd8\xff",), "image/jpeg", "jpg"),
    "png": ((b"\x89PNG\r\n\x1a\n",), "image/png", "png"),
    "webp": ((b"RIFF",), "image/webp", "webp"),
    "pdf": ((b"%PDF-",), "application/pdf", "pdf"),
}


def sniff(head: bytes) -> str | None:
    for name, (signatures, _mime, _ext) in ATTACHMENT_SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            if name == "webp" and head[8:12] != b"WEBP":
                continue
            return name
    return None


def check_files(*, files, rules) -> None:
    files = list(files)
    if len(files) > rules.attachments_per_record:
        raise ValidationError({"files": _("At most %(n)d files at a time.") % {"n": rules.attachments_per_record}})
    limit = rules.attachment_max_mb * 1024 * 1024
    for index, upload in enumerate(files):
        name = os.path.basename(getattr(upload, "name", "") or "file")
        if upload.size > limit:
            raise ValidationError({f"files.{index}": _("%(name)s is too large: at most %(mb)d MB.") % {"name": name, "mb": rules.attachment_max_mb}})
        if upload.size == 0:
            raise ValidationError({f"files.{index}": _("%(name)s is empty.") % {"name": name}})
        upload.seek(0)
        kind = sniff(upload.read(16))
        upload.seek(0)
        if kind is None or kind not in rules.attachment_types:
            raise ValidationError({f"files.{index}": _("%(name)s is not an accepted type (%(types)s).") % {"name": name, "types": ", ".join(rules.attachment_types)}})
        upload.jiannuo_kind = kind


def attach(*, files, record: ProgressRecord | None = None, item: PledgeItem | None = None) -> list[Attachment]:
    """Store checked files; names on disk are random, the original name is kept for display."""
    saved = []
    for upload in files:
        _signatures, mime, ext = ATTACHMENT_SIGNATURES[upload.jiannuo_kind]
        original = os.path.basename(getattr(upload, "name", "") or f"file.{ext}")[:200]
        attachment = Attachment(record=record, item=item, name=original, content_type=mime, size=upload.size)
        attachment.file.save(f"{uuid.uuid4().hex}.{ext}", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved
