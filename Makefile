# backad - build, test, demo and install.
# `make demo` and `make check` install missing Debian packages first.

PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
DATADIR   ?= $(PREFIX)/share/backad
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
LIBDIR    ?= /usr/lib
DOCDIR    ?= $(PREFIX)/share/doc/backad
DESTDIR   ?=

BUILD     ?= build
CC        ?= cc
PKGS      := libesmtp-1.0 libcurl sqlite3 libconfig libsystemd openssl jansson libmicrohttpd libpq
# gettext itself is in glibc (libintl.h, no pkg-config name); the gettext
# package gives xgettext and msgfmt for the catalogues in po/.
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wcast-qual -Wformat=2 -Werror \
             -Wno-format-truncation
CFLAGS    ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) $(SANITIZE)
LOCALEDIR ?= $(PREFIX)/share/locale
CPPFLAGS  += -Isrc -DDATADIR='"$(DATADIR)"' -DLOCALEDIR='"$(LOCALEDIR)"'
override LDFLAGS += $(SANITIZE)

pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

MAINS     := src/backactl.c src/backad.c src/backad-web.c
LIB_SRC   := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
PROGS     := $(BUILD)/backactl $(if $(wildcard src/backad.c),$(BUILD)/backad) $(BUILD)/backad-web

# Translations (gettext): po/LANG.po compiled into $(BUILD)/locale, where the
# tests find them through $BACKAD_LOCALEDIR; `make pot` extracts po/backad.pot
# from the sources (err_set, log and journal formats are translated inside).
LINGUAS   := $(basename $(notdir $(wildcard po/*.po)))
MO        := $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/backad.mo)
XGETTEXT_KEYWORDS := --keyword=_ --keyword=N_ --keyword=err_set:3 --keyword=report_line:2 \
	--keyword=log_msg:2 --keyword=log_err:1 --keyword=log_warn:1 --keyword=log_info:1 \
	--keyword=log_debug:1 --keyword=journal_event:4 --keyword=ctl_fail:2 --keyword=ctl_usage:2 \
	--keyword=report:3 --flag=report:3:c-format --keyword=row_err:2 --flag=row_err:2:c-format \
	--flag=err_set:3:c-format --flag=report_line:2:c-format --flag=log_msg:2:c-format \
	--flag=log_err:1:c-format --flag=log_warn:1:c-format --flag=log_info:1:c-format \
	--flag=log_debug:1:c-format --flag=journal_event:4:c-format --flag=ctl_fail:2:c-format \
	--flag=ctl_usage:2:c-format

# The Debian package (debian/), built by dpkg-buildpackage from a copy of the
# tree into build/deb/, then checked by lintian: no error, no warning.
DEBVER    := $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEBARCH   := $(shell dpkg --print-architecture 2>/dev/null)
DEB       := build/deb/backad_$(DEBVER)_$(DEBARCH).deb

.PHONY: tests bench-pg pot deb deps-bench all deps deps-test check unit it asan valgrind demo install clean bench torture fuzz
.DELETE_ON_ERROR:

all: $(PROGS) $(MO)

$(BUILD)/locale/%/LC_MESSAGES/backad.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

pot:
	xgettext --language=C --from-code=UTF-8 $(XGETTEXT_KEYWORDS) --add-comments=TRANSLATORS: \
		--package-name=backad --msgid-bugs-address= --sort-by-file -o po/backad.pot \
		$(sort $(wildcard src/*.c))
	@for po in $(wildcard po/*.po); do \
		msgmerge -q --update --backup=none --no-wrap --no-fuzzy-matching $$po po/backad.pot && \
		msgattrib --no-obsolete --no-wrap -o $$po $$po; done

deps:
	@scripts/install-deps build
deps-test:
	@scripts/install-deps test

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(PKGS)) -c -o $@ $<

$(BUILD)/libbackad.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/%: src/%.c $(BUILD)/libbackad.a $(wildcard src/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(PKGS)) -o $@ $< \
		$(BUILD)/libbackad.a $(LDFLAGS) $(call pc_libs,$(PKGS)) -lm

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/libbackad.a | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(call pc_cflags,$(PKGS) cmocka) -o $@ $< \
		$(BUILD)/libbackad.a $(LDFLAGS) $(call pc_libs,$(PKGS) cmocka) -lm

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

# Unit tests (cmocka), then integration tests (tests/it_*.sh) against the
# programs. Each test binary runs from the top of the tree.
# The unit tests run JOBS at a time (tests/run_units.sh), the longest first.
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
UNIT_LONG := test_planner test_digest test_plan_regress test_plan_property test_outbox \
	     test_daemon_pg test_import test_ss12000
UNIT_ORDER := $(addprefix $(BUILD)/tests/,$(UNIT_LONG)) \
	      $(filter-out $(addprefix $(BUILD)/tests/,$(UNIT_LONG)),$(TEST_BIN))
tests: $(TEST_BIN)
unit: $(TEST_BIN)
	@sh tests/run_units.sh $(JOBS) plain $(UNIT_ORDER)

it: $(PROGS)
	@set -e; for t in tests/it_*.sh; do [ -e "$$t" ] || continue; \
		echo "== $$t"; BUILD=$(BUILD) bash $$t; done

# The whole suite: plain build, then ASan+UBSan build, then valgrind.
# Builds use every core; the integration tests run one at a time (some
# measure time: a watchdog's gaps, a latency).
check: deps-test
	$(MAKE) -j$(JOBS) all tests
	$(MAKE) unit it
	$(MAKE) asan
	$(MAKE) valgrind
	@echo "check: all test suites passed"

ASAN_FLAGS := BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all"
asan: deps-test
	$(MAKE) $(ASAN_FLAGS) -j$(JOBS) all tests
	$(MAKE) $(ASAN_FLAGS) unit it

valgrind: deps-test $(TEST_BIN)
	@sh tests/run_units.sh $(JOBS) valgrind $(UNIT_ORDER)

$(BUILD)/pass_bench $(BUILD)/dbi_bench $(BUILD)/import_bench: $(BUILD)/%: bench/%.c $(BUILD)/libbackad.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(PKGS)) -o $@ $< \
		$(BUILD)/libbackad.a $(LDFLAGS) $(call pc_libs,$(PKGS)) -lm

# Fuzz targets (libFuzzer, clang): the config parser, the template renderer
# and the CSV import. `make fuzz FUZZ_SECONDS=600` runs each that long on a
# copy of its committed seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := config template csv
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-std=c11 -D_GNU_SOURCE -Isrc -DDATADIR='"$(DATADIR)"'
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard src/*.h)
	@scripts/install-deps fuzz
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) $(call pc_cflags,$(PKGS)) -o $@ $< $(LIB_SRC) $(call pc_libs,$(PKGS)) -lm

fuzz: $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf build-fuzz/corpus-$$t && cp -r tests/fuzz/corpus/$$t build-fuzz/corpus-$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
			build-fuzz/corpus-$$t tests/fuzz/corpus/$$t >build-fuzz/$$t.log 2>&1 || \
			{ tail -40 build-fuzz/$$t.log; exit 1; }; \
		tail -2 build-fuzz/$$t.log; done

# The full torture runs: kill -9 while delivering 5000 messages (e-mail and
# SMS), 50 times, with a second `backad --once` halfway; then two daemons on
# one PostgreSQL database, either killed 30 times, while referrals are
# committed beside them.
torture: deps-test all
	BUILD=$(BUILD) bash tests/torture.sh 5000 50
	BUILD=$(BUILD) bash tests/torture_pg.sh 5000 30

# Benchmarks (not part of check): docs/PERFORMANCE.md shows the figures.
deps-bench:
	@scripts/install-deps bench

bench: deps-bench all $(BUILD)/pass_bench $(BUILD)/dbi_bench $(BUILD)/import_bench
	@BUILD=$(BUILD) sh bench/run.sh
	@BUILD=$(BUILD) bash bench/pg.sh $(BENCH_PG_SIZES)

# PostgreSQL beside SQLite only (bench/pg.sh; BENCH_PG_SIZES="100000 1000000").
bench-pg: deps-bench deps-test all $(BUILD)/pass_bench
	@BUILD=$(BUILD) bash bench/pg.sh $(BENCH_PG_SIZES)

demo: deps all
	@sh scripts/demo $(BUILD)

# The configuration is root:backad 0640 when installed into the live system
# and group backad exists (the daemon
# reads it, others may not), and an edited one is never overwritten: the new
# example then goes next to it as backad.conf.dist. Installed into the live
# system (no DESTDIR) as root, the service user and its directories are
# created as the package would (systemd-sysusers, systemd-tmpfiles).
CONF      := $(DESTDIR)$(SYSCONFDIR)/backad/backad.conf
LIVE      := $(if $(DESTDIR),,$(shell [ "$$(id -u)" = 0 ] && echo yes))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/templates/sv \
		$(DESTDIR)$(SYSCONFDIR)/backad $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(LIBDIR)/sysusers.d $(DESTDIR)$(LIBDIR)/tmpfiles.d \
		$(DESTDIR)$(DOCDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 templates/sv/*.email templates/sv/*.sms $(DESTDIR)$(DATADIR)/templates/sv/
	install -m 0644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 systemd/backad.service $(DESTDIR)$(UNITDIR)/backad.service
	install -m 0644 systemd/backad-sync.service systemd/backad-sync.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 systemd/backad-web.socket systemd/backad-web.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 systemd/backad.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/backad.conf
	install -m 0644 systemd/backad.tmpfiles $(DESTDIR)$(LIBDIR)/tmpfiles.d/backad.conf
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	for l in $(LINGUAS); do install -D -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/backad.mo \
		$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/backad.mo; done
	$(if $(LIVE),systemd-sysusers backad.conf && systemd-tmpfiles --create backad.conf)
	@grp=; if [ -n "$(LIVE)" ] && getent group backad >/dev/null; then grp="-g backad"; fi; \
	if [ -e $(CONF) ]; then \
		echo "keeping the existing $(CONF); the new example is $(CONF).dist"; \
		install -m 0640 $$grp etc/backad.conf $(CONF).dist; \
	else \
		echo "install -m 0640 $$grp etc/backad.conf $(CONF)"; \
		install -m 0640 $$grp etc/backad.conf $(CONF); \
	fi

deb: $(DEB)

$(DEB): $(shell git ls-files -co --exclude-standard 2>/dev/null)
	@scripts/install-deps deb
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -co --exclude-standard -z | xargs -0 cp -P --parents -t build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }
	lintian --fail-on error,warning $(DEB)
	@echo "built $(DEB), lintian clean"

clean:
	rm -rf build build-asan build-fuzz
