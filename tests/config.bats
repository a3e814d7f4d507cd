#!/usr/bin/env bats
# The configuration as the real binary sees it: file:line errors and exit
# status 78, the permission rule, the lookup order of the rc files, -n,
# accounts chosen with -A, and config.example.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	OUTBOX="${OUTBOX:-$BATS_TEST_DIRNAME/../outbox}"
	TOP="$BATS_TEST_DIRNAME/.."
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	chmod 700 "$HOME"
	unset OUTBOXRC XDG_CONFIG_HOME
	export OUTBOX_SYSTEM_RC="$BATS_TEST_TMPDIR/system.rc"
	printf 'set from="System <system@example.org>"\n' >"$OUTBOX_SYSTEM_RC"
	[ -x "$OUTBOX" ] || fail "no outbox binary at $OUTBOX (set OUTBOX)"
}

# Writes stdin to file $1 with mode 0600.
rc() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
	chmod 600 "$1"
}

# A dry run to one recipient; the config decides the From header.
dry() {
	run timeout 20 "$OUTBOX" "$@" --dry-run rcpt@example.org </dev/null
}

# Exit 78 with exactly one stderr line starting "outbox: " and holding $1.
assert_config_error() {
	assert_equal "$status" 78
	[ "${#lines[@]}" -eq 1 ] || fail "want one line, got: $output"
	assert_output --partial "$1"
	[[ "$output" == "outbox: "* ]] || fail "not prefixed outbox:: $output"
}

@test "syntax error: 78 naming file:line" {
	rc "$HOME/.outboxrc" <<-'EOF'
	# a comment
	set from="Alice <alice@example.org>"
	set smtp-user="unterminated
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$HOME/.outboxrc:3: unbalanced quote"
}

@test "unknown key: 78 naming file:line and the key" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set smpt=smtp.example.org
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$HOME/.outboxrc:1: unknown key \"smpt\""
}

@test "unknown key: did you mean the nearest known key" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set smpt=smtp.example.org
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$HOME/.outboxrc:1: unknown key \"smpt\" (did you mean \"smtp\"?)"
}

@test "unterminated account block: 78" {
	rc "$HOME/.outboxrc" <<-'EOF'
	account work {
	set from=a@work.example
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$HOME/.outboxrc:1: account \"work\" is not closed"
}

@test "password in the smtp URL: 78, password not echoed" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set smtp=smtps://alice:hunter2@smtp.example.org
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "smtp-password-cmd"
	refute_output --partial hunter2
}

@test "a 0644 file holding smtp-password: 78, says chmod 600" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from=alice@example.org
	set smtp-password=hunter2
	EOF
	chmod 644 "$HOME/.outboxrc"
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "chmod 600 $HOME/.outboxrc"
	refute_output --partial hunter2
}

@test "a 0600 file holding smtp-password loads" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from=alice@example.org
	set smtp-password=hunter2
	EOF
	dry
	assert_success
	refute_output --partial hunter2
}

@test "a 0644 system file holding smtp-password: 78" {
	printf 'set smtp-password=hunter2\n' >"$OUTBOX_SYSTEM_RC"
	chmod 644 "$OUTBOX_SYSTEM_RC"
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$OUTBOX_SYSTEM_RC: holds smtp-password"
}

@test "lookup: ~/.outboxrc is used, over the system file" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from=home@example.org
	EOF
	dry
	assert_success
	assert_line --regexp '^From: .*home@example\.org'
	refute_output --partial system@example.org
}

@test "lookup: XDG beats ~/.outboxrc" {
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg"
	echo 'set from=home@example.org' | rc "$HOME/.outboxrc"
	echo 'set from=xdg@example.org' | rc "$XDG_CONFIG_HOME/outbox/outboxrc"
	dry
	assert_success
	assert_line --regexp '^From: .*xdg@example\.org'
}

@test "lookup: ~/.config/outbox/outboxrc without XDG_CONFIG_HOME" {
	echo 'set from=home@example.org' | rc "$HOME/.outboxrc"
	echo 'set from=dotconfig@example.org' | rc "$HOME/.config/outbox/outboxrc"
	dry
	assert_success
	assert_line --regexp '^From: .*dotconfig@example\.org'
}

@test "lookup: OUTBOXRC beats XDG" {
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg"
	echo 'set from=xdg@example.org' | rc "$XDG_CONFIG_HOME/outbox/outboxrc"
	export OUTBOXRC="$BATS_TEST_TMPDIR/env.rc"
	echo 'set from=env@example.org' | rc "$OUTBOXRC"
	dry
	assert_success
	assert_line --regexp '^From: .*env@example\.org'
}

@test "lookup: -C beats OUTBOXRC" {
	export OUTBOXRC="$BATS_TEST_TMPDIR/env.rc"
	echo 'set from=env@example.org' | rc "$OUTBOXRC"
	echo 'set from=explicit@example.org' | rc "$BATS_TEST_TMPDIR/c.rc"
	dry -C "$BATS_TEST_TMPDIR/c.rc"
	assert_success
	assert_line --regexp '^From: .*explicit@example\.org'
}

@test "lookup: -C with a missing file: 78" {
	run --separate-stderr timeout 20 "$OUTBOX" -C "$BATS_TEST_TMPDIR/none.rc" \
	    --dry-run x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "$BATS_TEST_TMPDIR/none.rc"
}

@test "the system file alone sets From" {
	dry
	assert_success
	assert_line --regexp '^From: .*system@example\.org'
}

@test "-n skips the system file" {
	printf 'set from=system@example.org\nset bogus=1\n' >"$OUTBOX_SYSTEM_RC"
	echo 'set default-domain=example.org' | rc "$HOME/.outboxrc"
	run timeout 20 "$OUTBOX" -n -r user@example.org --dry-run \
	    rcpt@example.org </dev/null
	assert_success
	refute_output --partial system@example.org
}

@test "a user file setting wins over the system file, the rest is kept" {
	printf 'set from=system@example.org\nset default-domain=example.net\n' \
	    >"$OUTBOX_SYSTEM_RC"
	echo 'set from=home@example.org' | rc "$HOME/.outboxrc"
	run timeout 20 "$OUTBOX" --dry-run root </dev/null
	assert_success
	assert_line --regexp '^From: .*home@example\.org'
	assert_line --regexp '^To: .*root@example\.net'
}

@test "-A selects an account, which changes From" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from="Top <top@example.org>"
	account work {
		set from="Worker <me@work.example>"
	}
	EOF
	dry
	assert_success
	assert_line --regexp '^From: .*top@example\.org'
	dry -A work
	assert_success
	assert_line --regexp '^From: .*me@work\.example'
	refute_output --partial top@example.org
}

@test "-A with an unknown account: 78" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from=top@example.org
	account work {
	set from=me@work.example
	}
	EOF
	run --separate-stderr timeout 20 "$OUTBOX" -A nosuch --dry-run \
	    x@example.org </dev/null
	output=$stderr lines=("${stderr_lines[@]}")
	assert_config_error "nosuch"
}

@test "an alias expands to its addresses" {
	rc "$HOME/.outboxrc" <<-'EOF'
	set from=top@example.org
	alias ops admin@example.org, oncall@example.org
	EOF
	run timeout 20 "$OUTBOX" --dry-run ops </dev/null
	assert_success
	assert_output --partial admin@example.org
	assert_output --partial oncall@example.org
}

@test "config.example loads" {
	run timeout 20 "$OUTBOX" -n -C "$TOP/config.example" --dry-run \
	    x@example.org </dev/null
	assert_success
	assert_line --regexp '^From: .*alice@example\.org'
}
