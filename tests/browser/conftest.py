"""Pages people use, in a real headless browser: Playwright driving Debian's chromium.

The site is served by a live server thread on the test database (the shared world is
committed there). Browser tests make their own people and remove them afterwards.
Without /usr/bin/chromium these tests are skipped, and pytest says so in its summary;
`.ci/run` installs chromium first, so CI always runs them.
"""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("JIANNUO_CHROMIUM", "/usr/bin/chromium")
# The machine's network is closed: without these Chromium keeps trying Google's hosts.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_site(world, django_db_blocker):
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        yield f"http://127.0.0.1:{server.port}"
        server.terminate()
        # Request threads may still hold connections; the test database is dropped next.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django takes
    # for async code; the database calls that follow are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"), args=FLAGS)
    yield chromium
    chromium.close()
    playwright.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def person(world, django_db_blocker):
    """Make committed people for one test; they and their sign-in traces are removed afterwards."""
    from axes.models import AccessAttempt, AccessLog
    from django.db import connection

    from accounts.models import User

    made: list[User] = []

    def make(username: str, password: str = "Browser-pass-2026", **extra) -> User:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            user = User(username=username, full_name=extra.pop("full_name", username), **extra)
            user.set_password(password)
            user.save()
        made.append(user)
        return user

    yield make
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for user in made:
            AccessAttempt.objects.filter(username=user.username).delete()
            AccessLog.objects.filter(username=user.username).delete()
            user.delete()
