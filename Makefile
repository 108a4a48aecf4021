# Two commands do everything: `make run` and `make test`.
# Each one creates .venv when missing and installs the pinned dependencies (constraints.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast test-integration bench lint schemas clean prometheus compose dashboards \
	chromium

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SLA Police needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/sla-police up --demo

# Two processes: the live tier (brokers, workers) in one, the rest in the other, each in order.
test: $(STAMP) prometheus compose chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP) prometheus compose chromium
	$(BIN)/pytest -m "not integration"

test-integration: $(STAMP) prometheus
	$(BIN)/pytest -m integration

# Debian's prometheus + promtool + amtool, for the alert-rule, Alertmanager and dashboard tests.
prometheus:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null \
		&& command -v amtool >/dev/null \
		|| bash scripts/ensure_prometheus.sh >/dev/null

# Debian's chromium + chromedriver, for the status page's headless browser test.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| sh scripts/ensure_chromium.sh >/dev/null

# Docker Compose (the plugin, else Debian's docker-compose), to validate docker-compose.yml.
compose:
	@sh scripts/ensure_compose.sh >/dev/null

dashboards: $(STAMP)
	$(BIN)/python deploy/grafana/generate.py

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .

schemas: $(STAMP)
	$(BIN)/sla-police schemas --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis var
