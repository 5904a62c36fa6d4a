"""Settings shared by every environment. Environment variables override defaults.

DATABASE_URL / REDIS_URL come from `deploy/services.py ensure`, which picks the
machine's PostgreSQL and Redis or starts embedded ones.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = Path(os.environ.get("JIANNUO_DATA_DIR", REPO_ROOT / ".data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# --- Multi-tenancy (django-tenants): one PostgreSQL schema per unit -------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "accounts",
    "oversight",
    "audit",
    "notifications",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "demo",
]
# Apps whose tables exist in every unit's schema. audit and notifications are in both:
# each unit keeps its own audit trail and outbox, the platform keeps one for its own changes.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.admin",
    "audit",
    "notifications",
    "tenants.organization",
    "pledges",
    "evaluations",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]

TENANT_MODEL = "tenants.Unit"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New units are cloned from a migrated template schema instead of replaying migrations.
TENANT_BASE_SCHEMA = "unit_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# SET search_path once per schema switch, not before every query. Safe because the backend
# forgets the value on every rollback and savepoint rollback (a rolled-back SET is undone by
# PostgreSQL); tests/tenants/test_search_path.py holds it to that.
TENANT_LIMIT_SET_CALLS = True

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
        engine="tenants.postgresql_backend",  # django-tenants', without repeated SET search_path
    )
}
# The planner's cost of a random read: 1.1 for SSDs (PostgreSQL's default of 4 assumes spinning
# disks and has the ledgers scan every item of a round instead of using their indexes).
# DB_RANDOM_PAGE_COST="" leaves the server's own setting.
if os.environ.get("DB_RANDOM_PAGE_COST", "1.1"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={float(os.environ.get('DB_RANDOM_PAGE_COST', '1.1'))}"
# Server-side parameters and prepared statements: psycopg prepares a statement on a connection
# once it has run DB_PREPARE_THRESHOLD times, and PostgreSQL then skips parsing it and, where its
# generic plan is as good, planning it (the hot reads are a few statements, each repeated on
# every request). PostgreSQL re-plans a prepared statement whenever search_path changes, so one
# connection serves any unit. DB_PREPARE_THRESHOLD="" turns it off: client-side binding, as
# behind a connection pooler in transaction mode that cannot keep prepared statements.
if os.environ.get("DB_PREPARE_THRESHOLD", "5"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=int(os.environ.get("DB_PREPARE_THRESHOLD", "5")))
# DB_POOL_SIZE=N: Django's connection pool (psycopg_pool), at most N connections per process,
# instead of one persistent connection per thread (CONN_MAX_AGE). A connection goes back to the
# pool with its search_path reset (tenants.postgresql_backend), so no unit's path reaches the
# next request; tests/tenants/test_connection_pool.py holds it to that.
if os.environ.get("DB_POOL_SIZE"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": int(os.environ["DB_POOL_SIZE"]), "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10"))}
# Units migrated at once by migrate_platform (each in its own process); units already up to date are skipped.
UNIT_MIGRATION_PROCESSES = int(os.environ.get("JIANNUO_MIGRATE_PROCESSES", "4"))
# A connection that has served more units than this is ended after its request or task (its
# catalog caches grow with every unit schema it touches); 0: never.
DB_CONN_MAX_UNITS = int(os.environ.get("DB_CONN_MAX_UNITS", "100"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role web, workers and beat connect as (DATABASE_URL in production): no superuser, no DDL,
# no UPDATE or DELETE on audit entries. Migrations run as the role that owns the schemas
# (audit migration 0003 grants this one what it needs); units are created through the owner's
# SECURITY DEFINER function (tenants migration 0004). See README, "Scaling out".
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "jiannuo_app")

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

MIDDLEWARE = [
    "jiannuo.logs.RequestContextMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.routing.PublicSchemaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tenants.routing.UnreadableRequestMiddleware",  # answers in the caller's language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: resolves /u/<unit>/…, checks the caller's access in the public schema,
    # and only then switches the connection to the unit's schema.
    "tenants.routing.UnitRoutingMiddleware",
]

ROOT_URLCONF = "jiannuo.urls"
# Each unit's URL configuration (its slug as a literal prefix), built by the top floor.
UNIT_URLCONF_FACTORY = "jiannuo.unit_urls.urlconf_for"
WSGI_APPLICATION = "jiannuo.wsgi.application"
ASGI_APPLICATION = "jiannuo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "platform" / "jiannuo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
# Axes first: a locked account is refused before its password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PhoneOrUsernameBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.DemoPasswordValidator"},
]

# --- Accounts you can trust -------------------------------------------------------------------
# The demo (make run) publishes one password for every login; only demo settings accept it.
JIANNUO_DEMO = env_bool("JIANNUO_DEMO", False)
# Addresses (or networks) of the reverse proxies in front of the web servers. Only requests
# from them have their X-Forwarded-For believed; empty: the connecting address is the client.
JIANNUO_TRUSTED_PROXIES = [p for p in os.environ.get("JIANNUO_TRUSTED_PROXIES", "").split(",") if p.strip()]
# Wrong passwords: per account (django-axes) ...
AXES_FAILURE_LIMIT = int(os.environ.get("JIANNUO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("JIANNUO_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.login.login_key"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends on time, however often it is tried
AXES_ENABLE_ADMIN = False  # registered on the platform console instead (accounts.admin)
AXES_VERBOSE = False
# Lockouts are answered by our own views (translated, in the API's error shape), not by axes'
# middleware; per-address limiting is our own counter (below), not axes' all-or-nothing IP lock.
SILENCED_SYSTEM_CHECKS = ["axes.W002", "axes.W006"]
# ... and per client address, counting failures for every account together.
JIANNUO_ADDRESS_FAILURE_LIMIT = int(os.environ.get("JIANNUO_ADDRESS_FAILURE_LIMIT", "50"))
JIANNUO_ADDRESS_FAILURE_WINDOW = timedelta(minutes=15)
# Two-step verification: always for operators and jurisdiction admins; unit admins "optional" or "required".
JIANNUO_2FA_UNIT_ADMINS = os.environ.get("JIANNUO_2FA_UNIT_ADMINS", "optional")
OTP_TOTP_ISSUER = "践诺 Jiannuo"
# Console sessions end after this long without a request (MLPS 2.0 level 3).
JIANNUO_SESSION_IDLE = timedelta(minutes=int(os.environ.get("JIANNUO_SESSION_IDLE_MINUTES", "30")))
JIANNUO_SMS_PROVIDER = os.environ.get("JIANNUO_SMS_PROVIDER", "accounts.sms.LogProvider")
JIANNUO_SMS_INLINE = False  # messages go out through a worker task (accounts.send_sms)
# Notices on outside channels (notifications.channels): a provider class per channel. The log
# provider writes them to the log; e.g. JIANNUO_NOTICE_EMAIL=notifications.channels.EmailProvider.
JIANNUO_NOTICE_PROVIDERS = {
    channel: os.environ.get(f"JIANNUO_NOTICE_{channel.upper()}", "notifications.channels.LogProvider")
    for channel in ("email", "sms", "wecom", "dingtalk")
}
# Routine reminders (record your progress, propose by, due soon, pledges to review) also go out on these
# channels (comma-separated; empty: the inbox only), or in the daily digest of those who want one.
JIANNUO_REMINDER_CHANNELS = [c for c in os.environ.get("JIANNUO_REMINDER_CHANNELS", "sms").split(",") if c]
JIANNUO_DIGEST_HOUR = int(os.environ.get("JIANNUO_DIGEST_HOUR", "18"))  # routine reminders' daily digest, local time

# --- Language and time: Chinese first ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [REPO_ROOT / "platform" / "jiannuo" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files land under MEDIA_ROOT/<unit schema>/ and are served only through the
# unit-scoped download view, never by a public MEDIA_URL.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Cache and sessions: keys carry the schema name -----------------------------------------
CACHES = {
    "default": {
        "BACKEND": "tenants.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "jiannuo",
    }
}
# Security state is global, not per unit: keys without the schema prefix, so a session ended
# inside a unit's console is ended everywhere, and a revoked token is revoked on every path.
CACHES["security"] = {"BACKEND": "tenants.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "jiannuo-security"}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "security"
SESSION_COOKIE_AGE = 60 * 60 * 12  # a working day; idleness ends it sooner (JIANNUO_SESSION_IDLE)

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["tenants.api.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PAGINATION_CLASS": "tenants.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "tenants.api.filters.FilterBackend",
        "tenants.api.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenants.api.errors.exception_handler",
    "VIEW_DESCRIPTION_FUNCTION": "tenants.api.descriptions.view_description",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {"login": "20/min", "activation": "10/min"},
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "践诺 Jiannuo API",
    "DESCRIPTION": "公开承诺（承诺践诺评诺）平台 REST API. Unit-scoped endpoints live under /api/v1/u/{unit}/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: the schemas are plain JSON Schema (nullable is `type: [..., "null"]`), so the test
    # suite validates every response against them as they are (tests/support/openapi.py).
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "tenants.api.schema.error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "tenants.organization.models.Organization.Kind",
        "ItemKindEnum": "pledges.models.ItemKind",
        "ItemAreaEnum": "pledges.models.Area",
        "ReviewerEnum": "pledges.models.Reviewer",
        "PledgeStateEnum": "pledges.models.Pledge.State",
        "PledgeItemStateEnum": "pledges.models.PledgeItem.State",
        "NoticeChannelEnum": "notifications.models.Channel",
        "NoticeKindEnum": "notifications.models.Notice.Kind",
        "AudienceKindEnum": "notifications.audience.KIND_CHOICES",
        "AudienceRoleEnum": "notifications.audience.ROLE_CHOICES",
        "DeliveryStatusEnum": "notifications.models.Delivery.Status",
    },
}

# --- Celery: Redis broker, tenant-aware tasks, at-least-once delivery ------------------------
# Redis by default; RabbitMQ (amqp://…) works the same (the worker tests run on both).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A killed worker's unacked tasks come back after `visibility_timeout` seconds, found by
# a sweep every `unacked_restore_interval` × `unacked_restore_throttle` seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", "10")),
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Named queues (tenants.tasks.Queue); routes by name, so `send_task` by name is routed too.
CELERY_TASK_ROUTES = {
    "tenants.*": {"queue": "county"},
    "oversight.launch_campaign": {"queue": "county"},
    "oversight.refresh_unit_figures": {"queue": "aggregation"},
    "oversight.push_notice_counts": {"queue": "aggregation"},
    "oversight.carry_notice": {"queue": "notifications"},
    "oversight.remind_notice": {"queue": "notifications"},
    "oversight.notices_sweep": {"queue": "county"},
    "evaluations.*": {"queue": "aggregation"},
    "notifications.*": {"queue": "notifications"},
    "accounts.send_sms": {"queue": "notifications"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# JIANNUO_LOG_FORMAT=json (production's default): one JSON object per line, with request id, unit and user.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "jiannuo.logs.ContextFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(unit)s %(user)s] %(message)s"},
                   "json": {"()": "jiannuo.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": os.environ.get("JIANNUO_LOG_FORMAT", "plain")}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django_tenants": {"level": "WARNING"}},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Metrics (Prometheus) and Celery events ---------------------------------------------------
# Requests counted and timed by view, method and status (django-prometheus, middleware only: the
# database engine stays tenants.postgresql_backend). Served at /metrics to the bearer of this
# token only; empty: no /metrics at all (jiannuo.metrics).
JIANNUO_METRICS_TOKEN = os.environ.get("JIANNUO_METRICS_TOKEN", "")
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Workers publish task events (received, started, succeeded, failed, retried) and the sender a
# task-sent event, which the Celery exporter (danihodovic/celery-exporter; compose.yaml,
# deploy/k8s) turns into queue, task and worker metrics.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
# --- end of metrics ----------------------------------------------------------------------------
