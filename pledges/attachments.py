"""Photos and documents on progress records and close-outs.

The type is decided from the file's first bytes, not from its name or the type the
client claims, and size and count follow the round's rules. Photos get a thumbnail for
lists, made on first request and kept next to the original.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

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


# A list's thumbnail fits this box (px), as a JPEG: every phone shows one.
THUMBNAIL_BOX = 320
PHOTO_TYPES = frozenset(ATTACHMENT_SIGNATURES[kind][1] for kind in ("jpeg", "png", "webp"))
# Larger pictures get no thumbnail: decoding one would take a web worker's memory (a JPEG
# counts at the reduced size it is decoded at, see `thumbnail_ensure`).
THUMBNAIL_MAX_SOURCE_PIXELS = 50_000_000


def is_photo(content_type: str) -> bool:
    """Photos are shown inline and have a thumbnail; PDFs are downloaded and have none."""
    return content_type in PHOTO_TYPES


# Each stored type's extension (and another a name may end with for it).
_EXTENSION = {mime: f".{ext}" for _signatures, mime, ext in ATTACHMENT_SIGNATURES.values()}
_ALSO = {".jpeg": "image/jpeg"}


def served_name(*, name: str, content_type: str) -> str:
    """The uploader's name for the file, ending as its type does: a PDF uploaded as `通知.exe`
    is saved by the browser as `通知.exe.pdf`, never as a program."""
    ext = os.path.splitext(name)[1].lower()
    if _EXTENSION.get(content_type) == ext or _ALSO.get(ext) == content_type:
        return name
    return name + _EXTENSION.get(content_type, "")


def thumbnail_name(stored_name: str) -> str:
    """The thumbnail's stored name, beside the original's (the box in the name: another box
    would be another file, never a stale one)."""
    stem, _ext = os.path.splitext(stored_name)
    return f"{stem}.thumb{THUMBNAIL_BOX}.jpg"


def thumbnail_ensure(*, stored_name: str, storage=default_storage) -> str | None:
    """The stored name of the photo's thumbnail, made the first time it is asked for; None
    when the file cannot be read as a picture (or is too large to decode).

    Requests that race both make it and each moves its own finished file into place
    (an atomic rename of the same bytes): a reader sees no file or a whole one, never a part."""
    name = thumbnail_name(stored_name)
    target = storage.path(name)
    if os.path.isfile(target):
        return name
    try:
        with Image.open(storage.path(stored_name)) as picture:
            picture.draft("RGB", (THUMBNAIL_BOX * 2, THUMBNAIL_BOX * 2))  # a JPEG decodes at 1/2 … 1/8 of its size
            if picture.width * picture.height > THUMBNAIL_MAX_SOURCE_PIXELS:
                return None
            small = ImageOps.exif_transpose(picture)  # phones store photos sideways, with a rotation tag
            small.thumbnail((THUMBNAIL_BOX, THUMBNAIL_BOX))
            if small.mode != "RGB":  # transparency shown on white: JPEG has none
                rgba = small.convert("RGBA")
                small = Image.new("RGB", rgba.size, "white")
                small.paste(rgba, mask=rgba.getchannel("A"))
            handle, part = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".thumb-", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as out:
                    small.save(out, "JPEG", quality=80, optimize=True)  # no EXIF: a thumbnail carries no location
                os.replace(part, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part)
                raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):  # not a picture Pillow can read
        return None
    return name
