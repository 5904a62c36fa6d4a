"""Settings of the migration benchmark: the development settings plus one unit app of its own."""
from jiannuo.settings.dev import *  # noqa: F401,F403
from jiannuo.settings.dev import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench_column"]
INSTALLED_APPS = [*INSTALLED_APPS, "bench_column"]
