# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
HTMX_VERSION := 2.0.11

.PHONY: run test bench install install-test lint translations i18n-extract i18n-update refresh-htmx clean

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

# Compile the Spanish and Chinese catalogues (.po -> .mo); the build does this, the
# .mo files are not committed.
translations: install
	@$(BIN)/pybabel compile -d intake/translations --statistics 2>&1 | grep -v "^compiling"

# Local mode: a random secret key kept in instance/, e-mail written to instance/mail/.
run: export INTAKE_LOCAL ?= 1
run: export INTAKE_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
# The web server, the outbox loop and the tick loop run under deploy/run_local.py, which
# stops all three on Ctrl-C and says so plainly when the port is taken.
run: install translations
	@$(BIN)/python deploy/run_local.py --check --host $(HOST) --port $(PORT)
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo-admin
	@echo "Serving on http://$(HOST):$(PORT)  (e-mail: instance/mail/ unless INTAKE_MAIL_SERVER is set; Ctrl-C stops)"
	@$(BIN)/python deploy/run_local.py --host $(HOST) --port $(PORT) -- $(FLASK)

# axe-core for the accessibility checks in the browser tests (test-only; not served).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

# The suite in parallel workers (pytest-xdist), each with its own database (SQLite file,
# or TEST_DATABASE_URL's name + _gw0, _gw1, … made when missing); 0 runs it in-process.
PYTEST_WORKERS ?= 2
# Bytecode is written even where the shell says not to (an empty value is "unset"):
# each worker otherwise compiles every test module again to collect it, 9 s instead
# of 4 s a run. __pycache__/ is ignored by git.
test: export PYTHONDONTWRITEBYTECODE =
test: install-test translations $(AXE) lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The benchmark of issue 13 (docs/PERFORMANCE.md): the app as in production under wrk, on
# PostgreSQL and SQLite at 10,000 and 100,000 applications; one table per database and size.
# Other runs: make bench BENCH_ARGS="--db sqlite --rows 10000 --only waitlist --out bench.md".
# Needs wrk (Debian's package), PostgreSQL and Redis on 127.0.0.1 (bench/run.py --help).
BENCH_ARGS ?=
bench: install-test translations
	@command -v wrk >/dev/null 2>&1 || { echo "wrk is not installed: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Ruff on the code and the tests; mypy on intake/ (settings in pyproject.toml).
lint: install-test
	$(BIN)/ruff check intake tests bench
	$(BIN)/mypy

# Refresh the vendored htmx from the npm registry (pinned exactly; needs npm).
# Change HTMX_VERSION above, run this, and tests/test_static.py checks the result.
refresh-htmx:
	rm -rf .htmx-download && mkdir .htmx-download
	cd .htmx-download && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp .htmx-download/package/dist/htmx.min.js static/js/htmx.min.js
	rm -rf .htmx-download

# Collect every marked string into the catalogue template, then merge it into the
# Spanish and Chinese catalogues (new strings arrive untranslated: translate them).
i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l -o intake/translations/messages.pot \
	  --sort-output --no-wrap .
i18n-update: i18n-extract
	$(BIN)/pybabel update -i intake/translations/messages.pot -d intake/translations \
	  --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache
