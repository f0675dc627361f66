# edge-dhcp — developer entry points. `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Real DHCP peers and tools the lab tests and the demo drive.
# kea-dhcp6-server is the reference DHCPv6 server (tests/lab/kea6.py runs it inside lab namespaces only; its
# host service is disabled below, like the DNS servers'). kea-ctrl-agent brings kea-shell too (control-channel
# tests); openssl makes the HTTPS tests' certificates.
# kea-admin brings perfdhcp: the lease store's SIGKILL-under-load test (tests/leases/test_lab_durability.py).
APT_PACKAGES := isc-dhcp-client udhcpc dhcpcd-base isc-dhcp-relay iproute2 iputils-ping kea-dhcp4-server \
                kea-dhcp6-server kea-ctrl-agent openssl \
                bind9 bind9-dnsutils kea-dhcp-ddns-server \
                isc-dhcp-server dnsmasq-base \
                kea-admin postgresql \
                mtools dosfstools fdisk e2fsprogs xz-utils \
                mmdebstrap arch-test qemu-user-static binfmt-support gcc-aarch64-linux-gnu \
                gcc-arm-linux-gnueabihf dpkg-dev lintian file \
                zstd qemu-system-arm openssh-client \
                chromium prometheus
# mtools ... xz-utils: the board tests (tests/board) assemble, read and flash small images without loop devices.
# mmdebstrap ... file: `make cross` (sysroots, cross compilers, dpkg-deb, lintian, `file` on each extension)
# and `make test-arm` (ARM root filesystems run under qemu-user through binfmt_misc).
# zstd ... openssh-client: `make image` / `make test-image` (the Raspberry Pi image) use the cross tools above
# (mmdebstrap under qemu-user for the arm64 root filesystem, the cross build of the .deb), plus zstd (the
# cached root filesystem), qemu-system-aarch64 (the boot test) and ssh (the test logs in with a key).
# chromium, prometheus: the dashboard's tests (tests/dashboard) drive Debian's Chromium with Playwright (a pip
# test dependency; no browser is ever downloaded) and start their own Prometheus, with a temporary
# configuration and storage, inside a lab namespace. The prometheus package enables and starts a host
# service on install: it is disabled below like the DNS servers.
# The DNS tests run their own named and kea-dhcp-ddns inside lab namespaces. On a machine running systemd,
# installing bind9 / kea-dhcp-ddns-server also starts (and enables) the host's own copies, on the host's
# port 53 and 53001: system-deps stops and disables those it has just installed, so `make test` leaves no
# DNS server running on the machine (and the tests never use one).
HOST_SERVICES_OFF := bind9:named kea-dhcp-ddns-server:kea-dhcp-ddns-server isc-dhcp-server:isc-dhcp-server \
                     kea-dhcp6-server:kea-dhcp6-server prometheus:prometheus postgresql:postgresql
# postgresql: the SQL lease tests (tests/leases/test_pgsql4.py) initdb and start their own server on a unix
# socket in a temp dir; the package's host cluster is disabled like the services above.
# isc-dhcp-server and dnsmasq-base are the servers the migration tests switch away from (tests/migrate runs
# them in lab namespaces). isc-dhcp-server's postinst starts dhcpd through invoke-rc.d; nothing may answer
# DHCP on the host, so while apt-get installs, a policy-rc.d that denies every start (exit 101, see
# invoke-rc.d(8)) is put in place -- unless the machine has one already -- and removed afterwards; the
# service is then disabled like the DNS ones above. (dnsmasq-base ships no service.)
MICROPYTHON_NPM := @micropython/micropython-webassembly-pyscript@1.27.0

.PHONY: install system-deps test test-unit test-lab test-micropython lint demo bench check clean fuzz demo-dashboard \
        image test-image test-image-raspi3b cross test-arm

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
	  guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\n# edge-dhcp make system-deps: no service starts during this install\nexit 101\n' \
	      > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  status=$$?; if [ -n "$$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi; [ $$status = 0 ] || exit $$status; \
	  for pair in $(HOST_SERVICES_OFF); do \
	    case " $$missing " in *" $${pair%%:*} "*) systemctl disable --now "$${pair#*:}" >/dev/null 2>&1 || true;; esac; \
	  done; \
	fi

tests/micropython/node_modules/.installed: tests/micropython/package.json
	cd tests/micropython && npm install --no-audit --no-fund --silent
	touch $@

# Everything: unit, property, fuzz replay (tests/fuzz), lab (root + namespaces), the ARM packages under qemu-user, MicroPython
# runs, and the Raspberry Pi image built and booted under qemu-system (the slowest part when cold: see README).
# The lab tests mostly wait on real clients and servers (under 20 % of a core each), so pytest runs three
# workers, a test file per worker at a time (--dist loadfile): every lab namespace name carries its
# worker's pid, so they never meet. About 4 minutes instead of 11 on these machines.
PYTEST_WORKERS ?= 3
test: system-deps install tests/micropython/node_modules/.installed
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not image and not raspi3b and not arm"
	$(MAKE) --no-print-directory test-arm
	$(MAKE) --no-print-directory test-micropython
	$(MAKE) --no-print-directory test-image

test-unit: install
	$(BIN)/python -m pytest -q -m "not lab and not raspi3b and not arm"

test-lab: system-deps install
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "lab and not image and not raspi3b and not arm"

# Raspberry Pi packages (cross/): dist/edge-dhcp_<version>_{arm64,armhf}.deb, dist/wheels/<arch>/, the sdist.
cross: system-deps install
	$(BIN)/python -m cross.build

# The packages checked, installed with dpkg into ARM Debian root filesystems and run under qemu-user serving
# a real dhclient (tests/arm, marker `arm`; part of `make test`). Root filesystems are cached per machine in
# /var/cache/edge-dhcp/rootfs (EDGE_CACHE_DIR): minutes when cold, seconds when warm.
test-arm: system-deps install
	$(BIN)/python -m pytest -q tests/arm

test-micropython: tests/micropython/node_modules/.installed
	node tests/micropython/run.mjs

# ruff, and the import graph against the design's layers (tests/layers.py: no upward import, no circle).
lint: install
	$(BIN)/ruff check edge tests cross board
	$(BIN)/ruff format --check edge tests cross board
	$(BIN)/python -m tests.layers

check: install
	$(BIN)/edge-dhcp check

demo: system-deps install
	$(BIN)/python -m tests.lab.demo

# Coverage-guided fuzzing (atheris, the `fuzz` extra; tests/fuzz/run.py says why): each target in turn for
# FUZZ_SECONDS (default 600), starting from its seed corpus (tests/fuzz/corpus/); new inputs and crash files
# go to build/fuzz/TARGET/. Prints executions and coverage per target; fails on the first target that
# crashes. Not part of `make test`, which replays the corpora and fixed mutations (tests/fuzz/test_replay.py).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= wire engine engine6 control config
fuzz: install
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,fuzz]'
	@for t in $(FUZZ_TARGETS); do $(BIN)/python -m tests.fuzz.run $$t $(FUZZ_SECONDS) || exit 1; done

# The demo's lab with two clients, and the dashboard opened to this machine: prints the URL
# (http://127.0.0.1:8000/, or the next free port) and keeps the lab up until Enter.
demo-dashboard: system-deps install
	$(BIN)/python -m tests.lab.demo_dashboard

# Figures and ratios, never pass/fail, and not part of `make test` (timing is never asserted in tests). The
# side-by-side runs (edge/bench/perf.py: Kea 2.2 and edge-dhcp under perfdhcp in a lab, idle CPU, start-up,
# memory) need root and kea-dhcp4 + perfdhcp from APT_PACKAGES; a few minutes in all. One benchmark:
# `.venv/bin/python -m edge bench perfdhcp` (see `--list`).
bench: system-deps install
	$(BIN)/python -m edge bench

# dist/edge-dhcp-pi-arm64.img.xz (+ .sha256): Debian bookworm arm64 + edge-dhcp for Raspberry Pi 3/4/Zero 2 W.
# The root filesystem is cached per machine in /var/cache/edge-dhcp/board (EDGE_CACHE_DIR): minutes when cold.
IMAGE_XZ_LEVEL ?= 6
image: system-deps install
	$(BIN)/python -m board.image --xz-level $(IMAGE_XZ_LEVEL)

# Builds the image (xz -1: the same image, compressed in a fifth of the time), flashes it onto a card file,
# boots it under qemu and serves real clients (about 3 minutes warm, 12-19 cold; part of `make test`).
test-image:
	$(MAKE) --no-print-directory image IMAGE_XZ_LEVEL=1
	EDGE_TEST_IMAGE=1 $(BIN)/python -m pytest -q -m image tests/board

# The slower check, manual or nightly (NOT part of `make test`): the same image booted on qemu's Raspberry
# Pi 3 model (-M raspi3b: SD card, the Pi 3 device tree, usb-net as usb0, console on the mini UART) serving
# a real dhclient (tests/board/test_raspi3b.py, marker `raspi3b`; about 3 minutes warm).
test-image-raspi3b:
	$(MAKE) --no-print-directory image IMAGE_XZ_LEVEL=1
	EDGE_TEST_IMAGE=1 $(BIN)/python -m pytest -q -m raspi3b tests/board

clean:
	rm -rf $(VENV) tests/micropython/node_modules build dist *.egg-info
