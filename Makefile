# The two commands a newcomer needs (README): `make run` and `make test`.
# Both install what is missing first (liburing-dev; haproxy/nginx/wrk for comparison tests).
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps deps-test build release bench

deps:
	@pkg-config --exists liburing 2>/dev/null || { \
	  echo "installing liburing-dev (io_uring library)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq liburing-dev >/dev/null; }

# haproxy: differential tests compare against it; wrk: benchmark script; both optional at run time.
deps-test: deps
	@command -v haproxy >/dev/null && command -v wrk >/dev/null && command -v curl >/dev/null || { \
	  echo "installing haproxy, wrk and curl (comparison anchors and the demo test)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy wrk curl >/dev/null || \
	  echo "warning: could not install haproxy/wrk; the comparison tests will be skipped"; }

build: deps
	$(SWIFT) build -c release --product ringproxy

release: deps
	$(SWIFT) build -c release

# With no arguments ringproxy runs its built-in demo; pass ARGS="-f my.cfg -db" for your own config.
run: build
	./.build/release/ringproxy $(ARGS)

test: deps-test
	$(SWIFT) build -c release
	RINGPROXY_BIN=$(CURDIR)/.build/release/ringproxy RINGBENCH_BIN=$(CURDIR)/.build/release/ringbench \
	  $(SWIFT) test --parallel 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

bench: release
	python3 benchmarks/wrk_compare.py
