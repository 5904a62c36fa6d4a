"""Unit-scoped file downloads: files live under MEDIA_ROOT/<schema>/ and are served
only here, after the routing middleware admitted the caller to this unit."""
import os

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils._os import safe_join


def unit_file(request, name: str):
    try:
        path = safe_join(default_storage.location, name)  # location is this unit's folder
    except Exception:
        raise Http404
    if not os.path.isfile(path):
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=os.path.basename(path))
