# twilio-numbers -- build, test, demo, bench, install.
#
#   make            build twilio/core.so for Lua 5.4 and LuaJIT 2.1
#   make test       every test (C core under ASan+UBSan, busted on both VMs,
#                   emulator, nginx); prints "N passed, N failed"
#   make demo       the provisioning workflow against the bundled emulator
#   make bench      benchmarks against a raw libcurl baseline
#   make deps       apt-get the Debian packages that are missing
#   make install    install the module for Lua 5.4 and bin/twilio-numbers (PREFIX=/usr/local)
#   make install-jit  the same for LuaJIT / OpenResty (lua/5.1 paths)

PREFIX    ?= /usr/local
CC        ?= cc
PKG       ?= pkg-config

WARN      := -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow \
             -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
             -Wundef -Wvla -Werror=implicit-function-declaration
BASEFLAGS := -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden
OPT       ?= -O2 -g
LUA54_INC := $(shell $(PKG) --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
JIT_INC   := $(shell $(PKG) --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)
CURL_INC  := $(shell $(PKG) --cflags libcurl 2>/dev/null)
CURL_LIB  := $(shell $(PKG) --libs libcurl 2>/dev/null || echo -lcurl)
# libcrypto (OpenSSL): HMAC and SHA-256 of webhook signatures (src/tw_webhook.c)
CRYPTO_INC := $(shell $(PKG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIB := $(shell $(PKG) --libs libcrypto 2>/dev/null || echo -lcrypto)

# tw_*.c: the C core (no lua.h); ltw_*.c: the Lua binding.
CORE_SRC  := $(sort $(wildcard src/tw_*.c))
BIND_SRC  := $(sort $(wildcard src/ltw_*.c))
HDRS      := $(wildcard src/*.h)
# C core files that need libcurl; the others are I/O-free.
CURL_SRC  := $(filter src/tw_curl%.c,$(CORE_SRC))
PURE_SRC  := $(filter-out $(CURL_SRC),$(CORE_SRC))

SO54      := build/5.4/twilio/core.so
SOJIT     := build/jit/twilio/core.so
SOASAN    := build/asan/twilio/core.so
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

C_TESTS   := $(patsubst tests/c/%.c,build/ctest/%,$(wildcard tests/c/test_*.c))

.PHONY: all deps test test-c demo bench fuzz install install-jit uninstall clean lint rock emulator-start emulator-stop

all: $(SO54) $(SOJIT)

# One rule for the three module builds, build/FLAVOUR/twilio/core.so: 5.4 and
# jit (what `make` builds) and asan (ASan+UBSan, loaded by lua5.4 under
# LD_PRELOAD in make test). A flavour is its compiler flags:
MOD_FLAGS_5.4  := $(OPT) $(LUA54_INC)
MOD_FLAGS_jit  := $(OPT) $(JIT_INC)
MOD_FLAGS_asan := -O1 -g $(SAN) $(LUA54_INC)

build/%/twilio/core.so: $(CORE_SRC) $(BIND_SRC) $(HDRS)
	$(if $(MOD_FLAGS_$*),,$(error no module flavour '$*' (5.4, jit, asan)))
	@mkdir -p $(@D)
	$(CC) $(WARN) $(BASEFLAGS) $(MOD_FLAGS_$*) $(CURL_INC) $(CRYPTO_INC) -shared -o $@ $(CORE_SRC) $(BIND_SRC) $(CURL_LIB) $(CRYPTO_LIB)

# The wall-clock floor of list-all on Lua 5.4 (bench/floor_client.c; not in
# `make bench` unless BENCH_FLOOR=1): the baseline's code plus the least a Lua
# 5.4 binding does per page, on Debian's static liblua5.4.a as the lua5.4
# interpreter. bench/run builds build/bench/baseline itself.
LUA54_A   ?= /usr/lib/x86_64-linux-gnu/liblua5.4.a
build/bench/floor_client: bench/floor_client.c bench/baseline_common.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -g $(LUA54_INC) $(CURL_INC) -o $@ $< $(LUA54_A) $(CURL_LIB) -lm -ldl

# C tests of the core: each tests/c/test_X.c links the C core, under ASan+UBSan.
build/ctest/%: tests/c/%.c $(CORE_SRC) $(HDRS) $(wildcard tests/c/*.h) $(wildcard fuzz/*.h)
	@mkdir -p $(@D)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L -O1 -g $(SAN) -Isrc $(CURL_INC) $(CRYPTO_INC) -o $@ $< $(CORE_SRC) $(CURL_LIB) $(CRYPTO_LIB)
# the JSON tests that include test_json.c (other scanner builds) follow it
$(filter build/ctest/test_json_%,$(C_TESTS)): tests/c/test_json.c

deps:
	@tools/deps

test: deps all $(SOASAN) $(C_TESTS)
	@tests/run

test-c: $(C_TESTS)
	@for t in $(C_TESTS); do $$t || exit 1; done

demo: deps all
	@tools/demo

bench: deps all
	@PEERS=$(PEERS) tools/deps && PEERS=$(PEERS) bench/run

fuzz: deps
	@fuzz/run $${FUZZ_SECONDS:-600}

lint:
	luacheck -q lua spec bin examples bench emulator

# luarocks builds in the source tree: build from a copy so objects stay out of the checkout
rock: deps
	rm -rf build/rocksrc && mkdir -p build/rocksrc && cp -r src lua rockspec bin build/rocksrc/
	cd build/rocksrc && luarocks --lua-version 5.4 make --deps-mode=none --local rockspec/twilio-numbers-scm-1.rockspec

# install: Lua 5.4 paths and the command; install-jit: LuaJIT / OpenResty (5.1)
# paths. Every Lua directory under lua/twilio goes, so a new one needs no rule.
define install_tree # $(1) = .so, $(2) = Lua version directory
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(2)/twilio
	install -m 0755 $(1) $(DESTDIR)$(PREFIX)/lib/lua/$(2)/twilio/core.so
	install -D -m 0644 lua/twilio.lua $(DESTDIR)$(PREFIX)/share/lua/$(2)/twilio.lua
	for d in $$(cd lua && find twilio -type d); do \
	  install -d $(DESTDIR)$(PREFIX)/share/lua/$(2)/$$d && \
	  install -m 0644 lua/$$d/*.lua $(DESTDIR)$(PREFIX)/share/lua/$(2)/$$d/ || exit 1; \
	done
endef

install: $(SO54)
	$(call install_tree,$(SO54),5.4)
	install -D -m 0755 bin/twilio-numbers $(DESTDIR)$(PREFIX)/bin/twilio-numbers

install-jit: $(SOJIT)
	$(call install_tree,$(SOJIT),5.1)

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/lua/5.4/twilio $(DESTDIR)$(PREFIX)/share/lua/5.4/twilio \
	       $(DESTDIR)$(PREFIX)/share/lua/5.4/twilio.lua $(DESTDIR)$(PREFIX)/lib/lua/5.1/twilio \
	       $(DESTDIR)$(PREFIX)/share/lua/5.1/twilio $(DESTDIR)$(PREFIX)/share/lua/5.1/twilio.lua \
	       $(DESTDIR)$(PREFIX)/bin/twilio-numbers

emulator-start:
	@bin/twilio-emulator start

emulator-stop:
	@bin/twilio-emulator stop

clean:
	rm -rf build
