"""/metrics: Prometheus figures of the web processes, for the bearer of the metrics token only,
without a query; and, under gunicorn, the sum over all its worker processes."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

REPO = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-tests-0123456789"


def test_without_a_configured_token_there_is_no_metrics_endpoint(settings):
    settings.JIANNUO_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN])
def test_a_missing_or_wrong_token_is_refused(settings, authorization):
    settings.JIANNUO_METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"django_http" not in response.content
    assert response.content.decode() == "需要有效的监控指标令牌。"  # Chinese first


def test_the_token_opens_the_metrics_without_a_query(db, settings):
    settings.JIANNUO_METRICS_TOKEN = TOKEN
    Client().get("/healthz/live")
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    # Requests by view (the route's name: no unit, no id in the label), method and status.
    assert re.search(r'django_http_responses_total_by_status_view_method_total\{method="GET",status="200",view="healthz-live"\} [1-9]', text)
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert len(queries) == 0


def test_metrics_are_not_routed_into_a_unit(db, settings):
    settings.JIANNUO_METRICS_TOKEN = TOKEN
    assert Client().get("/u/unit-a/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code in (302, 404)
    assert Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_gunicorn_workers_are_summed_in_one_scrape(tmp_path):
    """deploy/gunicorn.conf.py with two workers: each counts its own requests in its own file, and
    one scrape (answered by either worker) reports all of them."""
    port = _free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"stale")  # a previous run's: must not be read
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.test", "PORT": str(port), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": "2", "WEB_THREADS": "2", "JIANNUO_METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "jiannuo.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        # Up once both workers have booted (each opens its file of counters when it loads the app).
        while len(list(multiproc.glob("counter_*.db"))) < 2 or "counter_999999.db" in os.listdir(multiproc):
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(lambda _: _get(f"{base}/healthz/live")[0], range(120)))
        assert statuses == [200] * 120
        assert _get(f"{base}/metrics")[0] == 401
        status, text = _get(f"{base}/metrics", TOKEN)
        assert status == 200, text[:300]
        per_worker = {}
        for path in multiproc.glob("counter_*.db"):  # each worker's own count, read from its file alone
            alone = tmp_path / path.stem
            alone.mkdir()
            shutil.copy(path, alone / path.name)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=str(alone))
            per_worker[path.stem] = registry.get_sample_value(
                "django_http_responses_total_by_status_view_method_total", {"method": "GET", "status": "200", "view": "healthz-live"}) or 0
        assert len(per_worker) >= 2 and sum(per_worker.values()) == 120, per_worker
        # One scrape, answered by one worker, reports every request, whichever worker served it.
        assert f'django_http_responses_total_by_status_view_method_total{{method="GET",status="200",view="healthz-live"}} 120.0' in text
        assert 'django_http_responses_total_by_status_view_method_total{method="GET",status="401",view="metrics"} 1.0' in text
    finally:
        server.terminate()
        server.wait(timeout=30)
