"""Production-style web server: several worker processes, each with a few threads
(django-tenants keeps the schema per connection, and connections are per thread)."""
import multiprocessing
import os
import tempfile
from pathlib import Path

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
errorlog = "-"
# The repo's `platform/` folder holds the project packages (not itself a package).
pythonpath = "platform,."

# Prometheus: a scrape of /metrics reaches one worker, and each worker counts only its own
# requests. So every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR and the view
# adds up the files of all of them (prometheus_client's multiprocess mode; jiannuo.metrics). Set
# here, in the master, before any worker imports prometheus_client: the mode is chosen at import.
# The directory is per server (the port in its name) unless given, e.g. a container's /tmp.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(tempfile.gettempdir(), f"jiannuo-prometheus-{os.environ.get('PORT', '8000')}"))


def on_starting(server):
    # A previous run's files would be added to this one's counts: start from none.
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # A worker that exits (max_requests, a crash) keeps its counters in the sum; its live gauges go.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
