# Two commands do all the set-up on a fresh Debian/Ubuntu machine:
#   make run    serve the app with places and demo data on a self-started local PostGIS
#   make test   lint, type-check and run the tests against a real PostGIS and headless Chromium
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
AXE    := tests/a11y/node_modules/axe-core/axe.min.js

.PHONY: run test lint system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

# axe-core for the accessibility tests, pinned by tests/a11y/package-lock.json (from the npm registry)
$(AXE): tests/a11y/package-lock.json | system-deps
	npm ci --prefix tests/a11y --no-audit --no-fund --silent

run: $(STAMP)
	$(VENV)/bin/lagesbild up --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy app geo

test: $(STAMP) system-deps $(AXE) lint
	$(VENV)/bin/pytest

clean:
	-$(VENV)/bin/lagesbild db stop
	rm -rf $(VENV) .lagesbild
