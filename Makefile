# make            optimized tools into build/ (what `make run` and bench use)
# make run        install missing packages, build, start mitmdump on :8080
# make test       install what the tests need, build with ASan+UBSan into
#                 build/asan/, run unit tests and end-to-end tests
# make unit       unit tests only (ASan+UBSan)     make e2e   end-to-end only
# make fuzz       each libFuzzer target for FUZZ_SECONDS
# make bench      benchmarks against direct, nginx and mitmdump 8.1.1
# make format     clang-format every source file

# The flavour rules below come first in the file; without this, a bare
# `make` would build only their first target, build/libmitm.a.
.DEFAULT_GOAL := all

PKGS     := libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc libbrotlidec libzstd
MODULES  := util core proxy proxy/layers http h2 dns tls flow filter contentviews export addons options commands store master console pathod
TOOLS    := mitmdump mitmproxy pathod pathoc

.DEFAULT_GOAL := all
NPROC    := $(shell nproc 2>/dev/null || echo 2)

CC       ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt
# The console (src/console/term.c) draws with ncursesw: only what links it
# (mitmproxy, the unit tests) gets the library.
CURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough -Wno-unused-parameter
BASE_CFLAGS := -std=gnu17 -g -Isrc $(PKG_CFLAGS) $(WARN) -D_GNU_SOURCE -MMD -MP
ifeq ($(CI),true)
BASE_CFLAGS += -Werror
endif

LIB_SRCS  := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c))
TEST_SRCS := $(wildcard tests/lib/*.c) $(foreach m,$(MODULES),$(wildcard tests/$(m)/*.c))
FUZZ_SRCS := $(wildcard fuzz/*.c)

# One rule set per build flavour: $(1) = output dir, $(2) = extra CFLAGS/LDFLAGS.
define flavour
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -c $$< -o $$@

$(1)/libmitm.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/%: $(1)/obj/src/tools/%.o $(1)/libmitm.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) $$(TOOL_LIBS) -lm -lpthread

$(1)/mitmproxy: TOOL_LIBS = $$(CURSES_LIBS)

$(1)/tests/unit: $$(patsubst %.c,$(1)/obj/%.o,$$(TEST_SRCS)) $(1)/libmitm.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) $$(CURSES_LIBS) -lm -lpthread

-include $$(patsubst %.c,$(1)/obj/%.d,$$(LIB_SRCS) $$(TEST_SRCS) $$(wildcard src/tools/*.c))
endef

OPT_FLAGS  := -O2
ASAN_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

$(eval $(call flavour,build,$(OPT_FLAGS)))
$(eval $(call flavour,build/asan,$(ASAN_FLAGS)))

.PHONY: all run deps test unit e2e fuzz bench format clean
.SECONDARY:

all: $(addprefix build/,$(TOOLS))

deps:
	@scripts/deps.sh build

run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	./build/mitmdump --listen-port 8080

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j$(NPROC) asan
	@scripts/test.sh

asan: $(addprefix build/asan/,$(TOOLS)) build/asan/tests/unit

unit: asan
	./build/asan/tests/unit

e2e: asan
	MP_BIN=build/asan /usr/bin/python3 -m pytest -q --timeout=180 tests/e2e

# The library is built once with clang and the sanitizers (fuzzer-no-link:
# coverage without libFuzzer's main); each target links against it.
FUZZ_SECONDS ?= 30
FUZZ_SAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_TARGETS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
build/fuzzlib/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzzlib/libmitm.a: $(patsubst %.c,build/fuzzlib/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: fuzz/%.c build/fuzzlib/libmitm.a
	@mkdir -p build/fuzz
	clang $(BASE_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< build/fuzzlib/libmitm.a \
	    $(PKG_LIBS) -lm -lpthread

-include $(patsubst %.c,build/fuzzlib/obj/%.d,$(LIB_SRCS))

# clang comes from scripts/deps.sh, so it is installed before anything is built.
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(patsubst fuzz/%.c,%,$(FUZZ_SRCS))

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
