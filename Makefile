# Cikk: `make run` serves the site with sample content; `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development only: make run serves with DEBUG on and a throwaway secret.
DEV_ENV := DJANGO_DEBUG=1

.PHONY: setup run test pytest lint fmt check clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Cikk needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalls only when pyproject.toml changed: a second `make` is fast.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

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

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
