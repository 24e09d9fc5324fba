# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
HTMX_VERSION := 2.0.11

.PHONY: run test install install-test lint i18n-extract refresh-htmx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Local mode: a random secret key kept in instance/, e-mail written to instance/mail/.
run: export INTAKE_LOCAL ?= 1
run: export INTAKE_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo-admin
	@echo "Serving on http://$(HOST):$(PORT)  (e-mail: instance/mail/ unless INTAKE_MAIL_SERVER is set)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(FLASK) outbox deliver --loop & \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check intake tests
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check intake tests

# Refresh the vendored htmx from the npm registry (pinned exactly; needs npm).
# Change HTMX_VERSION above, run this, and tests/test_static.py checks the result.
refresh-htmx:
	rm -rf .htmx-download && mkdir .htmx-download
	cd .htmx-download && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp .htmx-download/package/dist/htmx.min.js static/js/htmx.min.js
	rm -rf .htmx-download

# Collect every marked string into the catalogue template.
i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l -o intake/translations/messages.pot .

clean:
	rm -rf $(VENV) instance .pytest_cache
