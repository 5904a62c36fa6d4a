"""Production-style web server: several worker processes, each with a few threads
(django-tenants keeps the schema per connection, and connections are per thread)."""
import multiprocessing
import os

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
