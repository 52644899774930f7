# make            optimized tools into build/ (what `make run` and bench use)
# make run        install missing packages, build, start mitmdump on :8080
# make test       install what the tests need, build with ASan+UBSan into
#                 build/asan/, run unit tests and end-to-end tests
# make unit       unit tests only (ASan+UBSan)     make e2e   end-to-end only
# make fuzz       each libFuzzer target for FUZZ_SECONDS
# make bench      benchmarks against direct, nginx and mitmdump 8.1.1
# make format     clang-format every source file
# make install    tools, script plugin, Python package, man pages, bash
#                 completion under PREFIX (/usr/local), staged in DESTDIR;
#                 make uninstall removes exactly that
# make deb        build/deb/mitmproxy-c_VERSION_ARCH.deb (dpkg-deb)
# make deb-test   install that .deb in a fresh Debian 12 root and use it

# The flavour rules below come first in the file; without this, a bare
# `make` would build only their first target, build/libmitm.a.
.DEFAULT_GOAL := all

PKGS     := libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc libbrotlidec libzstd
MODULES  := util core proxy proxy/layers http h2 dns tls flow filter contentviews export addons options commands store master pathod
TOOLS    := mitmdump mitmproxy mitmweb pathod pathoc

NPROC    := $(shell nproc 2>/dev/null || echo 2)

CC       ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt
# The console (src/console/, term.c) draws with ncursesw: it is kept out of
# libmitm.a, so only what links it (mitmproxy, the unit tests) gets the library.
CURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough -Wno-unused-parameter
BASE_CFLAGS := -std=gnu17 -g -Isrc $(PKG_CFLAGS) $(WARN) -D_GNU_SOURCE -MMD -MP
ifeq ($(CI),true)
BASE_CFLAGS += -Werror
endif

LIB_SRCS  := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c))
TEST_SRCS := $(wildcard tests/lib/*.c) $(foreach m,$(MODULES) console web,$(wildcard tests/$(m)/*.c))
CONSOLE_SRCS := $(wildcard src/console/*.c)
# The web UI's server (src/web/) is kept out of libmitm.a as the console is,
# with the app's files embedded in a generated source: src/web/app/dist/
# when the app was built, else a placeholder page (scripts/web_embed.py).
WEB_SRCS  := $(wildcard src/web/*.c) build/gen/web_assets.c
WEB_ASSET_DIR := $(if $(wildcard src/web/app/dist/index.html),src/web/app/dist,src/web/placeholder)
# The app (src/web/app/, TypeScript and Preact) is bundled by esbuild into
# src/web/app/dist/ after `npm ci` from its lock file, and the assets are
# embedded from there. Without npm (`make run` and `make test` install it)
# the placeholder is embedded instead, so the C build never needs Node.
WEBAPP    := src/web/app
WEBAPP_IN := $(shell find $(WEBAPP)/src -type f 2>/dev/null) \
             $(addprefix $(WEBAPP)/,index.html favicon.svg build.mjs)
ifneq ($(shell command -v npm 2>/dev/null),)
WEB_ASSET_DIR := $(WEBAPP)/dist
endif

# Python scripts (-s): src/script/ embeds Debian's CPython. It is built as a
# plugin, mitmproxy-script.so next to the tools, which mitmdump dlopen()s only
# when a script is given: linked into the tool, libpython would cost every
# start-up ~3 MB of RSS and its relocations. The plugin calls back into the
# tool, which therefore exports its symbols and carries the whole library.
# The tool finds our Python package (python/) through the symlink next to it.
PY_PKG       := python3-embed
PY_CFLAGS    := $(shell pkg-config --cflags $(PY_PKG) 2>/dev/null)
PY_LIBS      := $(shell pkg-config --libs $(PY_PKG) 2>/dev/null)
PY_SYSCONFIG := $(shell /usr/bin/python3 -c 'import sysconfig as s; print(s.get_config_var("prefix"), s.get_path("stdlib"), s.get_config_var("DESTSHARED"))' 2>/dev/null)
PY_DEFS      := -DMP_PY_PREFIX='"$(word 1,$(PY_SYSCONFIG))"' -DMP_PY_STDLIB='"$(word 2,$(PY_SYSCONFIG))"' \
                -DMP_PY_DYNLOAD='"$(word 3,$(PY_SYSCONFIG))"'
SCRIPT_SRCS  := $(wildcard src/script/*.c)
SCRIPT_TEST_SRCS := $(wildcard tests/script/*.c)
FUZZ_SRCS := $(wildcard fuzz/*.c)

# One rule set per build flavour: $(1) = output dir, $(2) = extra CFLAGS/LDFLAGS.
define flavour
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -c $$< -o $$@

$(1)/libmitm.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/obj/src/script/%.o: src/script/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -fPIC $$(PY_CFLAGS) $$(PY_DEFS) -c $$< -o $$@

$(1)/obj/tests/script/%.o: tests/script/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(PY_CFLAGS) -c $$< -o $$@

$(1)/%: $(1)/obj/src/tools/%.o $(1)/libmitm.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) -lm -lpthread

# The tools that run scripts export the whole library to the plugin.
$(1)/mitmdump: $(1)/obj/src/tools/mitmdump.o $(1)/libmitm.a $(1)/mitmproxy-script.so $(1)/python
	$$(CC) $(2) -rdynamic -o $$@ $(1)/obj/src/tools/mitmdump.o -Wl,--whole-archive \
	    $(1)/libmitm.a -Wl,--no-whole-archive $$(PKG_LIBS) -lm -lpthread -ldl

$(1)/mitmproxy: $(1)/obj/src/tools/mitmproxy.o $$(patsubst %.c,$(1)/obj/%.o,$$(CONSOLE_SRCS)) \
		$(1)/libmitm.a $(1)/mitmproxy-script.so $(1)/python
	$$(CC) $(2) -rdynamic -o $$@ $(1)/obj/src/tools/mitmproxy.o \
	    $$(patsubst %.c,$(1)/obj/%.o,$$(CONSOLE_SRCS)) -Wl,--whole-archive $(1)/libmitm.a \
	    -Wl,--no-whole-archive $$(PKG_LIBS) $$(CURSES_LIBS) -lm -lpthread -ldl

$(1)/mitmweb: $(1)/obj/src/tools/mitmweb.o $$(patsubst %.c,$(1)/obj/%.o,$$(WEB_SRCS)) \
		$(1)/libmitm.a $(1)/mitmproxy-script.so $(1)/python
	$$(CC) $(2) -rdynamic -o $$@ $(1)/obj/src/tools/mitmweb.o \
	    $$(patsubst %.c,$(1)/obj/%.o,$$(WEB_SRCS)) -Wl,--whole-archive $(1)/libmitm.a \
	    -Wl,--no-whole-archive $$(PKG_LIBS) -lm -lpthread -ldl

$(1)/mitmproxy-script.so: $$(patsubst %.c,$(1)/obj/%.o,$$(SCRIPT_SRCS))
	$$(CC) $(2) -shared -o $$@ $$^ $$(PY_LIBS)

$(1)/python:
	@mkdir -p $(1)
	ln -sfn $$(shell realpath -m --relative-to=$(1) python) $$@

$(1)/tests/unit: $$(patsubst %.c,$(1)/obj/%.o,$$(TEST_SRCS) $$(SCRIPT_TEST_SRCS) $$(SCRIPT_SRCS) $$(CONSOLE_SRCS) $$(WEB_SRCS)) $(1)/libmitm.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -rdynamic -o $$@ $$^ $$(PKG_LIBS) $$(PY_LIBS) $$(CURSES_LIBS) -lm -lpthread -ldl

-include $$(patsubst %.c,$(1)/obj/%.d,$$(LIB_SRCS) $$(TEST_SRCS) $$(SCRIPT_SRCS) $$(SCRIPT_TEST_SRCS) $$(CONSOLE_SRCS) $$(WEB_SRCS) $$(wildcard src/tools/*.c))
endef

OPT_FLAGS  := -O2
ASAN_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

$(eval $(call flavour,build,$(OPT_FLAGS)))
$(eval $(call flavour,build/asan,$(ASAN_FLAGS)))

# mitmproxy._c for the system Python: the plugin's sources and the library
# built position-independent, as an extension module, so that our
# mitmproxy package imports in a plain `python3 -m pytest` of a user's
# addon tests (PYTHONPATH=build/pyext:python). Its own flavour: the
# tools stay position-dependent executables.
PYEXT_SUFFIX := $(shell /usr/bin/python3 -c 'import sysconfig as s; print(s.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PYEXT        := build/pyext/_mitmproxy_c$(PYEXT_SUFFIX)
$(eval $(call flavour,build/pyext,-O1 -fPIC))

$(PYEXT): $(patsubst %.c,build/pyext/obj/%.o,$(SCRIPT_SRCS)) build/pyext/libmitm.a
	$(CC) -shared -o $@ $^ $(PKG_LIBS) -lm -lpthread -ldl

pyext: $(PYEXT)

# The libraries the tools link with (bench/openssl_relink.sh links one again).
print-pkg-libs:
	@echo $(PKG_LIBS)

.PHONY: all run deps test unit e2e pyext fuzz bench format clean man completion install uninstall \
        deb deb-test print-pkg-libs FORCE
.SECONDARY:
FORCE:

all: $(addprefix build/,$(TOOLS))

build/gen/web_assets.c: scripts/web_embed.py $(shell find $(WEB_ASSET_DIR) -type f 2>/dev/null)
	@mkdir -p build/gen
	/usr/bin/python3 scripts/web_embed.py $(WEB_ASSET_DIR) $@

# `.SECONDARY:` above keeps every intermediate file, and so also lets make
# treat a missing one as needing no remaking while what depends on it is up
# to date: a deleted bundle would never be built again. So while any of
# build.mjs's outputs is missing, the bundle and the assets are made anew.
WEBAPP_OUT  := $(addprefix $(WEBAPP)/dist/,index.html app.js app.css favicon.svg)
WEBAPP_GONE := $(if $(filter-out $(wildcard $(WEBAPP_OUT)),$(WEBAPP_OUT)),FORCE)

ifeq ($(WEB_ASSET_DIR),$(WEBAPP)/dist)
build/gen/web_assets.c: $(WEBAPP)/dist/index.html $(WEBAPP_GONE)
endif

$(WEBAPP)/node_modules/.package-lock.json: $(WEBAPP)/package-lock.json
	cd $(WEBAPP) && npm ci --ignore-scripts --no-audit --no-fund --silent

$(WEBAPP)/dist/index.html: $(WEBAPP_IN) $(WEBAPP)/node_modules/.package-lock.json $(WEBAPP_GONE)
	cd $(WEBAPP) && node build.mjs

deps:
	@scripts/deps.sh build

run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	./build/mitmdump --listen-port 8080

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j$(NPROC) asan pyext
	@scripts/test.sh

asan: $(addprefix build/asan/,$(TOOLS)) build/asan/tests/unit

unit: asan
	./build/asan/tests/unit

e2e: asan pyext
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

# The web server's target also links the web sources (kept out of libmitm.a).
WEB_FUZZ_OBJS := $(patsubst %.c,build/fuzzlib/obj/%.o,$(WEB_SRCS))
build/fuzz/web_conn build/fuzz/web_upload: build/fuzz/%: fuzz/%.c build/fuzzlib/libmitm.a \
    $(WEB_FUZZ_OBJS)
	@mkdir -p build/fuzz
	clang $(BASE_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(WEB_FUZZ_OBJS) \
	    build/fuzzlib/libmitm.a $(PKG_LIBS) -lm -lpthread -ldl

-include $(patsubst %.c,build/fuzzlib/obj/%.d,$(LIB_SRCS) $(WEB_SRCS))

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

# Installing. TOOLS is the one list: each tool gets bin/<tool>, a man page
# from man/<tool>.1.in and a bash completion. Man pages and completions are
# made from the built tools' own --help and --options (the option registry),
# so they cannot drift; FROM=build/asan installs the sanitizer build (the
# e2e test does). The layout is the one src/master/scripts.c looks for.
PREFIX  ?= /usr/local
DESTDIR ?=
FROM    ?= build
PYTHON  ?= /usr/bin/python3

define docs
$(1)/man/%.1: man/%.1.in $(1)/% man/gen.sh man/options.awk man/proxy-flags.mdoc \
		scripts/options-table.awk
	@mkdir -p $$(dir $$@)
	man/gen.sh $$< $(1)/$$* > $$@.tmp && mv $$@.tmp $$@

$(1)/completion/%: $(1)/% completion/gen.sh completion/mitmproxy-c.bash scripts/options-table.awk
	@mkdir -p $$(dir $$@)
	completion/gen.sh $(1)/$$* > $$@.tmp && mv $$@.tmp $$@
endef
$(eval $(call docs,build))
$(eval $(call docs,build/asan))

man: $(patsubst %,$(FROM)/man/%.1,$(TOOLS))
completion: $(patsubst %,$(FROM)/completion/%,$(TOOLS))

install: man completion $(addprefix $(FROM)/,$(TOOLS) mitmproxy-script.so) $(PYEXT)
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' FROM='$(FROM)' PYTHON='$(PYTHON)' TOOLS='$(TOOLS)' \
	    PYEXT='$(PYEXT)' scripts/install.sh install

uninstall:
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' TOOLS='$(TOOLS)' scripts/install.sh uninstall

# The package installs with PREFIX=/usr; its Depends come from the libraries
# the tools and the plugin link (dpkg-shlibdeps), never from a hand list.
deb: man completion $(addprefix $(FROM)/,$(TOOLS) mitmproxy-script.so) $(PYEXT)
	@scripts/deps.sh deb
	@FROM='$(FROM)' PYTHON='$(PYTHON)' TOOLS='$(TOOLS)' PYEXT='$(PYEXT)' scripts/deb.sh

# Slow and needs the network: debootstrap, apt-get install the .deb, proxy
# a request with it. Not part of `make test`.
deb-test: deb
	tests/deb/fresh_root.sh

clean:
	rm -rf build
