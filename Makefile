# Tendero — the front door. `make help` lists the targets.
# Every target sets up what it needs and is fast when nothing changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON311 ?= $(shell command -v python3.11 || command -v python3)
VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed
RASA_STAMP:= $(RASA_VENV)/.installed
DB_STAMP  := var/.db-ready
PYTEST_ARGS ?=
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help
help: ## List the targets
	@echo "Tendero — make targets:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

# ---------------------------------------------------------------- setup
$(APP_STAMP): requirements/app.lock.txt
	@echo "==> app venv ($(VENV), $$($(PYTHON311) --version))"
	@$(PYTHON311) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: the app needs Python >= 3.11")'
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements/app.lock.txt
	@touch $@

$(RASA_STAMP): requirements/rasa.lock.txt scripts/find_python310.sh
	@PY310="$$(scripts/find_python310.sh)"; \
	  echo "==> Rasa venv ($(RASA_VENV), $$($$PY310 --version)); first time takes ~2 minutes"; \
	  test -x $(RASA_VENV)/bin/python || $$PY310 -m venv $(RASA_VENV)
	@$(RASA_VENV)/bin/python -m pip install -q --no-deps -r requirements/rasa.lock.txt
	@touch $@

.PHONY: venv
venv: $(APP_STAMP) ## Create/refresh the app venv (Python 3.11)

.PHONY: rasa-venv
rasa-venv: $(RASA_STAMP) ## Create/refresh the Rasa venv (Python 3.10, rasa 3.6.21)

.PHONY: setup
setup: $(APP_STAMP) $(RASA_STAMP) db ## Both venvs, migrated database, demo shop

.PHONY: db
db: $(APP_STAMP) ## Migrate the database (DATABASE_URL, default var/tendero.db) and load the demo shop if empty
	@$(PY) scripts/tendero.py seed-demo

.PHONY: lock
lock: $(APP_STAMP) ## Re-freeze requirements/app.lock.txt from requirements/app.in
	@$(PY) -m pip install -q -r requirements/app.in
	@$(PY) -m pip freeze > requirements/app.lock.txt
	@echo "requirements/app.lock.txt updated"

# ---------------------------------------------------------------- run
.PHONY: run
run: setup train ## Set up everything and run Rasa, the action server and the orchestrator
	@$(PY) scripts/run_stack.py

.PHONY: chat
chat: $(APP_STAMP) ## Chat with the running bot in the terminal (needs `make run` in another terminal)
	@$(PY) scripts/chat.py

.PHONY: fleet
fleet: setup train ## 2 orchestrators, 2 Rasa replicas, 2 action servers behind round robins, PostgreSQL + Redis
	@$(PY) scripts/fleet.py

# ---------------------------------------------------------------- Rasa (designer workflow)
.PHONY: validate
validate: $(RASA_STAMP) ## rasa data validate (fails on any warning)
	@bash scripts/rasa.sh validate

.PHONY: train
train: $(RASA_STAMP) ## Train the Rasa model when its inputs changed (cached by content hash)
	@bash scripts/rasa.sh train

.PHONY: test-rasa
test-rasa: $(RASA_STAMP) train ## Held-out NLU test + test stories; reports in reports/rasa/
	@bash scripts/rasa.sh test

.PHONY: test-rasa-dev
test-rasa-dev: $(RASA_STAMP) train ## NLU scores and errors on the dev set (for designers; not gating)
	@bash scripts/rasa.sh test-dev

.PHONY: probe
probe: $(APP_STAMP) ## Play messages through the real actions, no Rasa (stdin; see scripts/probe_actions.py)
	@$(VENV)/bin/python scripts/probe_actions.py

.PHONY: shell
shell: setup train ## Talk to the bot in a terminal (starts the action server)
	@bash scripts/rasa.sh shell

# ---------------------------------------------------------------- shops and catalogs
.PHONY: shop-create
shop-create: $(APP_STAMP) ## Create a shop from YAML/JSON, print its admin token once: make shop-create FILE=shop.yaml
	@test -n "$(FILE)" || { echo "usage: make shop-create FILE=shop.yaml (see docs/examples/shop.yaml)"; exit 2; }
	@$(PY) scripts/tendero.py migrate > /dev/null
	@$(PY) scripts/tendero.py shop create "$(FILE)"

.PHONY: import-catalog
import-catalog: $(APP_STAMP) ## Import a catalog: make import-catalog FILE=catalog.csv SHOP=demo
	@test -n "$(FILE)" || { echo "usage: make import-catalog FILE=path.csv|json SHOP=slug"; exit 2; }
	@$(PY) scripts/tendero.py import-catalog "$(FILE)" --shop "$(or $(SHOP),demo)"

.PHONY: export-catalog
export-catalog: $(APP_STAMP) ## Export a catalog: make export-catalog FILE=out.csv SHOP=demo
	@test -n "$(FILE)" || { echo "usage: make export-catalog FILE=path.csv|json SHOP=slug"; exit 2; }
	@$(PY) scripts/tendero.py export-catalog "$(FILE)" --shop "$(or $(SHOP),demo)"

# ---------------------------------------------------------------- tests and quality
.PHONY: browser-deps
browser-deps: ## Install Debian's Chromium for the dashboard browser test (if missing)
	@bash scripts/ensure_chromium.sh

.PHONY: media-deps
media-deps: ## Install Debian's espeak-ng and opus-tools for the voice-note tests (if missing)
	@bash scripts/ensure_media_tools.sh

.PHONY: compose-deps
compose-deps: ## Install Debian's docker-compose for the compose file test (if missing)
	@bash scripts/ensure_compose.sh

.PHONY: test
test: $(APP_STAMP) $(RASA_STAMP) browser-deps media-deps compose-deps check-migrations train ## Set up and run the whole suite (unit, integration, e2e, browser, Rasa; not tests/fleet)
	@bash scripts/rasa.sh validate
	@$(PY) -m pytest --ignore=tests/fleet $(PYTEST_ARGS)
	@bash scripts/rasa.sh test

.PHONY: test-fleet
test-fleet: $(APP_STAMP) $(RASA_STAMP) train ## 2 of every process, 50 shoppers × 6 turns, kill -9 one Rasa and one orchestrator (5-25 min)
	@$(PY) -m pytest tests/fleet -q -s $(PYTEST_ARGS)

.PHONY: test-conversations
test-conversations: $(APP_STAMP) $(RASA_STAMP) train ## Shopper conversations on the real stack: 'conversations: P/N passed' per shop
	@$(PY) -m pytest tests/conversations -q -s $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: $(APP_STAMP) media-deps ## Unit and integration tests only (no Rasa, no browser)
	@$(PY) -m pytest tests/unit tests/integration $(PYTEST_ARGS)

.PHONY: lint
lint: $(APP_STAMP) check-migrations ## ruff (lint + format check) and mypy, rasa_project/ included; alembic check
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy db actions orchestrator scripts
	@$(VENV)/bin/mypy --python-version 3.10 rasa_project/channels rasa_project/components rasa_project/tools

# A throwaway SQLite database migrated to head, then compared with db/models.py.
.PHONY: check-migrations
check-migrations: $(APP_STAMP) ## alembic check: no model change without its migration (throwaway SQLite)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  export DATABASE_URL="sqlite:///$$tmp/check.db"; \
	  if $(VENV)/bin/alembic -q upgrade head 2>"$$tmp/log" && $(VENV)/bin/alembic -q check 2>>"$$tmp/log"; then \
	    echo "alembic check: migrations match the models"; \
	  else \
	    cat "$$tmp/log" >&2; \
	    echo "alembic check failed: add a migration (alembic revision --autogenerate -m ...)" >&2; exit 1; \
	  fi

.PHONY: format
format: $(APP_STAMP) ## Format the code with ruff
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

# ---------------------------------------------------------------- benchmarks
.PHONY: bench
bench: bench-search bench-pipeline bench-fleet ## All benchmarks (prints measured numbers)

.PHONY: bench-search
bench-search: $(APP_STAMP) ## Catalog search: recall@3 and latency at 1k/10k/100k products
	@$(PY) scripts/bench_search.py

.PHONY: bench-pipeline
bench-pipeline: $(APP_STAMP) $(RASA_STAMP) train ## Bare Rasa REST vs the whole pipeline at 1/16/50 shoppers, twice, interleaved; targets PASS/MISS (~6 min + Rasa start)
	@$(PY) scripts/bench_pipeline.py $(BENCH_ARGS)

.PHONY: bench-fleet
bench-fleet: $(APP_STAMP) $(RASA_STAMP) train ## Fleet: 1 vs 2 replicas per tier on PostgreSQL + Redis, SQL round trips per turn (~8 min)
	@$(PY) scripts/bench_pipeline.py --fleet $(BENCH_ARGS)

# ---------------------------------------------------------------- housekeeping
.PHONY: clean
clean: ## Remove the database, indexes, reports and trained models (keeps the venvs)
	rm -rf var reports rasa_project/models rasa_project/.rasa

.PHONY: distclean
distclean: clean ## Also remove both venvs
	rm -rf $(VENV) $(RASA_VENV)
