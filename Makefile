# EstateDesk: `make run` to try it, `make test` to prove it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run install migrate demo test test-unit test-web test-browser test-pg browser-deps server-deps bench-deps messages bench lint audit clean

$(BIN)/python:
	$(PYTHON) -m venv --upgrade-deps $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

run: demo
	@echo ""
	@echo "EstateDesk on http://$(HOST):$(PORT): sign in with one of the demo logins above (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium and CJK fonts for the browser tests; never a browser download.
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "Installing chromium and fonts-noto-cjk with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Debian's nginx for the deployment smoke test (the site of deploy/nginx/ in front of gunicorn).
server-deps:
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx; then \
		echo "Installing nginx-light with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	fi

# Debian's wrk, the load generator of `make bench`.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
		echo "Installing wrk with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

test: install browser-deps server-deps
	$(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

test-web: install
	$(BIN)/pytest -q tests/unit tests/integration tests/web

test-browser: install browser-deps
	$(BIN)/pytest -q tests/browser

test-pg: install browser-deps server-deps
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q

# Extract translatable strings, update the zh_Hans_CN catalogue and compile it.
messages: install
	$(BIN)/python tools/translations.py update

# The hot pages at company size under wrk (not part of `make test`): generates the dataset
# once into its own database (BENCH_REBUILD=1 to redo it), serves the app with gunicorn
# and writes bench/results/. BENCH_SCALE=0.01 for a quick try.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/estatedesk_bench
bench: install bench-deps
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .

# Supply chain: bandit on webapp/ (any finding of medium or high severity fails; settings in
# pyproject.toml) and pip-audit of every package installed in .venv but EstateDesk itself,
# against PyPI's vulnerability data. --strict fails when any package could not be checked
# (PyPI unreachable, or an index without per-version metadata): an audit that checked
# nothing must not pass.
audit: install
	$(BIN)/pip install --quiet -e ".[test,audit]"
	$(BIN)/bandit -c pyproject.toml -r webapp -ll
	$(BIN)/pip-audit --vulnerability-service pypi --strict --skip-editable --local --progress-spinner off

clean:
	rm -rf $(VENV) build dist *.egg-info
