#!/usr/bin/env bash
# `make run` / `make serve`: bring up PostgreSQL + Redis (local or embedded), migrate,
# load the demo county, then run web (gunicorn), Celery worker and Celery beat together.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p .data
eval "$($PY deploy/services.py ensure)"
export DATABASE_URL REDIS_URL
export PORT="${PORT:-8000}"

if [ "${JIANNUO_SERVE:-}" = "production" ]; then
  export DJANGO_SETTINGS_MODULE=jiannuo.settings.production
  if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    [ -f .data/secret_key ] || $PY -c "import secrets; print(secrets.token_urlsafe(64))" > .data/secret_key
    DJANGO_SECRET_KEY="$(cat .data/secret_key)"
    export DJANGO_SECRET_KEY
  fi
  # Local serving speaks plain HTTP; behind a TLS proxy leave this at its default (on).
  export DJANGO_SECURE_SSL_REDIRECT="${DJANGO_SECURE_SSL_REDIRECT:-0}"
  # Production settings: no demo unless asked for (JIANNUO_DEMO=1 make serve). The demo's
  # logins share a published password; a real deployment never loads it.
  export JIANNUO_DEMO="${JIANNUO_DEMO:-0}"
else
  export DJANGO_SETTINGS_MODULE=jiannuo.settings.dev
fi

$PY manage.py migrate_platform
if [ "${JIANNUO_DEMO:-1}" != "0" ]; then $PY manage.py seed_demo; fi
$PY manage.py collectstatic --noinput -v 0

if [ "${JIANNUO_DEMO:-1}" = "0" ]; then
  echo "  践诺 Jiannuo: production settings, no demo data (JIANNUO_DEMO=1 make serve loads the demo county)."
  echo "  Create the first operator with: .venv/bin/python manage.py createsuperuser"
fi
[ "${JIANNUO_DEMO:-1}" = "0" ] || cat <<BANNER

  践诺 Jiannuo is starting on http://127.0.0.1:${PORT}/   (settings: ${DJANGO_SETTINGS_MODULE})

  Browser
    Sign in ............ http://127.0.0.1:${PORT}/accounts/login/
    Platform console ... http://127.0.0.1:${PORT}/admin/              operator / jiannuo-demo
    County admin ....... http://127.0.0.1:${PORT}/admin/              county-admin / jiannuo-demo  (红星县, read-only)
      both then ask for a two-step code: authenticator key NJUWC3TOOVXS2ZDFNVXS25DPORYC223F,
      or in another terminal: make otp WHO=operator   (WHO=county-admin)
    Unit console ....... http://127.0.0.1:${PORT}/u/hongxing/admin/   hongxing-admin / jiannuo-demo (红星镇)
    API docs ........... http://127.0.0.1:${PORT}/api/v1/docs/
    Public board ....... http://127.0.0.1:${PORT}/u/hongxing/board/   (no login)

  Mobile API (JWT), e.g. a branch secretary of 红星镇:
    curl -s -X POST http://127.0.0.1:${PORT}/api/v1/auth/token/ -H 'Content-Type: application/json' \\
         -d '{"username": "13900000019", "password": "jiannuo-demo"}'
    curl -s http://127.0.0.1:${PORT}/api/v1/u/hongxing/me/ -H "Authorization: Bearer <access>"
  Other units: xianwei-jiguan, yizhong, gongdian (红星县), qingshan (青山县). Ctrl-C stops everything.

BANNER
# Migrations and the demo ran as the owning role; web, worker and beat connect as the
# application role (no superuser, no DDL, audit entries append-only) when there is one.
if [ -n "${DATABASE_APP_URL:-}" ]; then export DATABASE_URL="$DATABASE_APP_URL"; fi
exec .venv/bin/honcho -f deploy/Procfile start
