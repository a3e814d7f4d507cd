#!/usr/bin/env bats
# The documentation keeps up with the code: every long option of the
# command line is in the manual, each completion and --help; every
# configuration key is in config.example and outboxrc(5); the pages are
# lint-clean and the completions parse.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	TOP="$BATS_TEST_DIRNAME/.."
	OUTBOX="${OUTBOX:-$BATS_TEST_DIRNAME/../outbox}"
}

# The long options: the { "name", entries of cli.c's struct option table.
long_options() {
	sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z][a-z0-9-]*\)",.*/\1/p' \
	    "$TOP/src/cli.c" | sort -u
}

# The configuration keys: the { KT_TYPE, "key", entries of the table in
# config.c that holds "smtp" (other tables, of enum names, are left out).
config_keys() {
	awk '
	/\[[^]]*\][[:space:]]*=[[:space:]]*\{/ { inblk = 1; blk = ""; has = 0; next }
	inblk && /^[[:space:]]*\};/ { if (has) printf "%s", blk; inblk = 0; next }
	inblk && match($0, /^[[:space:]]*\{[[:space:]]*KT_[A-Z]+,[[:space:]]*"[a-z][a-z0-9-]*",/) {
		s = substr($0, RSTART, RLENGTH)
		sub(/^[[:space:]]*\{[[:space:]]*KT_[A-Z]+,[[:space:]]*"/, "", s); sub(/",$/, "", s)
		blk = blk s "\n"
		if (s == "smtp") has = 1
	}' "$TOP/src/config.c" | sort -u
}

# Prints each name in list ($1) for which the command ($2...) fails.
missing() {
	local list=$1 name out=""
	shift
	for name in $list; do
		"$@" "$name" || out="$out $name"
	done
	echo "${out# }"
}

in_man1()   { grep -qE "Fl Fl $1( |$)" "$TOP/man/outbox.1"; }
in_bash()   { grep -qE -- "--$1([^a-z0-9-]|$)" "$TOP/completions/outbox.bash"; }
in_zsh()    { grep -qE -- "--$1([^a-z0-9-]|$)" "$TOP/completions/_outbox"; }
in_fish()   { grep -qE -- "-l $1( |$)" "$TOP/completions/outbox.fish"; }
in_help()   { grep -qE -- "--$1([^a-z0-9-]|$)" "$BATS_TEST_TMPDIR/help"; }
# A key in config.example: a "set key", "unset key" or "key=" line, maybe
# commented out.
in_example() {
	grep -qE "^[[:space:]]*#?[[:space:]]*((un)?set[[:space:]]+)?$1([[:space:]]*=|[[:space:]]*\$)" \
	    "$TOP/config.example"
}
# A key in outboxrc(5): an argument of a macro line (.It Cm key, .Ic ...).
in_man5() { grep -qE "^\.[A-Z][a-z].*[[:space:]]$1([[:space:]=]|$)" "$TOP/man/outboxrc.5"; }

@test "cli.c has a long option table" {
	run long_options
	assert_success
	[ "${#lines[@]}" -ge 10 ] || fail "only ${#lines[@]} long options found in src/cli.c"
}

@test "every long option is in outbox.1" {
	run missing "$(long_options)" in_man1
	assert_output ""
}

@test "every long option is in the bash completion" {
	run missing "$(long_options)" in_bash
	assert_output ""
}

@test "every long option is in the zsh completion" {
	run missing "$(long_options)" in_zsh
	assert_output ""
}

@test "every long option is in the fish completion" {
	run missing "$(long_options)" in_fish
	assert_output ""
}

@test "every long option is in outbox --help" {
	[ -x "$OUTBOX" ] || skip "no binary at $OUTBOX"
	"$OUTBOX" --help >"$BATS_TEST_TMPDIR/help" 2>&1 || true
	run missing "$(long_options)" in_help
	assert_output ""
}

@test "config.c has a key table" {
	[ -f "$TOP/src/config.c" ] || fail "no src/config.c"
	run config_keys
	assert_success
	[ "${#lines[@]}" -ge 10 ] ||
	    fail "only ${#lines[@]} keys found in src/config.c (want { KT_TYPE, \"key\", entries)"
}

@test "every config key is in config.example" {
	[ -f "$TOP/config.example" ] || fail "no config.example"
	run missing "$(config_keys)" in_example
	assert_output ""
}

@test "every config key is in outboxrc.5" {
	[ -f "$TOP/man/outboxrc.5" ] || fail "no man/outboxrc.5"
	run missing "$(config_keys)" in_man5
	assert_output ""
}

@test "mandoc -Tlint is clean for outbox.1" {
	run mandoc -Tlint -W warning "$TOP/man/outbox.1"
	assert_success
	assert_output ""
}

@test "mandoc -Tlint is clean for outboxrc.5" {
	[ -f "$TOP/man/outboxrc.5" ] || fail "no man/outboxrc.5"
	run mandoc -Tlint -W warning "$TOP/man/outboxrc.5"
	assert_success
	assert_output ""
}

@test "the bash completion parses and completes" {
	run bash -n "$TOP/completions/outbox.bash"
	assert_success
	run bash -c 'source "$1"; COMP_WORDS=(outbox --dry); COMP_CWORD=1; _outbox;
	    echo "${COMPREPLY[*]}"' _ "$TOP/completions/outbox.bash"
	assert_output "--dry-run"
}

@test "the bash completion offers account names" {
	mkdir -p "$BATS_TEST_TMPDIR/home"
	printf 'set from=a@example.org\naccount work {\n}\naccount home{\n}\n' \
	    >"$BATS_TEST_TMPDIR/home/.outboxrc"
	run env -u OUTBOXRC -u XDG_CONFIG_HOME HOME="$BATS_TEST_TMPDIR/home" \
	    bash -c 'source "$1"; COMP_WORDS=(outbox -A ""); COMP_CWORD=2;
	    _outbox; echo "${COMPREPLY[*]}"' _ "$TOP/completions/outbox.bash"
	assert_output "work home"
}

@test "the zsh completion parses" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -n "$TOP/completions/_outbox"
	assert_success
}

@test "the fish completion parses" {
	command -v fish >/dev/null || skip "fish is not installed"
	run fish -n "$TOP/completions/outbox.fish"
	assert_success
}
