# tally — build, test, install.
#
#   make                      build libtally.a and the tally CLI into build/
#   make check                unit tests (Check), golden CLI tests (also with every input
#                             read ahead on a thread), the same output with and without
#                             reading ahead on large returns, the HTML report in
#                             headless Chromium (check-html), the JSON grammar corpus
#                             and differential property test (check-json), and
#                             --publish ees against DfE's screener rules (check-ees), and every
#                             option of --help in the man page and back (check-man), and
#                             the progress line's percentage and time left (check-progress)
#   make check SANITIZE=address,undefined
#                             the same, built with sanitizers into build/san/
#   make check-valgrind       the unit and golden tests under valgrind
#   make check-all            check, then check-more: check SANITIZE=address,undefined,
#                             check-valgrind, check-fault, check-property, check-threads
#   make check-fault          every allocation of every command and output form failed
#                             in turn (tests/fault/), plus read errors: each must end cleanly
#   make check-threads        library operations on 4 threads at once, compared with the
#                             same run alone: plain, ThreadSanitizer (build/tsan/), helgrind
#   make check-property       the "nothing lost" property test: PROPERTY_RUNS random
#                             builds (default 500) from PROPERTY_SEED (default 1), each
#                             also built with --disclosure and its audit re-derived
#                             independently (tests/property/sdc_check.c)
#   make fuzz FUZZ_SECONDS=N  build the libFuzzer targets (clang) into build/fuzz/ and run
#                             each for N seconds (default 60); fails on any crash or leak
#   make demo                 build the national dataset from fixtures/build/
#   make bench                benchmark tally against Miller, jq and xmllint (issue 8;
#                             installs its peers, ~20 min): build/bench/results.md
#   make install PREFIX=/usr/local DESTDIR= [BINDIR= LIBDIR= INCLUDEDIR= DATADIR= MANDIR=]
#                             the CLI, libtally.a, its headers, tally.pc and the man page
#   make uninstall            (the same variables) removes what install put there
#   make check-install        install and uninstall into a staging directory, checked
#   make check-examples       examples/ built against the installed package and run
#   make deps                 install the Debian packages the build and tests need
#   make clean

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=

PKGS     := libxml-2.0 libcjson sqlite3 nettle libpcre2-8 libzip
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT      ?= -O2 -g

ifeq ($(strip $(SANITIZE)),)
BUILD    := build
SANFLAGS :=
else ifeq ($(strip $(SANITIZE)),thread)
BUILD    := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
BUILD    := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# The libraries' flags are asked of pkg-config when first used, not when this
# file is read: `make deps demo` installs the packages (deps) before anything is
# compiled, and only then may pkg-config be asked. `lazy` evaluates its shell
# command once, on first use, and keeps the answer.
lazy = $(eval $(1) := $$(shell $(2)))$($(1))
PKG_CFLAGS   = $(call lazy,PKG_CFLAGS,pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(call lazy,PKG_LIBS,pkg-config --libs $(PKGS) 2>/dev/null)
# libcsv ships no pkg-config file on Debian; use it when present, else -lcsv.
CSV_LIBS     = $(call lazy,CSV_LIBS,pkg-config --libs libcsv 2>/dev/null || echo -lcsv)
CHECK_CFLAGS = $(call lazy,CHECK_CFLAGS,pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(call lazy,CHECK_LIBS,pkg-config --libs check 2>/dev/null)

CFLAGS   += $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -pthread -Iinclude -Isrc $(PKG_CFLAGS)
LDFLAGS  += $(SANFLAGS) -pthread
# GLPK (the disclosure audit's linear programs) ships no pkg-config file on Debian.
LIBS      = $(PKG_LIBS) $(CSV_LIBS) -lglpk -lm

# `make deps X`, even with -j: nothing is compiled before deps has run.
DEPS_FIRST := $(filter deps,$(MAKECMDGOALS))

LIB_SRC  := $(sort $(wildcard src/core/*.c src/readers/*.c src/writers/*.c src/report/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

EMBEDDED := schemas/missing-from-care.schema.json schemas/authorities.csv schemas/areas.csv schemas/aliases.csv \
            schemas/missing-from-care.xsd

.PHONY: all check unit golden golden-ahead check-ahead check-html check-man check-progress check-valgrind check-all check-more demo install clean deps \
        check-fault check-property check-json check-ees check-doc check-threads check-headers check-release check-layers
all: $(BUILD)/tally

$(BUILD)/libtally.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tally: $(CLI_OBJ) $(BUILD)/libtally.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtally.a $(LIBS)

# The same CLI with its test-only fault hooks (-DTALLY_TEST_HOOKS: environment
# variables that remove a build's working directory or kill it before the swap),
# for the golden cases that need them; the release build/tally has none of them.
$(BUILD)/tally-hooks: $(CLI_OBJ:$(BUILD)/%=$(BUILD)/hooks/%) $(BUILD)/libtally.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ:$(BUILD)/%=$(BUILD)/hooks/%) $(BUILD)/libtally.a $(LIBS)

$(BUILD)/hooks/%.o: %.c | $(DEPS_FIRST)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTALLY_TEST_HOOKS -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c | $(DEPS_FIRST)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The default schema and registry are compiled in, so an installed tally needs no files.
$(BUILD)/gen/embedded.c: tools/embed.sh $(EMBEDDED) | $(DEPS_FIRST)
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBEDDED) > $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit: $(UNIT_OBJ) $(BUILD)/libtally.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libtally.a $(CHECK_LIBS) $(LIBS)

$(UNIT_OBJ): CFLAGS += $(CHECK_CFLAGS)

check: unit golden golden-ahead check-ahead check-html check-json check-ees check-doc check-man check-progress check-headers check-release check-layers


# The release binary carries no test hook (they live in tally-hooks only).
check-release: $(BUILD)/tally $(BUILD)/tally-hooks
	@if strings $(BUILD)/tally | grep TALLY_TEST; then echo "$(BUILD)/tally has test hooks"; exit 1; fi
	@strings $(BUILD)/tally-hooks | grep -q TALLY_TEST_KILL_BEFORE_SWAP || \
	    { echo "$(BUILD)/tally-hooks lacks its hooks: the check above would prove nothing"; exit 1; }
	@echo "check-release: $(BUILD)/tally has no TALLY_TEST hook"

# What may include what (tests/api/layers.sh).
check-layers:
	@sh tests/api/layers.sh

unit: $(BUILD)/unit
	CK_FORK=no $(BUILD)/unit

# Cases that need a fault hook run `tally-hooks` ($(BUILD)/tally-hooks, beside tally).
golden: $(BUILD)/tally $(BUILD)/tally-hooks
	sh tests/golden/run.sh $(BUILD)/tally

# Every option of each command's --help in the man page, for that command, and back.
check-man: $(BUILD)/tally
	sh tests/man/check.sh $(BUILD)/tally doc/tally.1

# The progress line's share read and time left, on a generated return.
check-progress: $(BUILD)/tally $(BUILD)/bench/bin/bench-gen
	sh tests/progress/check.sh $(BUILD)/tally $(BUILD)/bench/bin/bench-gen

# The same cases, each input read ahead on a second thread (src/readers/ahead.c).
golden-ahead: $(BUILD)/tally $(BUILD)/tally-hooks
	TALLY_READ_AHEAD=1 sh tests/golden/run.sh $(BUILD)/tally

# Reading ahead changes nothing: large generated returns, with and without it.
check-ahead: $(BUILD)/tally $(BUILD)/bench/bin/bench-gen
	sh tests/ahead/run.sh $(BUILD)/tally $(BUILD)/bench/bin/bench-gen

# The HTML report opened in headless Chromium (fails, not skips, without chromium).
# Screenshots go to build/artefacts/.
check-html: $(BUILD)/tally $(BUILD)/property-gen
	sh tests/html/run.sh $(BUILD)/tally $(BUILD)/property-gen

# tally build --publish ees against every rule of DfE's EES screener that can be
# checked without R (tests/ees/check.py), on fixtures and generated multi-period
# builds; and the checker shown to fail on broken files.
check-ees: $(BUILD)/tally $(BUILD)/property-gen
	sh tests/ees/run.sh $(BUILD)/tally $(BUILD)/property-gen

# The reference in doc/: its example returns are valid and alike, its blocks are
# the files and columns tally writes, and doc/diagnostics.md has every code.
check-doc: $(BUILD)/tally
	sh tests/doc/run.sh $(BUILD)/tally

check-valgrind: $(BUILD)/unit $(BUILD)/tally $(BUILD)/tally-hooks $(BUILD)/bench/bin/bench-gen
	CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $(BUILD)/unit
	TALLY_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" \
	    sh tests/golden/run.sh $(BUILD)/tally
	sh tests/ahead/helgrind.sh $(BUILD)/tally $(BUILD)/bench/bin/bench-gen
	@# ... and that test fails when tally crashes under helgrind (but not without it).
	TALLY=$(CURDIR)/$(BUILD)/tally HELGRIND_FORMATS=csv sh tests/ahead/helgrind.sh \
	    tests/ahead/crash-under-valgrind.sh $(BUILD)/bench/bin/bench-gen > $(BUILD)/helgrind-crash.log 2>&1; \
	    test $$? -eq 1 && grep -q 'exit status 139' $(BUILD)/helgrind-crash.log

# Every test, in every build CI runs. Sub-makes, so each build has its own flags.
check-all:
	$(MAKE) check
	$(MAKE) check-more

# What check-all runs beyond check (CI runs `make deps check` first, as the README does).
check-more:
	$(MAKE) check SANITIZE=address,undefined
	$(MAKE) check-valgrind
	$(MAKE) check-fault
	$(MAKE) check-property
	$(MAKE) check-threads
	$(MAKE) check-install
	$(MAKE) check-examples

# ---- the public headers: each stands alone in C11 and C++, and C++ links with them ----
CXX ?= c++
check-headers: $(BUILD)/libtally.a
	@for h in include/tally/*.h; do \
	    grep -q "\"$${h#include/}\"" tests/api/cxx.cc || { echo "tests/api/cxx.cc misses $$h"; exit 1; }; \
	    echo "#include \"$${h#include/}\"" | $(CC) $(CSTD) $(WARN) -Iinclude -x c -fsyntax-only - || exit 1; \
	    echo "#include \"$${h#include/}\"" | $(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ \
	        -fsyntax-only - || exit 1; \
	done
	$(CXX) -std=c++11 -Wall -Wextra -Werror $(SANFLAGS) -Iinclude -o $(BUILD)/cxx tests/api/cxx.cc \
	    $(BUILD)/libtally.a $(LIBS) -pthread
	$(BUILD)/cxx

# ---- the JSON readers: RFC 8259 grammar corpus and differential property test (tests/json/) ----
JSON_PROP_DOCS ?= 2000
JSON_PROP_SEED ?= 1

$(BUILD)/json-prop: tests/json/prop.c tests/json/jsongen.c tests/json/jsongen.h $(BUILD)/libtally.a
	$(CC) $(CFLAGS) -o $@ tests/json/prop.c tests/json/jsongen.c $(LDFLAGS) $(BUILD)/libtally.a $(LIBS)

check-json: $(BUILD)/tally $(BUILD)/json-prop
	sh tests/json/run-corpus.sh $(BUILD)/tally
	$(BUILD)/json-prop -n $(JSON_PROP_DOCS) -s $(JSON_PROP_SEED) -o $(BUILD)/json-prop-failures

# ---- threads: tests/threads/ ----------------------------------------------------------
# Every kind of library operation on THREADS threads at once, each on its own
# objects, compared byte for byte with the same run alone: plainly, then under
# ThreadSanitizer (build/tsan/, suppressions in tests/threads/tsan.supp) and
# under helgrind.
THREADS_RUNS ?= 3

$(BUILD)/threads: tests/threads/threads.c $(BUILD)/libtally.a
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(BUILD)/libtally.a $(LIBS)

check-threads: $(BUILD)/threads
ifeq ($(strip $(SANITIZE)),thread)
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/threads/tsan.supp" \
	    $(BUILD)/threads -n $(THREADS_RUNS) fixtures
else
	$(BUILD)/threads -n $(THREADS_RUNS) fixtures
endif
ifeq ($(strip $(SANITIZE)),)
	$(MAKE) check-threads SANITIZE=thread
	valgrind -q --tool=helgrind --error-exitcode=99 --suppressions=tests/threads/helgrind.supp \
	    $(BUILD)/threads -n 1 fixtures
endif

# ---- fault injection: tests/fault/ ------------------------------------------------------
# failmalloc.so, preloaded, fails the Nth allocation (or read); run.sh tries every N.
# Always on the plain build: a sanitizer's allocator cannot be interposed.
build/failmalloc.so: tests/fault/failmalloc.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) -Wall -Wextra -Werror -O2 -fPIC -shared -o $@ $< -ldl

check-fault: build/tally build/failmalloc.so
	sh tests/fault/run.sh build/tally build/failmalloc.so

# ---- the "nothing lost" property test: tests/property/ -----------------------------------
PROPERTY_RUNS ?= 500
PROPERTY_SEED ?= 1

$(BUILD)/property-gen: tests/property/gen.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -g -o $@ $<

# The disclosure audit re-derived from the published dataset alone (tests/property/sdc_check.c).
$(BUILD)/sdc-check: tests/property/sdc_check.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -g -o $@ $< -lglpk -lm

check-property: $(BUILD)/tally $(BUILD)/property-gen $(BUILD)/sdc-check
	sh tests/property/check.sh $(BUILD)/tally $(BUILD)/property-gen $(PROPERTY_RUNS) $(PROPERTY_SEED) \
	    $(BUILD)/sdc-check

# ---- fuzzing: libFuzzer targets in tests/fuzz/, one per reader and loader ----------
# The library is rebuilt with clang for coverage-guided fuzzing under ASan+UBSan;
# tests/fuzz/run.sh replays tests/fuzz/regressions/ and then fuzzes each target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := fuzz_csv fuzz_json fuzz_ndjson fuzz_json_diff fuzz_xml fuzz_expr fuzz_schema fuzz_registry \
                fuzz_xlsx fuzz_ods fuzz_writers fuzz_build
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                -Iinclude -Isrc -Itests/fuzz $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/embedded.o

$(FUZZ_BUILD)/%.o: %.c | $(DEPS_FIRST)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/gen/embedded.c: tools/embed.sh $(EMBEDDED)
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBEDDED) > $@

$(FUZZ_BUILD)/gen/embedded.o: $(FUZZ_BUILD)/gen/embedded.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libtally.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o \
                      $(FUZZ_BUILD)/libtally.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# The JSON differential target also links the generator of tests/json/.
$(FUZZ_BUILD)/fuzz_json_diff: $(FUZZ_BUILD)/tests/json/jsongen.o

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/%.o) $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o \
            $(FUZZ_BUILD)/tests/json/jsongen.o

fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- benchmark (issue 8): tally against Miller, jq, xmllint and parse-only floors ----
# bench/run.sh installs its peers from Debian when missing, generates 100k and 1M
# records in every format into build/bench/, and writes build/bench/results.md.
BENCH_BIN  := $(BUILD)/bench/bin
XML_CFLAGS  = $(call lazy,XML_CFLAGS,pkg-config --cflags libxml-2.0 2>/dev/null)
XML_LIBS    = $(call lazy,XML_LIBS,pkg-config --libs libxml-2.0 2>/dev/null)

$(BENCH_BIN)/bench-gen: bench/gen.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -o $@ $<

$(BENCH_BIN)/floor-csv: bench/floor_csv.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -o $@ $< $(CSV_LIBS)

$(BENCH_BIN)/floor-xml: bench/floor_xml.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 $(XML_CFLAGS) -o $@ $< $(XML_LIBS)

$(BENCH_BIN)/floor-sax: bench/floor_sax.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 $(XML_CFLAGS) -o $@ $< $(XML_LIBS)

.PHONY: bench
bench: $(BUILD)/tally $(BENCH_BIN)/bench-gen $(BENCH_BIN)/floor-csv $(BENCH_BIN)/floor-xml $(BENCH_BIN)/floor-sax
	TALLY=$(BUILD)/tally BENCH_BIN=$(BENCH_BIN) sh bench/run.sh

# The main job: the national dataset from the bundled returns (some of which are
# wrong on purpose: exit status 1 means "records were rejected", not failure).
demo: $(BUILD)/tally
	$(BUILD)/tally build -o build/national fixtures/build || [ $$? -eq 1 ]
	@echo; echo "UK rows of build/national/dataset.csv:"
	@head -1 build/national/dataset.csv; grep ',uk,' build/national/dataset.csv

# ---- install, uninstall: the CLI, the library, its headers, tally.pc, the man page ----
# Each directory can be set on its own; DESTDIR stages the whole tree (packaging):
#   make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR=/tmp/stage
# uninstall (same variables) removes exactly the files install put there, and the
# directories that are tally's own (INCLUDEDIR/tally, DATADIR/tally) once empty.
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(PREFIX)/share/man
PCDIR      ?= $(LIBDIR)/pkgconfig
# The version: include/tally/version.h is the one place it is written.
VERSION     = $(call lazy,VERSION,sed -n 's/^\#define TALLY_VERSION_\(MAJOR\|MINOR\|PATCH\) *//p' \
                include/tally/version.h | paste -sd. -)
HEADERS    := $(sort $(wildcard include/tally/*.h))

# libtally is a static library only, so tally.pc names every library it needs in
# Libs and Requires (not .private): `pkg-config --cflags --libs tally` links as it
# stands, and `--static` gives the same. Written at install time, with the paths
# of that install.
$(BUILD)/tally.pc: FORCE
	@mkdir -p $(@D)
	@{ echo 'prefix=$(PREFIX)'; echo 'libdir=$(LIBDIR)'; echo 'includedir=$(INCLUDEDIR)'; echo; \
	   echo 'Name: tally'; \
	   echo 'Description: validate, convert and build the returns about children missing from care'; \
	   echo 'Version: $(VERSION)'; \
	   echo 'Requires: $(PKGS)'; \
	   echo 'Cflags: -I$${includedir} -pthread'; \
	   echo 'Libs: -L$${libdir} -ltally $(CSV_LIBS) -lglpk -lm -pthread'; } > $@

.PHONY: FORCE uninstall check-install check-examples
FORCE:

install: $(BUILD)/tally $(BUILD)/libtally.a $(BUILD)/tally.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(INCLUDEDIR)/tally \
	    $(DESTDIR)$(DATADIR)/tally $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/tally $(DESTDIR)$(BINDIR)/tally
	install -m 644 $(BUILD)/libtally.a $(DESTDIR)$(LIBDIR)/libtally.a
	install -m 644 $(BUILD)/tally.pc $(DESTDIR)$(PCDIR)/tally.pc
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/tally/
	install -m 644 $(EMBEDDED) $(DESTDIR)$(DATADIR)/tally/
	install -m 644 doc/tally.1 $(DESTDIR)$(MANDIR)/man1/tally.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tally $(DESTDIR)$(LIBDIR)/libtally.a $(DESTDIR)$(PCDIR)/tally.pc \
	    $(addprefix $(DESTDIR)$(INCLUDEDIR)/tally/,$(notdir $(HEADERS))) \
	    $(addprefix $(DESTDIR)$(DATADIR)/tally/,$(notdir $(EMBEDDED))) $(DESTDIR)$(MANDIR)/man1/tally.1
	-rmdir $(DESTDIR)$(INCLUDEDIR)/tally $(DESTDIR)$(DATADIR)/tally 2>/dev/null

# install and uninstall into a staging directory, every directory variable set:
# exactly the expected files, a tally.pc pkg-config accepts, nothing left after.
check-install: $(BUILD)/tally $(BUILD)/libtally.a
	sh tests/api/install.sh $(BUILD)

# examples/ built as a third party builds them: installed into a temporary PREFIX,
# compiled with only `pkg-config --cflags --libs tally`, run on fixtures, their
# output compared with examples/expected/ and with the tally command's.
check-examples: $(BUILD)/tally $(BUILD)/libtally.a
	sh tests/api/examples.sh $(BUILD)

DEB_PKGS := build-essential pkg-config libxml2-dev libcjson-dev libcsv-dev check libsqlite3-dev nettle-dev libpcre2-dev \
            libzip-dev libglpk-dev \
            sqlite3 valgrind libxml2-utils jq chromium clang libclang-rt-14-dev time python3
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf build tests/golden/out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(CLI_OBJ:$(BUILD)/%.o=$(BUILD)/hooks/%.d) $(UNIT_OBJ:.o=.d) $(wildcard $(FUZZ_BUILD)/*/*/*.d)
