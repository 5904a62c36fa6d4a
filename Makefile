# Jiannuo — the two commands: `make run` (platform + demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
# Picks DATABASE_URL / REDIS_URL: given ones, local defaults, or embedded servers under .data/
SERVICES = eval "$$($(PY) deploy/services.py ensure)"

.PHONY: run test serve install services stop migrate otp messages validate-deploy bench-provisioning bench-pledges bench-api bench-evaluations bench-notices bench-migrations bench-scale clean-data

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## make run: migrate, load the demo county, start web + worker + beat
run: install
	@bash deploy/run.sh

## make test: the whole suite against real PostgreSQL and Redis
test: install
	@$(SERVICES) && $(PY) -m pytest $(PYTEST_ARGS)

## make serve: production settings behind gunicorn (several workers), plus worker and beat
serve: install
	@JIANNUO_SERVE=production bash deploy/run.sh

## make validate-deploy: the Dockerfile, compose.yaml and deploy/k8s checked offline (the suite runs it too: tests/deploy)
validate-deploy: install
	@$(PY) deploy/validate.py

services: install
	@$(PY) deploy/services.py ensure

stop:
	@$(PY) deploy/services.py stop

## make otp WHO=operator: the demo login's current two-step verification code
otp: install
	@$(SERVICES) && JIANNUO_DEMO=1 $(PY) manage.py demo_otp $(or $(WHO),operator)

migrate: install
	@$(SERVICES) && $(PY) manage.py migrate_platform

bench-provisioning: install
	@$(SERVICES) && $(PY) deploy/bench/provisioning.py

bench-pledges: install
	@$(SERVICES) && $(PY) deploy/bench/pledges.py

## make bench-evaluations: a county's evaluation scores, recomputed and ballot by ballot, next to a naive ORM loop
bench-evaluations: install
	@$(SERVICES) && $(PY) deploy/bench/evaluations.py

## make bench-notices: a county-wide notice next to PostgreSQL COPY and one task per recipient; the county console's cost
bench-notices: install
	@$(SERVICES) && $(PY) deploy/bench/notices.py $(BENCH_ARGS)

## make bench-migrations: migrating many units (nothing to apply, one column), serial and parallel, next to django-tenants' per-unit migrate
bench-migrations: install
	@$(SERVICES) && $(PY) deploy/bench/migrations.py $(BENCH_ARGS)

## make bench-scale: provisioning, the hot API paths and a connection's memory at 30, 300 and 3,000 units (BENCH_ARGS="--units 300 --keep")
bench-scale: install
	@$(SERVICES) && $(PY) deploy/bench/scale.py $(BENCH_ARGS)

## make bench-api: the API's hot paths under wrk next to a bare DRF baseline (needs: apt-get install -y wrk)
bench-api: install
	@$(SERVICES) && $(PY) deploy/bench/api.py

## make messages: extract the code's messages into the zh_Hans catalogue and compile it
## (fill in the new msgstr lines in platform/jiannuo/locale/zh_Hans/LC_MESSAGES/django.po, then run it again)
messages: install
	@DJANGO_SETTINGS_MODULE=jiannuo.settings.test $(PY) -c "import sys; sys.path[:0] = ['platform', '.']; import django; django.setup(); from django.core.management import call_command; call_command('makemessages', locale=['zh_Hans'], no_obsolete=True, add_location='file', ignore_patterns=['.venv/*', 'tests/*', 'deploy/*', '.data/*', 'build/*'], verbosity=0)"
	@cd platform/jiannuo/locale/zh_Hans/LC_MESSAGES && msgfmt -c -o django.mo django.po && echo "catalogue: $$(grep -c '^msgid ' django.po) messages; untranslated: $$(msgattrib --untranslated django.po | grep -c '^msgid ' || true); to check (fuzzy): $$(msgattrib --only-fuzzy django.po | grep -c '^msgid ' || true)"
