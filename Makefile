# opstasks: one plain Makefile. `make` builds build/opstasks; see README.md.
# Variant builds go to their own folder: `make sanitize` uses build/asan.
BUILD    ?= build
SAN      ?=
PKGS     := libmicrohttpd jansson sqlite3 libsodium gnutls libpq libcurl
PYTHON   := /usr/bin/python3

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
            -Isrc -I$(BUILD)/gen -pthread -MMD -MP
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

# SAN=fuzz: the libFuzzer build of `make fuzz` (clang; see tests/fuzz/)
ifeq ($(SAN),fuzz)
CFLAGS   += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS       = $(PKG_LIBS) -lm -pthread

SRC       := $(filter-out src/main.c,$(wildcard src/*/*.c src/*/*/*.c))
OBJ       := $(SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o $(BUILD)/obj/gen/pg_migrations.o
# the page's assets, compiled in
WEB       := $(sort $(wildcard src/web/*.html src/web/*.css src/web/*.js src/web/*.svg))
OBJ       += $(BUILD)/obj/gen/web_assets.o
MIGRATIONS:= $(sort $(wildcard src/store/migrations/*.sql))
PG_MIGRATIONS:= $(sort $(wildcard src/store/pg/migrations/*.sql))
# unit tests mirror src/: tests/unit/LAYER/test_MODULE.c; shared fixtures in tests/unit/
UNIT_SRC  := $(wildcard tests/unit/*.c tests/unit/*/*.c)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
$(UNIT_OBJ): CFLAGS += -Itests/unit

.PHONY: all deps run test unit unit-pg api api-pg e2e e2e-pg openapi sanitize bench clean deb crash fuzz fuzz-build
all: $(BUILD)/opstasks

deps:
	@scripts/deps.sh

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-sql.sh
	@mkdir -p $(@D)
	@scripts/embed-sql.sh $@ store $(MIGRATIONS)

$(BUILD)/gen/pg_migrations.c: $(PG_MIGRATIONS) scripts/embed-sql.sh
	@mkdir -p $(@D)
	@scripts/embed-sql.sh $@ pg $(PG_MIGRATIONS)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/gen/web_assets.c: $(WEB) scripts/embed-web.sh
	@mkdir -p $(@D)
	@scripts/embed-web.sh $@ $(WEB)

$(BUILD)/obj/%.o: %.c | $(BUILD)/gen/migrations.c
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/opstasks: $(BUILD)/obj/src/main.o $(OBJ)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(OBJ)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcriterion

# make run: install, build, create the database (and print a first admin
# token with a curl example when it has none), then serve on 127.0.0.1:8080.
run: deps all
	@$(BUILD)/opstasks init --db opstasks.db --listen 127.0.0.1:8080
	@exec $(BUILD)/opstasks serve --db opstasks.db --listen 127.0.0.1:8080

# The store's tests run once per backend of tests/unit/backends.c; `make unit`
# alone skips the PostgreSQL runs, `make unit-pg` gives them a throwaway
# cluster (scripts/with-pg.sh: Unix socket only, removed afterwards, also
# when the tests fail), so it runs every unit test on both backends.
unit: $(BUILD)/unit_tests
	@echo "== unit tests ($(BUILD))"
	@$(BUILD)/unit_tests --jobs 2

unit-pg: $(BUILD)/unit_tests
	@echo "== unit tests on SQLite and PostgreSQL ($(BUILD))"
	@scripts/with-pg.sh $(BUILD)/unit_tests --jobs 2

# The API suite waits far more than it computes (servers starting, sweeper
# ticks, retries), so its modules run in API_JOBS processes side by side
# (pytest-xdist, one module per process at a time); the modules marked
# serial assert latencies and run afterwards, two modules at a time.
API_JOBS ?= 4
PYTEST   := $(PYTHON) -m pytest -q -p no:cacheprovider
API_RUN   = $(PYTEST) -n $(API_JOBS) --dist loadfile -m "not serial" tests/api \
	&& $(PYTEST) -n 2 --dist loadfile -m serial tests/api

api: $(BUILD)/opstasks
	@echo "== black-box API tests on SQLite ($(BUILD)/opstasks)"
	@OPSTASKS_BIN=$(abspath $(BUILD)/opstasks) OPSTASKS_SAN=$(SAN) sh -c '$(API_RUN)'

# The same suite with every server on a new database of a throwaway
# PostgreSQL cluster (tests/api/conftest.py, OPSTASKS_TEST_PG); tests of
# SQLite's own files are skipped there, each naming what covers it instead.
api-pg: $(BUILD)/opstasks
	@echo "== black-box API tests on PostgreSQL ($(BUILD)/opstasks)"
	@OPSTASKS_BIN=$(abspath $(BUILD)/opstasks) OPSTASKS_SAN=$(SAN) scripts/with-pg.sh sh -c '$(API_RUN)'

# Browser tests of the pages: playwright-core from npm (no browser
# download) driving Debian's /usr/bin/chromium; screenshots in build/e2e.
# e2e-pg: the same tests with every server on a new database of a throwaway
# PostgreSQL cluster (tests/e2e/harness.mjs, OPSTASKS_TEST_PG); screenshots
# in build/e2e-pg.
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	@cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

e2e: $(BUILD)/opstasks tests/e2e/node_modules/.installed
	@echo "== browser tests ($(BUILD)/opstasks, /usr/bin/chromium)"
	@OPSTASKS_BIN=$(abspath $(BUILD)/opstasks) OPSTASKS_SAN=$(SAN) OPSTASKS_SHOTS=$(abspath $(BUILD)/e2e) \
		node --test --test-concurrency=1 --test-reporter=spec tests/e2e/

e2e-pg: $(BUILD)/opstasks tests/e2e/node_modules/.installed
	@echo "== browser tests on PostgreSQL ($(BUILD)/opstasks, /usr/bin/chromium)"
	@OPSTASKS_BIN=$(abspath $(BUILD)/opstasks) OPSTASKS_SAN=$(SAN) OPSTASKS_SHOTS=$(abspath $(BUILD)/e2e-pg) \
		scripts/with-pg.sh node --test --test-concurrency=1 --test-reporter=spec tests/e2e/

# docs/openapi.yaml against the official OpenAPI 3.1 schema and Redocly's
# strict lint rules (tests/openapi/redocly.yaml); both from npm, run offline
# (no telemetry, no update check). tests/api/test_openapi.py checks it against
# the routing table and the running server.
tests/openapi/node_modules/.installed: tests/openapi/package.json tests/openapi/package-lock.json
	@cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

openapi: tests/openapi/node_modules/.installed
	@echo "== OpenAPI description (docs/openapi.yaml)"
	@mkdir -p $(BUILD)
	@tests/openapi/node_modules/.bin/validate-api docs/openapi.yaml >$(BUILD)/openapi-schema.log 2>&1 || \
		{ cat $(BUILD)/openapi-schema.log; echo "docs/openapi.yaml does not match the OpenAPI 3.1 schema"; exit 1; }
	@REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true tests/openapi/node_modules/.bin/redocly lint \
		--config tests/openapi/redocly.yaml docs/openapi.yaml >$(BUILD)/openapi-lint.log 2>&1 || \
		{ cat $(BUILD)/openapi-lint.log; echo "docs/openapi.yaml fails redocly lint"; exit 1; }
	@echo "docs/openapi.yaml: valid OpenAPI 3.1, redocly lint clean"

# The crash loop at full length (make api runs 5 rounds of it): kill -9 under
# load, CRASH_ROUNDS times; CRASH_SEED=N replays one run's kill moments.
crash: deps all
	@echo "== crash loop ($(BUILD)/opstasks)"
	@CRASH_ROUNDS=$${CRASH_ROUNDS:-50} OPSTASKS_BIN=$(abspath $(BUILD)/opstasks) OPSTASKS_SAN=$(SAN) \
		$(PYTHON) -m pytest -q -s -p no:cacheprovider tests/api/test_crash.py

# Every test on both backends: unit tests (unit-pg runs SQLite's and
# PostgreSQL's rows), the API suite and the browser tests on SQLite and on
# PostgreSQL, and the OpenAPI check, one suite after another (inside the API
# suite its modules run side by side, see API_JOBS): with two suites side by
# side on two cores, the timing-bound tests (a stream's event within 5 s,
# 150 held connections each answered, the browser's keyboard and undo steps)
# failed now and then; one suite at a time they do not.
test: deps
	@$(MAKE) --no-print-directory all unit-pg tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory api api-pg openapi e2e e2e-pg

# The same tests against an AddressSanitizer + UndefinedBehaviorSanitizer build
# (the browser tests after the API suites: under ASan three at once crowd
# the two cores enough to upset the API suites' timing tests).
sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all unit-pg tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 api api-pg openapi e2e e2e-pg

bench: deps all tests/e2e/node_modules/.installed
	@bench/run.sh

# The Debian package: binary, systemd unit, default config (scripts/make-deb.sh).
VERSION   := $(shell sed -n 's/^\#define OPSTASKS_VERSION "\(.*\)"/\1/p' src/cmd/cmd.h)
DEB       := $(BUILD)/opstasks_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null || echo amd64).deb
deb: $(DEB)

$(DEB): $(BUILD)/opstasks scripts/make-deb.sh contrib/opstasks.service $(wildcard contrib/debian/*) README.md
	@scripts/make-deb.sh $(BUILD)/opstasks $(VERSION) $@

# Fuzzing (docs/testing.md): one libFuzzer target per parser of outside input,
# tests/fuzz/TARGET.c with its corpus in tests/fuzz/corpus/TARGET/ and its
# dictionary tests/fuzz/TARGET.dict; clang with ASan + UBSan into build/fuzz.
# Each runs FUZZ_SECONDS on its corpus (which it grows); any crash, leak or
# undefined behaviour fails the run and leaves the input in build/fuzz/findings/.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS := $(sort $(basename $(notdir $(filter-out tests/fuzz/fuzz_request.c,$(wildcard tests/fuzz/*.c)))))

fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz CC=$(FUZZ_CC) fuzz-build
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
.SECONDARY: $(FUZZ_TARGETS:%=$(BUILD)/obj/tests/fuzz/%.o) $(BUILD)/obj/tests/fuzz/fuzz_request.o

$(BUILD)/libopstasks.a: $(OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/fuzz_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/fuzz_request.o $(BUILD)/libopstasks.a
	@echo "  LD $@"
	@$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/src/*.d $(BUILD)/obj/src/*/*.d $(BUILD)/obj/src/*/*/*.d $(BUILD)/obj/tests/*/*.d $(BUILD)/obj/tests/*/*/*.d)
