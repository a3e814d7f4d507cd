# outbox — GNU make, no recursion, one source a line.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SBINDIR ?= $(PREFIX)/sbin
# Where install-sendmail-link puts the sendmail link (the system's is
# /usr/sbin/sendmail); a plain install never touches it.
SENDMAIL_LINK ?= $(SBINDIR)/sendmail
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# install-systemd: the units, and the system maildrop (the same path as
# MAILDROP_DIR in src/maildrop.h).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MAILDROPDIR ?= /var/spool/outbox-maildrop
SYSTEMD_UNITS = outbox-flush.service outbox-flush.timer outbox-flush.path

PKG_CONFIG ?= pkg-config
DEPS = openssl libbsd-overlay jansson
# Not linked, only their headers used: src/oauth2.c dlopen()s libcurl.so.4
# for an OAuth2 request, src/filetype.c libmagic.so.1 in its child for
# attachments, src/idn.c libidn2.so.0 for a non-ASCII domain (src/dynlib.c),
# so a run loads no library it does not use (-ldl is in glibc >= 2.34).
DLDEPS = libcurl libmagic libidn2
DL_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DLDEPS) 2>/dev/null)
DLLIBS ?= -ldl

CFLAGS ?= -O2 -g
WARNFLAGS = -std=c11 -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wcast-qual -Wformat=2
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
DEPCFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null) \
	$(DL_CFLAGS)
DEPLIBS := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null) $(DLLIBS)
ALL_CFLAGS = -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS $(WARNFLAGS) $(DEPCFLAGS) $(CFLAGS)

SRCS = \
	src/address.c \
	src/atomic.c \
	src/check.c \
	src/cli.c \
	src/config.c \
	src/conn.c \
	src/credentials.c \
	src/deliver.c \
	src/dynlib.c \
	src/encode.c \
	src/failure.c \
	src/fetch.c \
	src/filetype.c \
	src/hint.c \
	src/html.c \
	src/idn.c \
	src/log.c \
	src/maildrop.c \
	src/mailx.c \
	src/message.c \
	src/mime.c \
	src/net.c \
	src/oauth2.c \
	src/oauth2login.c \
	src/pop3.c \
	src/pop3acct.c \
	src/queue.c \
	src/queuecmd.c \
	src/recipients.c \
	src/report.c \
	src/sasl.c \
	src/sendlog.c \
	src/sendmail.c \
	src/sendmail_msg.c \
	src/smtp.c \
	src/smtp_reply.c \
	src/spool.c \
	src/tls.c \
	src/xmalloc.c

# B: where objects and binaries go (default: in the tree).  Parallel
# builds of one checkout use separate B=/tmp/dir; tests then take
# OUTBOX=$(B)/outbox.
B ?= .
OBJS = $(SRCS:%.c=$(B)/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:%.c=$(B)/%)

all: $(B)/outbox

ifneq ($(B),.)
outbox: $(B)/outbox
endif

$(B)/outbox: $(OBJS) $(B)/src/main.o
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(B)/src/main.o $(DEPLIBS)

$(B)/src/%.o: src/%.c src/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/unit/test_%: tests/unit/test_%.c tests/unit/tap.h $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(OBJS) $(DEPLIBS)

# The dependency step: installs what is missing from Debian's packages.
deps:
	@sh tests/deps.sh

# Unit tests first, then the command-line suites against real servers.
test check: deps
	$(MAKE) WERROR=1 outbox unit-bins
	$(MAKE) run-tests

run-tests:
	@for t in $(UNIT_BINS); do echo "# $$t"; $$t || exit 1; done
	OUTBOX=$(abspath $(B)/outbox) bats tests

unit-bins: $(UNIT_BINS)

# The same suite built with AddressSanitizer and UBSan.
# Built apart (B=build/sanitize) so its objects never mix with a plain build.
SAN_B = $(B)/build/sanitize
sanitize: deps
	$(MAKE) B=$(SAN_B) WERROR=1 SANITIZE=1 outbox unit-bins
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) B=$(SAN_B) SANITIZE=1 run-tests

demo: deps
	$(MAKE) WERROR=1 outbox
	sh tests/demo.sh

bench: deps
	$(MAKE) outbox
	sh tests/bench/run.sh

# Fuzzing: each tests/fuzz/fuzz_NAME.c is a libFuzzer harness linked with
# the project's objects (not main.c), all built with clang and the
# sanitizers into FUZZ_B.  Each runs FUZZ_SECONDS over its seeds in
# tests/fuzz/corpus/NAME (with tests/fuzz/NAME.dict, when there is one,
# as its dictionary); what it finds goes to FUZZ_B/corpus/NAME, its
# log to FUZZ_B/fuzz-NAME.log, a crash to FUZZ_B/crash-NAME-*.
# fuzz-smoke: 30 s each unless FUZZ_SECONDS is given.
FUZZ_B = $(B)/build/fuzz
FUZZ_SMOKE_SECONDS := $(or $(FUZZ_SECONDS),30)
FUZZ_SECONDS ?= 300
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LOG = $(FUZZ_B)/fuzz-$$n.log
FUZZ_SEED_ARG = $(if $(FUZZ_SEED),-seed=$(FUZZ_SEED))

$(B)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c \
    tests/fuzz/fuzz.h $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    tests/fuzz/fuzz.c $(OBJS) $(DEPLIBS)

fuzz-bins: $(FUZZ_NAMES:%=$(B)/tests/fuzz/fuzz_%)

fuzz: deps
	$(MAKE) B=$(FUZZ_B) CC=clang LDFLAGS="$(FUZZ_SAN)" \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
	    -fsanitize=fuzzer-no-link" fuzz-bins
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_B)/corpus/$$n; echo "# fuzz $$n"; dict=; \
		[ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		$(FUZZ_B)/tests/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) \
		    -timeout=20 -print_final_stats=1 $$dict $(FUZZ_SEED_ARG) \
		    -artifact_prefix=$(FUZZ_B)/crash-$$n- \
		    $(FUZZ_B)/corpus/$$n tests/fuzz/corpus/$$n \
		    >$(FUZZ_LOG) 2>&1; rc=$$?; \
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' \
		    $(FUZZ_LOG); \
		[ $$rc = 0 ] || { tail -n 40 $(FUZZ_LOG); exit 1; }; \
	done

# CI's smoke run starts from a fixed seed, so a run repeats what the
# last one explored instead of failing a submission on a fresh find.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_SEED=1

BANNED = gets strcpy strcat sprintf vsprintf strncpy strtok atoi atol \
	tmpnam mktemp rand srand lrand48 system
lint: deps
	@bad=0; for f in $(BANNED); do \
		if grep -nE "(^|[^_a-z0-9])$$f\(" src/*.c src/*.h; then \
			echo "lint: banned function $$f"; bad=1; fi; \
	done; [ $$bad = 0 ]
	mandoc -Tlint -W warning man/outbox.1 man/outboxrc.5
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Isrc src
	@# The clang static analyzer over a build of its own, in a
	@# temporary B= so no object of it mixes with the tree's: zero reports.
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/outbox-lint.XXXXXX") || exit 1; \
	scan-build --status-bugs -o "$$d/report" \
		$(MAKE) -s B="$$d/b" outbox >"$$d/log" 2>&1; rc=$$?; \
	grep -E 'warning:|bugs? found' "$$d/log"; rm -rf "$$d"; \
	[ $$rc = 0 ] || { echo "lint: scan-build found bugs"; exit 1; }

install: $(B)/outbox
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(B)/outbox $(DESTDIR)$(BINDIR)/outbox
	install -m 0644 man/outbox.1 $(DESTDIR)$(MANDIR)/man1/outbox.1
	install -m 0644 man/outboxrc.5 $(DESTDIR)$(MANDIR)/man5/outboxrc.5
	install -m 0644 completions/outbox.bash $(DESTDIR)$(BASHCOMPDIR)/outbox
	install -m 0644 completions/_outbox $(DESTDIR)$(ZSHCOMPDIR)/_outbox
	install -m 0644 completions/outbox.fish $(DESTDIR)$(FISHCOMPDIR)/outbox.fish

# The sendmail drop-in: a link named sendmail to outbox.  An existing
# sendmail that is not this link is left alone unless FORCE=1.
install-sendmail-link:
	@l=$(DESTDIR)$(SENDMAIL_LINK); \
	if { [ -e "$$l" ] || [ -L "$$l" ]; } && \
	    [ "$$(readlink "$$l")" != "$(BINDIR)/outbox" ] && \
	    [ "$(FORCE)" != 1 ]; then \
		echo "$$l exists and is not a link to $(BINDIR)/outbox;" \
		    "move it away or run with FORCE=1" >&2; exit 1; \
	fi; \
	install -d "$$(dirname "$$l")" && ln -sfn $(BINDIR)/outbox "$$l"

uninstall-sendmail-link:
	@l=$(DESTDIR)$(SENDMAIL_LINK); \
	if [ "$$(readlink "$$l")" = "$(BINDIR)/outbox" ]; then rm -f "$$l"; fi

# The flush as a system service for every local user (MULTI-USER in
# outbox(1)): the units with BINDIR and MAILDROPDIR filled in, and the
# maildrop (1733).  Enable with
# "systemctl enable --now outbox-flush.timer outbox-flush.path".
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(SYSTEMD_UNITS); do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' \
		    -e 's|@MAILDROPDIR@|$(MAILDROPDIR)|g' \
		    contrib/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp \
		    $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -d -m 1733 $(DESTDIR)$(MAILDROPDIR)

uninstall-systemd:
	for u in $(SYSTEMD_UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/outbox $(DESTDIR)$(MANDIR)/man1/outbox.1 \
		$(DESTDIR)$(MANDIR)/man5/outboxrc.5 \
		$(DESTDIR)$(BASHCOMPDIR)/outbox $(DESTDIR)$(ZSHCOMPDIR)/_outbox \
		$(DESTDIR)$(FISHCOMPDIR)/outbox.fish

clean:
	rm -f $(OBJS) $(B)/src/main.o $(B)/outbox $(UNIT_BINS)
	rm -rf build

.PHONY: all deps test check run-tests unit-bins sanitize demo bench lint \
	fuzz fuzz-smoke fuzz-bins \
	install uninstall clean install-sendmail-link uninstall-sendmail-link \
	install-systemd uninstall-systemd
