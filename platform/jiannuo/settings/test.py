"""Test settings: real PostgreSQL and Redis, faster password hashing."""
import os

from .base import *  # noqa: F401,F403
from .base import CACHES, DATA_DIR, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = DATA_DIR / "test-media"
# Tests use their own Redis database so a running demo is not disturbed.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + "/15")
CACHES = {name: {**cache, "LOCATION": TEST_REDIS_URL} for name, cache in CACHES.items()}
# The broker: the tests' Redis database; worker processes of the broker-parametrized tests are
# told which one the test uses (TEST_BROKER_URL, e.g. RabbitMQ).
CELERY_BROKER_URL = os.environ.get("TEST_BROKER_URL") or TEST_REDIS_URL
TEST_RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
WHITENOISE_AUTOREFRESH = True
JIANNUO_SMS_PROVIDER = "accounts.sms.MemoryProvider"  # tests read what the phone received
JIANNUO_SMS_INLINE = True  # ... at once (the task itself is tested on its own)
# Outside channels: tests read what each mailbox, phone and chat group got (tests/support/providers.py).
JIANNUO_NOTICE_PROVIDERS = {channel: "tests.support.providers.MemoryProvider" for channel in ("email", "sms", "wecom", "dingtalk")}
