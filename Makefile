# dmsrate build. Every module, test and fuzz target is found by wildcard, so
# adding src/core/foo.c, tests/test_foo.c or tests/fuzz/fuzz_foo.c needs no
# edit here.
#
#   make                      build build/dmsrate
#   make test                 unit tests, then ASan+UBSan, valgrind, fuzz smoke
#   make check                unit tests once (fast loop while developing)
#   make SANITIZE=address,undefined check
#   make bench                benchmarks (prints figures)
#   make soak                 10 minutes of mixed load: p99 and RSS (SOAK_SECONDS=60 for less)
#   make run                  install missing packages, build, start the service
#   make deps                 apt-get install the Debian packages that are missing
#   make fuzz FUZZ_SECONDS=60 run every libFuzzer target, merge new finds into its corpus
#   make e2e                  the web pages in headless chromium (screenshots in build/e2e)
#   make openapi-lint         validate docs/openapi.yaml (OpenAPI 3.1, @redocly/cli)

PKGS       := gsl fftw3 jansson libmicrohttpd sqlite3 xlsxwriter minizip expat libcurl libpq
TEST_PKGS  := cmocka
DEB_PKGS   := build-essential pkg-config libgsl-dev libfftw3-dev libjansson-dev libmicrohttpd-dev \
              libsqlite3-dev libcmocka-dev valgrind clang libclang-rt-14-dev wrk jq \
              sqlite3 curl python3 chromium nodejs \
              libxlsxwriter-dev libminizip-dev libexpat1-dev libcurl4-openssl-dev python3-aiosmtpd \
              postgresql libpq-dev

CC         ?= cc
SANITIZE   ?=
WERROR     ?= -Werror
OPT        ?= -O2 -g
ifeq ($(SANITIZE),)
BUILD      ?= build
else
BUILD      ?= build/san
OPT        := -O1 -g -fno-omit-frame-pointer
SANFLAGS   := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(WERROR)
CPPFLAGS   += -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS     += -std=c11 $(OPT) $(WARN) $(SANFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS     += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
TEST_LIBS  := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
LDFLAGS    += $(SANFLAGS)

CORE_SRC   := $(sort $(wildcard src/core/*.c src/core/*/*.c))
APP_SRC    := $(sort $(wildcard src/api/*.c src/store/*.c))
CLI_SRC    := $(sort $(wildcard src/cli/*.c))
TEST_SRC   := $(sort $(wildcard tests/test_*.c))
BENCH_SRC  := $(sort $(wildcard bench/bench_*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ    := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN   := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)

LIBCORE    := $(BUILD)/libdms.a
LIBAPP     := $(BUILD)/libdmsapp.a

# make fuzz runs each target FUZZ_SECONDS; make test runs them a minute each
# (issue 18). New inputs that add coverage are merged (-merge=1) into
# tests/fuzz/corpus/<target>/, so the corpora grow: commit them.
FUZZ_SECONDS ?= 10
TEST_FUZZ_SECONDS ?= 60
VALGRIND   := valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-origins=yes

.PHONY: all test check bench run deps fuzz fuzz-build replay valgrind clean format tests-built
.DEFAULT_GOAL := all

all: $(BUILD)/dmsrate

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBAPP): $(APP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^ $(if $(APP_OBJ),,$(BUILD)/obj/empty.o)

$(BUILD)/obj/empty.o:
	@mkdir -p $(dir $@)
	echo 'typedef int dms_empty_unit;' | $(CC) -x c -c - -o $@

$(LIBAPP): $(if $(APP_OBJ),,$(BUILD)/obj/empty.o)

$(BUILD)/dmsrate: $(CLI_OBJ) $(LIBAPP) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBAPP) $(LIBCORE) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIBAPP) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBAPP) $(LIBCORE) $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBAPP) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ibench $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBAPP) $(LIBCORE) $(LDLIBS)

# Fuzz targets double as corpus replay tests: a small main() feeds every file
# of tests/fuzz/corpus/<name>/ to the target, under the sanitizer build.
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIBAPP) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIBAPP) $(LIBCORE) $(LDLIBS)

tests-built: $(BUILD)/dmsrate $(TEST_BIN) $(REPLAY_BIN)

# One pass over every unit test and the fuzz corpora with this build, after
# the structural checks below. A throwaway PostgreSQL cluster
# (tests/pg/cluster.sh) is up meanwhile: the store tests of tests/pg/backends
# run a second time against it.
check: tests-built check-layers check-symbols check-error-init check-error-ru
	@DMS_BIN=$(BUILD)/dmsrate tests/pg/with-cluster.sh $(BUILD)/pg/state \
	  tests/run-tests.sh "$(BUILD)" "$(TEST_BIN)" "$(REPLAY_BIN)"

valgrind: tests-built
	@DMS_BIN=$(BUILD)/dmsrate DMS_UNDER_VALGRIND=1 TEST_WRAPPER="$(VALGRIND)" \
	  tests/pg/with-cluster.sh $(BUILD)/pg/state tests/run-tests.sh "$(BUILD)" "$(TEST_BIN)" ""

# The full suite README promises: plain, sanitized, valgrind, then a short fuzz.
# The builds use every core (the tests themselves run one per core too).
NPROC := $(shell nproc 2>/dev/null || echo 2)

test: deps
	$(MAKE) check-layers
	$(MAKE) -j$(NPROC) tests-built
	$(MAKE) check
	$(MAKE) -j$(NPROC) SANITIZE=address,undefined tests-built
	$(MAKE) SANITIZE=address,undefined check
	$(MAKE) valgrind
	$(MAKE) openapi-lint
	$(MAKE) -j$(NPROC) fuzz-build
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
	$(MAKE) e2e

# The core stays pure (no HTTP, database or network includes): the check runs
# on src/core, then on tests/layers/bad, which it must reject, so that a check
# that stopped biting is noticed (issue 17).
check-layers:
	@tests/check-layers.sh src/core
	@if tests/check-layers.sh tests/layers/bad >/dev/null 2>&1; then \
	  echo "check-layers: the check no longer rejects tests/layers/bad" >&2; exit 1; fi

# Every exported name of the libraries starts with dms_ (issue 17).
check-symbols: $(LIBCORE) $(LIBAPP)
	@tests/check-symbols.sh $(LIBCORE) $(LIBAPP)

# Every public function taking a dms_error clears it first (issue 17).
check-error-init:
	@tests/check-error-init.py

# Every error the store, the cabinet and the API raise has a Russian form.
check-error-ru:
	@tests/check-error-ru.py

.PHONY: check-layers check-symbols check-error-init check-error-ru

# The web pages in headless chromium against the real server (tests/e2e/run.sh);
# screenshots in build/e2e/screenshots/.
e2e: $(BUILD)/dmsrate
	tests/e2e/run.sh $(BUILD)/dmsrate

.PHONY: e2e

# docs/openapi.yaml against the OpenAPI 3.1 specification (@redocly/cli from
# npm, pinned in tests/openapi/package-lock.json). That every served route is
# documented, and only those, is tests/test_openapi_routes.c in make check.
openapi-lint:
	tests/openapi/lint.sh

.PHONY: openapi-lint

deps-check:
	@for p in $(PKGS) $(TEST_PKGS); do pkg-config --exists $$p || { echo "missing library $$p: run 'make deps'"; exit 1; }; done

.PHONY: deps-check

# libFuzzer needs clang; the whole library is rebuilt with coverage
# instrumentation into build/fuzz. -fno-sanitize-recover=all: the first
# undefined behaviour stops the run as a crash (UBSan only prints otherwise).
FUZZ_CFLAGS := -std=c11 -g -O1 $(WARN) -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_SRC := $(CORE_SRC) $(APP_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_LIB     := build/fuzz/libdmsfuzz.a

# The instrumented library is compiled once and linked into every target
# (compiling it per target cost about a minute each).
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# FUZZ_TARGETS="fuzz_census fuzz_register" runs only those.
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_RUN   := $(FUZZ_TARGETS:%=build/fuzz/%)

# Each target fuzzes for FUZZ_SECONDS, then the new inputs it found are merged
# into its corpus (so the corpora keep growing). Targets run FUZZ_JOBS at a
# time (default: the number of cores): each libFuzzer run is one process.
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

fuzz: $(FUZZ_RUN)
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) $(FUZZ_TARGETS:%=fuzz-run/%)

fuzz-run/%: build/fuzz/%
	@name=$*; corpus=tests/fuzz/corpus/$$name; work=build/fuzz/work/$$name; \
	  mkdir -p $$work $$corpus; \
	  build/fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	      -print_final_stats=0 $$work $$corpus >build/fuzz/$$name.log 2>&1 \
	    || { echo "fuzz $$name FAILED:"; tail -40 build/fuzz/$$name.log; exit 1; }; \
	  before=$$(ls $$corpus | wc -l); \
	  build/fuzz/$$name -merge=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 $$corpus $$work \
	      >build/fuzz/$$name.merge.log 2>&1 || { tail -20 build/fuzz/$$name.merge.log; exit 1; }; \
	  echo "fuzz $$name $(FUZZ_SECONDS)s: $$(grep -h 'Done\|DONE' build/fuzz/$$name.log | tail -1 | tr -s ' ')" \
	       "corpus $$before -> $$(ls $$corpus | wc -l) files"


# Ten minutes of mixed load against one server (bench/soak.sh): p99 per route
# and RSS at start and end. Not part of make test; SOAK_SECONDS=60 for a short run.
SOAK_SECONDS ?= 600
soak: $(BUILD)/dmsrate
	DMS_BIN=$(BUILD)/dmsrate SOAK_SECONDS=$(SOAK_SECONDS) bench/soak.sh

.PHONY: soak

bench: $(BUILD)/dmsrate $(BENCH_BIN)
	@DMS_BIN=$(BUILD)/dmsrate tests/pg/with-cluster.sh $(BUILD)/pg/bench-state sh -c '\
	  for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done; \
	  for s in $(sort $(filter-out bench/soak.sh,$(wildcard bench/*.sh))); do echo "== $$s"; $$s || exit 1; done'

RUN_ARGS ?= serve --listen 127.0.0.1:8080 --tariffs tariffs --models models --db var/dmsrate.db

run: deps
	$(MAKE) all
	@mkdir -p var
	./$(BUILD)/dmsrate $(RUN_ARGS)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "all build dependencies present"; fi
	@# Debian's nodejs comes without npm (other builds of nodejs bundle it).
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
