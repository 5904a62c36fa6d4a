"""Real Celery workers for the tests that kill one mid-task: started on a queue of their own,
against the test database and the tests' Redis, loading the test-only tasks."""
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as the application role when it may log in (`make test` makes it so):
    workers run with the privileges they have in production."""
    from urllib.parse import urlsplit

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    if os.environ.get("DATABASE_APP_URL"):
        auth = urlsplit(os.environ["DATABASE_APP_URL"]).netloc.rsplit("@", 1)[0]
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jiannuo.settings.test",
        "DATABASE_URL": database_url(),
        "TEST_REDIS_URL": settings.TEST_REDIS_URL,
        "TEST_BROKER_URL": _app().conf.broker_url,  # the broker this test uses (brokers_in_turn)
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jiannuo", "worker", "-P", "solo", "-Q", queue, "-I", "tests.support.tasks",
         "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "WARNING"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def broker_unreachable(app):
    """Point the Celery app at a port nothing listens on (a real connection refused, not a mock);
    returns the function that puts it back."""
    saved = {name: app.conf[name] for name in ("broker_url", "broker_connection_retry", "task_publish_retry_policy")}
    # Pools are left open (kombu keeps producer pools per connection): new ones are made for the dead address.
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_connection_retry = False
    app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}

    def restore():
        app._pool = None
        app.amqp._producer_pool = None
        for name, value in saved.items():
            app.conf[name] = value

    return restore


def _app():
    from jiannuo.celery import app

    return app


def broker_use(app, url: str):
    """Point the Celery app at the broker at `url`; returns the function that puts it back."""
    saved = app.conf.broker_url
    app._pool = None  # producer pools are per broker: new ones for the new address
    app.amqp._producer_pool = None
    app.conf.broker_url = url

    def restore():
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = saved

    return restore


def queued(queue: str) -> list[dict]:
    """Take every message waiting in `queue` off the broker (Redis or RabbitMQ) and return their
    headers, for tests that look at what was sent rather than run it."""
    from kombu import Queue

    headers = []
    with _app().connection_for_read() as conn:
        bound = Queue(queue, routing_key=queue)(conn.default_channel)
        bound.declare()
        while (message := bound.get(no_ack=True)) is not None:
            headers.append(message.headers)
    return headers


def queue_remove(queue: str) -> None:
    """Delete a test's own queue from the broker, whichever it is."""
    with _app().connection_for_write() as conn:
        try:
            conn.default_channel.queue_delete(queue)
        except Exception:  # already gone
            pass
