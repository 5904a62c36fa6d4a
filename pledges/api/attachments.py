"""Photos and documents of progress records and close-outs, served to exactly those who may
read the record or close-out (bearer token or console session; anyone else gets 404, as for
a missing file): photos inline, PDFs as downloads, each under its original name, and a
photo's thumbnail for lists (`?size=thumb`)."""
from __future__ import annotations

import os
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from tenants.api.filters import parse_id
from tenants.api.units import UnitScopedMixin
from tenants.organization.caller import caller_from_access

from .. import selectors
from ..attachments import ATTACHMENT_SIGNATURES, is_photo, served_name, thumbnail_ensure
from . import serializers as s

# A stored file never changes (a new upload is a new file): the caller's own cache may keep it.
CACHE_CONTROL = "private, max-age=31536000, immutable"


class AnyAccept(BaseContentNegotiation):
    """A picture is asked for with `Accept: image/*`: the file answers whatever the client
    accepts, and an error is the JSON envelope all the same (DRF would refuse with 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def content_disposition(filename: str, *, as_attachment: bool, fallback: str) -> str:
    """The original name for every client: RFC 6266/5987 `filename*` in UTF-8 (Chinese names),
    and a plain ASCII `filename` for clients that read only that one."""
    plain = filename if filename.isascii() and filename.isprintable() and not set('"\\;') & set(filename) else fallback
    return f"{'attachment' if as_attachment else 'inline'}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


_FILE_TYPES = sorted({mime for _signatures, mime, _ext in ATTACHMENT_SIGNATURES.values()})


class AttachmentFile(UnitScopedMixin, APIView):
    """A photo or document of a progress record or close-out, to whoever may read the record
    (who made, reviews or runs the pledge); 404 for anyone else, as for a file that does not exist.
    Photos come inline, PDFs as downloads, under the original name; cache privately, for good."""

    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="attachment_file",
        summary="照片与文件 / A photo or document",
        parameters=[OpenApiParameter("size", str, enum=["original", "thumb"], default="original", description=gettext_lazy(
            "`thumb`: a JPEG within 320×320 px for lists (photos only: PDFs have none, `thumbnail_url` is null)."))],
        responses={
            **{(200, mime): OpenApiResponse(OpenApiTypes.BINARY, description=gettext_lazy("The file, as stored.")) for mime in _FILE_TYPES},
            304: OpenApiResponse(description=gettext_lazy("Unchanged since the ETag given in If-None-Match.")),
            # Errors: the envelope (tenants.api.schema), with what each means here.
            (400, "application/json"): OpenApiResponse(description=gettext_lazy("An unknown size.")),
            (401, "application/json"): OpenApiResponse(description=gettext_lazy("Not signed in.")),
            (404, "application/json"): OpenApiResponse(description=gettext_lazy(
                "No such file, or not one the caller may read; or a thumbnail asked of a file that has none.")),
        },
    )
    def get(self, request, pk: int):
        form = s.AttachmentQuerySerializer(data=request.query_params.dict())  # a dict: `?size=` is refused, not read as absent
        form.is_valid(raise_exception=True)
        pk = parse_id(str(pk))  # an id beyond the column's range names nothing
        found = selectors.attachment_readable(who=self.caller, attachment_id=pk) if pk is not None else None
        if found is None:
            raise Http404
        stored, photo = found["file"], is_photo(found["content_type"])
        name = served_name(name=found["name"], content_type=found["content_type"])
        if form.validated_data["size"] == "thumb":
            if not photo:
                raise NotFound(_("This file has no thumbnail."))
            etag = f'"a{found["id"]}-thumb"'
            answer = get_conditional_response(request, etag=etag)
            if answer is None:
                stored = thumbnail_ensure(stored_name=stored)
                if stored is None:
                    raise NotFound(_("This file has no thumbnail."))
                answer = _file(stored, content_type="image/jpeg")
                answer["Content-Disposition"] = content_disposition(
                    f"{os.path.splitext(name)[0]}.jpg", as_attachment=False, fallback=f"attachment-{found['id']}-thumb.jpg")
        else:
            etag = f'"a{found["id"]}"'
            answer = get_conditional_response(request, etag=etag)
            if answer is None:
                answer = _file(stored, content_type=found["content_type"])
                answer["Content-Disposition"] = content_disposition(
                    name, as_attachment=not photo, fallback=f"attachment-{found['id']}{os.path.splitext(stored)[1]}")
        answer["ETag"] = etag
        answer["Cache-Control"] = CACHE_CONTROL
        answer["X-Content-Type-Options"] = "nosniff"
        patch_vary_headers(answer, ("Authorization", "Cookie"))
        return answer


def _file(stored_name: str, *, content_type: str) -> FileResponse:
    try:
        handle = open(default_storage.path(stored_name), "rb")  # the unit's folder: the connection is in its schema
    except OSError:  # the row without its file (e.g. restored without the media folder)
        raise Http404 from None
    return FileResponse(handle, content_type=content_type)


def stored_file(request, name: str):
    """The address files had before the API served them (`/u/<unit>/files/<stored name>`):
    the same file at its API address, for a console session that may read it; 404 otherwise."""
    found = selectors.attachment_readable(who=caller_from_access(request.unit_access), stored_name=name)
    if found is None:
        raise Http404
    return HttpResponseRedirect(s.attachment_address(request.unit.slug, found["id"]))
