# The two commands of the README: `make run` and `make test`. Both start from a bare clone.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP = wsgi

.PHONY: run test install install-dev translations messages chromium axe db clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) translations

install-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) translations

## Compile the catalogs (translations/*/LC_MESSAGES/messages.po -> .mo, not committed)
translations:
	$(BIN)/pybabel compile --statistics -d translations

## After changing marked strings: re-extract messages.pot and merge it into every catalog
messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs '.* __pycache__' --no-location --sort-output -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d translations --ignore-obsolete --no-fuzzy-matching

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed

## Install, build the SQLite database with demo data, serve on http://127.0.0.1:5000 (PORT=5077: another port).
## Links in patients' emails (a password, an invitation) are built on PUBLIC_URL: this address unless set.
run: db
	PUBLIC_URL="$${PUBLIC_URL:-http://$(HOST):$(PORT)}" $(BIN)/flask run --host $(HOST) --port $(PORT)

## Install and run the whole suite (unit, functional, migrations, browser)
test: install-dev chromium axe
	$(BIN)/python -m pytest

chromium:
	@bash scripts/ensure-chromium

## axe-core for the browser tests' accessibility check and HL7's FHIR R4 JSON schema for the FHIR
## tests, at the versions package-lock.json pins
axe: node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	@bash scripts/ensure-node
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache node_modules
