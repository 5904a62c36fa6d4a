"""Prometheus metrics of the web processes at /metrics, for the monitoring system only.

Not public: the endpoint answers only a request bearing the token set in JIANNUO_METRICS_TOKEN
(`Authorization: Bearer <token>`, compared in constant time); without a token configured it does
not exist (404), with a wrong or missing one it is refused (401). It sits beside /healthz in the
public URLs, outside unit routing, and reads neither the database nor the session: a scrape costs
no query, and works while the database is down (when the figures matter most).

gunicorn runs several worker processes and a scrape reaches one of them, so each worker's own
counters would be a random fraction of the truth. Under gunicorn (deploy/gunicorn.conf.py) every
worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR and this view adds up the files of
all workers (prometheus_client's multiprocess mode): one scrape sees the whole server. Elsewhere
(runserver, tests) it serves the process's own registry.
"""
from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess


def _token_matches(request) -> bool:
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    expected = settings.JIANNUO_METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


@require_GET
def metrics(request):
    if not settings.JIANNUO_METRICS_TOKEN:
        raise Http404  # not configured: no metrics endpoint at all
    if not _token_matches(request):
        response = HttpResponse(_("A valid metrics token is required."), status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
