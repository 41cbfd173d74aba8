# Cikk: `make run` serves the site with sample content; `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK := requirements.lock
LOCK_VENV := .venv-lock
UV_VERSION := 0.13.8
LOCK_TOOL := $(LOCK_VENV)/bin/uv
ASSETS := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development only: make run serves with DEBUG on and a throwaway secret.
DEV_ENV := DJANGO_DEBUG=1

.PHONY: setup lock run test pytest lint fmt check clean serve serve-needs-secret test-postgres test-s3

# pip itself comes from the lock too (the first install upgrades it), so nothing unpinned.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Cikk needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Every dependency (the dev and s3 extras included, so the object-storage tests run
# everywhere) at the exact version and hashes of requirements.lock: a new release on PyPI can
# never change what make and CI test without a commit. The project itself comes after, without
# dependencies. Reinstalls only when the lock or pyproject.toml changed: a second make is fast.
$(INSTALLED): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --only-binary=:all: -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Regenerates requirements.lock from pyproject.toml's ranges (after changing a dependency,
# or to take new releases): the newest versions in range, every file's sha256. uv resolves
# for every platform and Python >= 3.11; it runs from its own venv, never the project's.
lock: $(LOCK_TOOL)
	printf 'pip\nsetuptools>=69\n' | $(LOCK_TOOL) pip compile --quiet pyproject.toml - \
		--extra dev --extra s3 --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --output-file $(LOCK)

$(LOCK_TOOL):
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'

# KaTeX, pinned in package-lock.json, from the npm registry; served as our own static files.
$(ASSETS): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(INSTALLED) $(ASSETS)

run: setup
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py import_articles content/
	$(DEV_ENV) $(BIN)/python manage.py create_local_editor
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: setup
	$(DEV_ENV) $(BIN)/python manage.py check
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint check pytest

# The test suite on a throwaway PostgreSQL 15 server (started and removed by .ci/with-postgres).
test-postgres: setup
	.ci/with-postgres $(MAKE) --no-print-directory pytest PYTEST_ARGS='$(PYTEST_ARGS)'

# The tests marked s3 against a throwaway S3-compatible server (moto_server from the dev extra,
# on loopback, started and stopped by .ci/with-s3).
test-s3: setup
	.ci/with-s3 $(MAKE) --no-print-directory pytest PYTEST_ARGS='-m s3'

# Production: collectstatic, migrate, gunicorn (config/gunicorn.conf.py; WEB_CONCURRENCY workers)
# with DEBUG off. Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; see docs/deploy.md.
PROD_ENV := DJANGO_DEBUG=0
serve: serve-needs-secret setup
	$(PROD_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	$(PROD_ENV) $(BIN)/python manage.py migrate --noinput
	$(PROD_ENV) $(BIN)/gunicorn -c config/gunicorn.conf.py --bind $(HOST):$(PORT)

serve-needs-secret:
	@if [ -z "$$DJANGO_SECRET_KEY" ]; then \
		echo "make serve runs production settings and needs DJANGO_SECRET_KEY in the environment:" >&2; \
		echo "  export DJANGO_SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\"" >&2; \
		echo "  export DJANGO_ALLOWED_HOSTS=example.com   # and DJANGO_HTTPS=0 to try it over plain http" >&2; \
		echo "(see docs/deploy.md; for local development use make run)" >&2; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) $(LOCK_VENV) node_modules staticfiles .pytest_cache .ruff_cache
