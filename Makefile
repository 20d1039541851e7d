# Linli: `make run` sets everything up and serves the demo; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages makemessages migrate seed setup run test test-fast lint format typecheck \
        bench chaos lock worker beat clean

$(INSTALLED): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Linli needs Python 3.11"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# Compiles the translation catalogues with Babel (pure Python: no gettext needed).
messages: $(INSTALLED)
	$(BIN)/pybabel compile --statistics -D django -d locale 2>&1 | grep -v '^compiling' || true
	@test -f locale/zh_Hans/LC_MESSAGES/django.mo

# Extracts strings into the catalogues (needs GNU gettext: apt-get install gettext).
makemessages: $(INSTALLED)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete \
	    --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans -l en --no-obsolete \
	    --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench

migrate: $(INSTALLED)
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

setup: install messages migrate seed

run: setup
	@echo "Serving Linli on http://$(HOST):$(PORT) (HTTP and websockets); Ctrl-C stops."
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

test: install messages
	@if [ -n "$$DATABASE_URL" ]; then echo "== make test: PostgreSQL ($${DATABASE_URL%%\?*})"; \
	  else echo "== make test: SQLite (set DATABASE_URL for PostgreSQL)"; fi
	@if [ -n "$$REDIS_URL" ]; then echo "== make test: Redis ($$REDIS_URL)"; \
	  else echo "== make test: no Redis (set REDIS_URL); Redis tests skip"; fi
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy core wallet community merchants property_mgmt config

bench: install messages
	@ls bench/*.py >/dev/null 2>&1 || { echo "No benchmarks yet (see bench/README.md)."; exit 0; }; \
	for script in bench/[!_]*.py; do $(BIN)/python "$$script" || exit 1; done

# The bank-style fault test (docs/chaos.md) on its own PostgreSQL and Redis; exits 1 on any
# violation. CHAOS_SECONDS sets how long the faults run.
CHAOS_SECONDS ?= 60
chaos: install messages
	$(BIN)/python -m chaos.run --seconds $(CHAOS_SECONDS)

# Re-pin every dependency to what is installed now.
lock: install
	( echo "# Pinned versions of every package Linli installs. Regenerate with 'make lock'."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^linli' ) > requirements/constraints.txt

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache .mypy_cache
	find . -name '*.mo' -not -path './.venv/*' -delete
