"""Idempotency keys for POSTs from mobile clients on flaky networks.

A client that sends `Idempotency-Key: <its own unique string>` with a POST and retries the
same request (after a timeout, say) gets the first answer again instead of a second
progress record or a second step; while the first is still running, a retry gets 409.
Keys are remembered for a day, per unit (the cache key carries the schema), per caller
and per path.
"""
from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.response import Response

from .errors import error_body

HEADER = "Idempotency-Key"
REMEMBER = 24 * 3600
PENDING = "pending"
PENDING_FOR = 120  # seconds: longer than any request may run (gunicorn's timeout is 30)


class IdempotentPostMixin:
    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return super().dispatch(request, *args, **kwargs)
        access = getattr(request, "unit_access", None)
        if not (0 < len(key) <= 100 and key.isascii() and key.isprintable()) or access is None:
            response = Response(error_body(400, "invalid", _("The Idempotency-Key header must be 1 to 100 printable ASCII characters.")), status=400)
            return self._answer(request, response, *args, **kwargs)
        slot = f"idempotency:{access.user_id}:{request.path}:{key}"
        if not cache.add(slot, PENDING, timeout=PENDING_FOR):
            remembered = cache.get(slot)
            if remembered == PENDING or remembered is None:
                response = Response(error_body(409, "conflict", _("The same request is still being processed; wait for its answer.")), status=409)
            else:
                response = Response(remembered["body"], status=remembered["status"], headers={"Idempotent-Replayed": "true"})
            return self._answer(request, response, *args, **kwargs)
        try:
            response = super().dispatch(request, *args, **kwargs)
        except BaseException:
            cache.delete(slot)
            raise
        if response.status_code >= 500 or not hasattr(response, "data"):
            cache.delete(slot)  # nothing to replay: the client may simply try again
        else:
            cache.set(slot, {"status": response.status_code, "body": response.data}, timeout=REMEMBER)
        return response

    def _answer(self, request, response, *args, **kwargs):
        """Answer without running the view: DRF's content negotiation and rendering still apply."""
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        return self.finalize_response(self.request, response, *args, **kwargs)
