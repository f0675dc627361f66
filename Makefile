# edge-dhcp — developer entry points. `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Real DHCP peers and tools the lab tests and the demo drive.
APT_PACKAGES := isc-dhcp-client udhcpc dhcpcd-base isc-dhcp-relay iproute2 iputils-ping kea-dhcp4-server
MICROPYTHON_NPM := @micropython/micropython-webassembly-pyscript@1.27.0

.PHONY: install system-deps test test-unit test-lab test-micropython lint demo bench check clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# Installs only what is missing, so a warm machine pays nothing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v node >/dev/null || missing="$$missing nodejs"; command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

tests/micropython/node_modules/.installed: tests/micropython/package.json
	cd tests/micropython && npm install --no-audit --no-fund --silent
	touch $@

# Everything: unit, property, fuzz, lab (root + namespaces) and MicroPython runs.
test: system-deps install tests/micropython/node_modules/.installed
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-micropython

test-unit: install
	$(BIN)/python -m pytest -q -m "not lab"

test-lab: system-deps install
	$(BIN)/python -m pytest -q -m lab

test-micropython: tests/micropython/node_modules/.installed
	node tests/micropython/run.mjs

lint: install
	$(BIN)/ruff check edge tests
	$(BIN)/ruff format --check edge tests

check: install
	$(BIN)/edge-dhcp check

demo: system-deps install
	$(BIN)/python -m tests.lab.demo

bench: install
	$(BIN)/python -m edge bench

clean:
	rm -rf $(VENV) tests/micropython/node_modules build dist *.egg-info
