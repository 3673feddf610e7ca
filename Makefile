# The two commands a newcomer needs (README): `make run` and `make test`.
# Both install what is missing first (liburing-dev, libpcre2-dev, libcrypt-dev, libssl-dev, libxxhash-dev; haproxy/nginx/wrk for comparison tests).
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps deps-test build release bench fuzz regtests regtests-ci ci sanitize sanitize-build sanitize-ci

# Build dependencies: liburing-dev (io_uring), libpcre2-dev (regexes in rules, pcre2.h and
# libpcre2-8.so), libcrypt-dev (userlist passwords, crypt.h and libcrypt.so), libssl-dev (libcrypto:
# digest/hmac/sha1/sha2 converters), libxxhash-dev (xxh32/xxh64/xxh3 converters).
DEPS_PKGS := liburing:liburing-dev libpcre2-8:libpcre2-dev libcrypt:libcrypt-dev libcrypto:libssl-dev libxxhash:libxxhash-dev

deps:
	@missing=""; command -v pkg-config >/dev/null || missing=" pkgconf"; for d in $(DEPS_PKGS); do \
	  pkg-config --exists "$${d%%:*}" 2>/dev/null || missing="$$missing $${d#*:}"; done; \
	  [ -z "$$missing" ] || { \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; }

# haproxy: differential tests compare against it; wrk: benchmark script; both optional at run time.
deps-test: deps
	@command -v haproxy >/dev/null && command -v wrk >/dev/null && command -v curl >/dev/null && command -v socat >/dev/null || { \
	  echo "installing haproxy, wrk, curl and socat (comparison anchors, the demo test, reg-tests that need socat)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy wrk curl socat >/dev/null || \
	  echo "warning: could not install haproxy/wrk; the comparison tests will be skipped"; }
	@command -v hatop >/dev/null && command -v socat >/dev/null && [ -x /usr/bin/prometheus-haproxy-exporter ] || { \
	  echo "installing hatop, socat and prometheus-haproxy-exporter (real runtime API clients, tested side by side)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq hatop socat prometheus-haproxy-exporter >/dev/null || \
	  echo "warning: could not install hatop/socat/prometheus-haproxy-exporter; their tests will be skipped"; }
	@[ -f /usr/include/pcre2.h ] && command -v cc >/dev/null && command -v make >/dev/null || { \
	  echo "installing libpcre2-dev, gcc and make (VTest, which runs HAProxy's reg-tests, is built with them)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpcre2-dev gcc make >/dev/null; }
	@command -v openssl >/dev/null && [ -x /usr/sbin/nginx ] || { \
	  echo "installing openssl and nginx-light (the real TLS and plain-HTTP servers of OpsSSLHelloCheckTests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openssl nginx-light >/dev/null || \
	  echo "warning: could not install openssl/nginx-light; OpsSSLHelloCheckTests will be skipped"; }

build: deps
	$(SWIFT) build -c release --product ringproxy

release: deps
	$(SWIFT) build -c release

# With no arguments ringproxy runs its built-in demo; pass ARGS="-f my.cfg -db" for your own config.
run: build
	./.build/release/ringproxy $(ARGS)

# The whole suite in parallel loads 2 cores heavily, and a few end-to-end tests with tight
# timing can fail under it. The suites that failed run again on their own, at most twice; each
# retry and its suites are printed (RETRY), and a suite that fails every time fails the target.
test: deps-test
	$(SWIFT) build -c release
	@export RINGPROXY_BIN=$(CURDIR)/.build/release/ringproxy RINGBENCH_BIN=$(CURDIR)/.build/release/ringbench; \
	$(SWIFT) test --parallel 2>&1 | tee .build/test.log; [ $${PIPESTATUS[0]} = 0 ] && exit 0; \
	log=.build/test.log; \
	for round in 1 2; do \
	  failed=$$(grep -aoE '^✘ Suite [A-Za-z0-9_]+ failed' $$log | awk '{print $$3}' | sort -u | paste -sd'|'); \
	  [ -n "$$failed" ] || { echo "test: failed, and no failing suite named (a crash?): see $$log"; exit 1; }; \
	  echo "RETRY $$round: suites that failed under the whole suite's load, run again alone: $$failed"; \
	  $(SWIFT) test --skip-build --filter "\.($$failed)/" 2>&1 | tee .build/test-retry.log; [ $${PIPESTATUS[0]} = 0 ] && exit 0; \
	  log=.build/test-retry.log; \
	done; exit 1

bench: release
	python3 benchmarks/wrk_compare.py

# libFuzzer targets (sources in Fuzz/, seeds in Tests/Fuzz/Corpus): each runs FUZZ_SECONDS
# (CI: 60) under AddressSanitizer; a crash, a failed property or a sanitizer report fails the
# target and leaves the input in .build/fuzz/artifacts/ (make it a fixture once fixed).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzRequestHead:request FuzzResponseHead:response FuzzChunk:chunk FuzzCookie:cookie FuzzConfig:config
FUZZ_BUILD := --build-path .build/fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
fuzz: deps
	@set -e; mkdir -p .build/fuzz/artifacts; \
	for p in $(FUZZ_TARGETS); do t=$${p%%:*}; c=$${p##*:}; \
	  RINGPROXY_FUZZ=1 $(SWIFT) build $(FUZZ_BUILD) --product $$t 2>&1 | grep -E "error|warning: |Build" || true; \
	  test -x .build/fuzz/debug/$$t; \
	done; \
	for p in $(FUZZ_TARGETS); do t=$${p%%:*}; c=$${p##*:}; \
	  seeds=Tests/Fuzz/Corpus/$$c; [ -d $$seeds ] || seeds=Tests/Fixtures; mkdir -p .build/fuzz/corpus/$$c; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s (seeds: $$seeds)"; \
	  .build/fuzz/debug/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz/artifacts/$$c- .build/fuzz/corpus/$$c $$seeds > .build/fuzz/$$t.log 2>&1 || \
	    { tail -40 .build/fuzz/$$t.log; echo "fuzz: $$t FAILED (input in .build/fuzz/artifacts/)"; exit 1; }; \
	  grep -E "^Done|stat::number_of_executed_units" .build/fuzz/$$t.log | head -1; \
	done

# AddressSanitizer + UndefinedBehaviorSanitizer: ringproxy, ringbench and the test targets built
# once in .build/asan (debug, so Swift's own overflow/bounds checks trap; the C engine with its
# RP_ASSERTs on, UBSan fatal). Swift 6.3 has no -sanitize=undefined on Linux ("unsupported
# option"), so UBSan covers the C code; ASan covers both. Every sanitizer report of any process
# goes to a file in .build/sanitize/reports, and the target fails if one appears, even when the
# tests passed (a child's report does not fail a test).
# `sanitize`: (1) the end-to-end suites, every ringproxy/ringbench they start through
# Tests/Sanitize/bin (leak detection on in those processes; off in the test runner, whose leaks
# are XCTest's, swift-testing's and Foundation's); (2) the engine suites, which run the C engine
# in the runner itself, with leak detection on; (3) the relay suite again with
# RINGPROXY_SINGLESHOT=1 (single-shot receives; the engine suites cover both modes by argument).
# `sanitize-ci`: the slice CI runs (relay, framing, engine).
SANITIZE_BUILD := --build-path .build/asan -c debug -Xswiftc -sanitize=address \
  -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined -Xcc -DRP_ENABLE_ASSERTS
SANITIZE_DIR := $(CURDIR)/.build/sanitize
SANITIZE_E2E_FILTER ?= EndToEndTests\.
SANITIZE_SINGLESHOT_FILTER ?= ProxyRelayTests
SANITIZE_CI_E2E_FILTER ?= ProxyRelayTests|FramingHardeningTests
# Measures RSS per idle connection: ASan's redzones and shadow memory make it meaningless.
SANITIZE_SKIP ?= ProxyIdleMemoryTests
SANITIZE_ASAN = halt_on_error=1:log_path=$(SANITIZE_DIR)/reports/sanitizer:suppressions=$(CURDIR)/Tests/Sanitize/asan.supp
SANITIZE_ENV = RINGPROXY_BIN=$(CURDIR)/Tests/Sanitize/bin/ringproxy RINGBENCH_BIN=$(CURDIR)/Tests/Sanitize/bin/ringbench \
  SANITIZE_BIN_DIR=$(CURDIR)/.build/asan/debug SANITIZE_CHILD_ASAN_OPTIONS=detect_leaks=1:$(SANITIZE_ASAN) \
  ASAN_OPTIONS=detect_leaks=0:$(SANITIZE_ASAN) \
  LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitize/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SANITIZE_DIR)/reports/sanitizer
SANITIZE_TEST = $(SWIFT) test $(SANITIZE_BUILD) --skip-build --skip '$(SANITIZE_SKIP)'
# Fails when a report file exists (prints each).
SANITIZE_CHECK = n=$$(ls $(SANITIZE_DIR)/reports | wc -l); \
  if [ $$n -gt 0 ]; then for f in $(SANITIZE_DIR)/reports/*; do echo "== $$f"; head -60 $$f; done; \
  echo "sanitize: $$n sanitizer report(s) in $(SANITIZE_DIR)/reports"; exit 1; fi; \
  [ $$rc = 0 ] || { echo "sanitize: tests failed (see $(SANITIZE_DIR)/*.log)"; exit 1; }; echo "sanitize: no report"

sanitize-build: deps-test
	@mkdir -p .build; $(SWIFT) build $(SANITIZE_BUILD) --build-tests > .build/sanitize-build.log 2>&1; rc=$$?; \
	  grep -E "error:|Build" .build/sanitize-build.log; exit $$rc

sanitize: sanitize-build
	@rm -rf $(SANITIZE_DIR); mkdir -p $(SANITIZE_DIR)/reports; rc=0; export $(SANITIZE_ENV); \
	$(SANITIZE_TEST) --filter '$(SANITIZE_E2E_FILTER)' 2>&1 | tee $(SANITIZE_DIR)/e2e.log; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	ASAN_OPTIONS=detect_leaks=1:$(SANITIZE_ASAN) $(SANITIZE_TEST) --filter 'EngineTests\.' 2>&1 | tee $(SANITIZE_DIR)/engine.log; \
	  [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	RINGPROXY_SINGLESHOT=1 $(SANITIZE_TEST) --filter '$(SANITIZE_SINGLESHOT_FILTER)' 2>&1 | tee $(SANITIZE_DIR)/singleshot.log; \
	  [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	$(SANITIZE_CHECK)

sanitize-ci: sanitize-build
	@rm -rf $(SANITIZE_DIR); mkdir -p $(SANITIZE_DIR)/reports; rc=0; export $(SANITIZE_ENV); \
	$(SANITIZE_TEST) --filter '$(SANITIZE_CI_E2E_FILTER)' 2>&1 | tee $(SANITIZE_DIR)/e2e.log; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	ASAN_OPTIONS=detect_leaks=1:$(SANITIZE_ASAN) $(SANITIZE_TEST) --filter 'EngineTests\.' 2>&1 | tee $(SANITIZE_DIR)/engine.log; \
	  [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	$(SANITIZE_CHECK)

# HAProxy 2.6.12's own reg-tests through VTest (../shared/regtests, see its README).
# `regtests`: the whole in-scope list (long; a failing test waits for VTest's 10 s timeout).
# `regtests-ci`: the ones ringproxy passes (Tests/RegTests/ci.txt); any failure fails the target.
REGTESTS_DIR ?= $(CURDIR)/../shared/regtests
REGTESTS_CACHE ?= $(CURDIR)/.build/regtests
regtests: release
	REGTESTS_CACHE=$(REGTESTS_CACHE) bash $(REGTESTS_DIR)/run.sh .build/release/ringproxy

regtests-ci: release
	@if [ ! -f $(REGTESTS_DIR)/run.sh ]; then \
	  echo "NOTICE: HAProxy's reg-tests not found at $(REGTESTS_DIR) (set REGTESTS_DIR); reg-test slice NOT run"; exit 0; fi; \
	REGTESTS_CACHE=$(REGTESTS_CACHE) bash $(REGTESTS_DIR)/run.sh .build/release/ringproxy $(CURDIR)/Tests/RegTests/ci.txt | tee .build/regtests-ci.log; \
	grep -q " 0 failed, 0 skipped" .build/regtests-ci.log

# What CI runs (.ci/run): the README's test command, the reg-test slice, a short fuzz run.
ci: test regtests-ci
	$(MAKE) fuzz FUZZ_SECONDS=60
