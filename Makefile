# Altavoz: `make run` and `make test` set up everything they need on a fresh Debian 12 machine
# (as root), and are quiet and quick when there is nothing left to install.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

APT_RUN := python3 python3-venv ca-certificates ffmpeg libvlc5 vlc-plugin-base \
	vlc-plugin-access-extra icecast2 espeak-ng sox libsox-fmt-all
APT_TEST := chromium fonts-dejavu-core postgresql libvo-amrwbenc0
CATALOGS := $(patsubst %.po,%.mo,$(wildcard gateway/translations/*/LC_MESSAGES/messages.po))

.PHONY: help run test check lint typecheck unit system system-test node venv venv-test translations messages bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: system venv translations ## install what is missing and start Altavoz (panel, API, workers, local Icecast)
	$(BIN)/altavoz serve

SMSC_SIMULATOR := $(if $(wildcard tests/smsc/package-lock.json),tests/smsc/node_modules/.installed)

test: system system-test node venv-test translations $(SMSC_SIMULATOR) ## set up, then lint, type-check and run the whole test suite
	$(MAKE) --no-print-directory check

check: lint typecheck unit ## lint, type-check and test without any set-up

lint: ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: ## mypy over the packages
	$(BIN)/mypy

unit: ## the test suite
	$(BIN)/pytest

bench: venv-test node $(SMSC_SIMULATOR) ## the benchmarks under bench/ (they write only to temporary directories)
	@for b in bench/*.py; do echo "== $$b"; PYTHONDONTWRITEBYTECODE=1 $(BIN)/python $$b; done

system: ## Debian packages Altavoz needs to run
	@$(call apt_ensure,$(APT_RUN))

system-test: ## Debian packages the tests need (Chromium, PostgreSQL)
	@$(call apt_ensure,$(APT_TEST))

node: ## Node.js and npm, for the SMSC simulator the SMS tests talk to
	@if ! command -v npm >/dev/null 2>&1; then $(call apt_ensure,nodejs npm); fi

venv: $(VENV)/.installed ## the virtualenv with Altavoz installed (editable)

venv-test: $(VENV)/.installed-test ## the virtualenv with the test tools too

translations: $(CATALOGS) ## compile the panel's translations

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

gateway/translations/%/LC_MESSAGES/messages.mo: gateway/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

tests/smsc/node_modules/.installed: tests/smsc/package-lock.json
	npm ci --prefix tests/smsc --no-audit --no-fund --loglevel=error
	@touch $@

clean: ## remove the virtualenv and build output (keeps var/, the station's data)
	rm -rf $(VENV) tests/smsc/node_modules tests/artifacts .mypy_cache .ruff_cache .pytest_cache

# Install the named Debian packages that are not installed yet; silent when none is missing.
define apt_ensure
missing=""; for p in $(1); do \
  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
  echo "installing Debian packages:$$missing"; \
  apt-get update -qq; \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
fi
endef

messages: venv ## extract the panel's strings and update the catalogs (then translate the .po files)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o gateway/translations/messages.pot --no-location \
		--sort-output --ignore-dirs='.venv node_modules .git tests var' .
	$(BIN)/pybabel update -i gateway/translations/messages.pot -d gateway/translations --no-fuzzy-matching
