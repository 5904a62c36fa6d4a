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
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jiannuo.settings.test",
        "DATABASE_URL": database_url(),
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
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
