"""Local development and the `make run` demo."""
from .base import *  # noqa: F401,F403
from .base import env_bool

# Off by default: the demo is used as its users would use it (no debug pages with the site's internals);
# DJANGO_DEBUG=1 for Django's debug pages while developing.
DEBUG = env_bool("DJANGO_DEBUG", False)
# `make run` loads the demo county, whose logins share the published password.
JIANNUO_DEMO = env_bool("JIANNUO_DEMO", True)
