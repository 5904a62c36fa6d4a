"""Local development and the `make run` demo."""
from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# `make run` loads the demo county, whose logins share the published password.
JIANNUO_DEMO = env_bool("JIANNUO_DEMO", True)
