"""Settings of the web server under benchmark: production, plus the bare baseline endpoint."""
from jiannuo.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "bench_urls"
