# papertally: two commands do all set-up on a fresh machine.
#   make demo   creates .venv, installs, generates a sample statewide recount and reports on it
#   make test   installs what tests need (system packages too) and runs ruff, mypy and pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYS_STAMP := $(VENV)/.system-packages
SYSTEM_PACKAGES := postgresql chromium chromium-driver libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck bench system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages the tests start themselves: a PostgreSQL server and headless Chromium.
$(SYS_STAMP): | $(BIN)/python
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	touch $(SYS_STAMP)

system-packages: $(SYS_STAMP)

demo: $(STAMP)
	$(BIN)/papertally demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) $(SYS_STAMP) lint typecheck
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
