"""JSON responses written by orjson: the same JSON as DRF's renderer (compact, UTF-8, dates
and times as DRF writes them), in a fraction of the time on long lists."""
from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_drf_default = JSONEncoder().default  # lazy translations, decimals, dates and times: as DRF writes them


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):  # asked for pretty output
            return super().render(data, accepted_media_type, renderer_context)
        out = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        # As DRF does: line and paragraph separators escaped, so the JSON is also valid JavaScript.
        return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
