# Huike — the two commands (`make run`, `make test`) and the developer's tools.
# Everything is installed into this folder (.venv, node_modules, var/); nothing global.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
WEB_WORKERS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run test check bench messages format clean help browser-deps

help:
	@echo "make run     set up (first time) and serve Huike on http://$(HOST):$(PORT)"
	@echo "make test    set up and run the whole test suite, browser tests included"
	@echo "make check   lint, format check, types, Django checks, migrations, translations"
	@echo "make bench   run the benchmarks (JSON lines, also written to var/bench/)"
	@echo "make setup   only set up: virtual environment, dependencies, assets, database"

# --- set-up: each step reruns only when its inputs changed -----------------------------------
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

huike/static/dist/.built: node_modules/.installed $(wildcard frontend/*)
	npm run --silent build
	touch $@

MO_FILES := $(patsubst %.po,%.mo,$(wildcard huike/locale/*/LC_MESSAGES/django.po))
huike/locale/%/LC_MESSAGES/django.mo: huike/locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain django -i $< -o $@

setup: $(VENV)/.installed huike/static/dist/.built $(MO_FILES)
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py migrate --noinput -v 0

# --- the two commands ---------------------------------------------------------------------
run: export DEBUG ?= 1
run: setup
	$(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/
	HOST=$(HOST) PORT=$(PORT) WEB_WORKERS=$(WEB_WORKERS) scripts/serve

test: setup
	scripts/ensure-browser
	$(VENV)/bin/pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

# --- developer's tools ----------------------------------------------------------------------
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy huike
	DJANGO_SETTINGS_MODULE=huike.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=huike.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py

bench: setup
	$(PY) manage.py bench

messages: $(VENV)/.installed
	$(PY) scripts/check_translations.py --update

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules huike/static/dist var/static
