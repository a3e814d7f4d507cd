#!/usr/bin/env bats
# completions.bats — what the bash and fish completions offer: files for
# --html=FILE and --config=FILE whether or not "=" breaks words, nothing
# for "--html FILE" (that form takes no separate argument), recipients
# from the configuration's aliases, charsets for --attach-charset.
#
# bash: _outbox is called as bash's programmable completion calls it,
# with COMP_WORDS split the way readline splits them (with the default
# COMP_WORDBREAKS "=" is a word of its own) and $2 the text readline
# replaces.  fish: "complete -C" on the command line.  zsh: an
# interactive zsh on a pty (zsh/zpty) with compinit and completions/ on
# fpath; LINE, Tab, then Ctrl-A and "print -r -- MARK " show the line as
# completed (a unique match is inserted).

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	TOP="$BATS_TEST_DIRNAME/.."
	export HOME="$BATS_TEST_TMPDIR/home"
	unset OUTBOXRC XDG_CONFIG_HOME
	mkdir -p "$HOME" "$BATS_TEST_TMPDIR/wd"
	cd "$BATS_TEST_TMPDIR/wd"
	touch report.html rep2.html other.txt
	printf 'set from=a@example.org\nalias ops a@example.org, b@example.org\nalias team c@example.org\naccount work {\n}\n' \
	    >"$HOME/.outboxrc"
	printf 'alias other x@example.org\n' >rc2
}

# bash_complete LINE WORD COMP_WORD...: the replies, one a line.
bash_complete() {
	bash --norc --noprofile -c '
		source "$1" || exit 1
		COMP_LINE=$2 COMP_POINT=${#2} word=$3
		shift 3
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		_outbox outbox "$word" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
	    _ "$TOP/completions/outbox.bash" "$@"
}

fish_complete() {
	fish --no-config -c "source '$TOP/completions/outbox.fish'; complete -C '$1'" |
	    cut -f1 | sort
}

# zsh_complete LINE: LINE after Tab, as zsh completed it.
zsh_complete() {
	cat >"$BATS_TEST_TMPDIR/zc.zsh" <<'ZSH'
zmodload zsh/zpty
zpty z env HOME="$HOME" zsh -f -i
zpty -w z "fpath=($1/completions \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w -n z "$2"$'\t'$'\x01''print -r -- MARK '$'\n'
out=
integer i
# At most 10 s for the shell to start, complete and print.
for ((i = 0; i < 200; i++)); do
	zpty -r -t z chunk && out+=$chunk
	# A line that starts with MARK, ended (the echoed input has it
	# after the prompt).
	[[ $out == *$'\n'MARK\ *$'\n'* ]] && break
	sleep 0.05
done
zpty -d z
print -r -- ${${${(M)${(f)out}:#MARK *}[-1]}#MARK }
ZSH
	timeout 30 zsh -f "$BATS_TEST_TMPDIR/zc.zsh" "$TOP" "$1" | tr -d '\r'
}

@test "bash: --html=FILE completes files, with or without = in COMP_WORDBREAKS" {
	run bash_complete 'outbox --html=rep' rep outbox --html = rep
	assert_output $'rep2.html\nreport.html'
	run bash_complete 'outbox --html=rep' --html=rep outbox --html=rep
	assert_output $'--html=rep2.html\n--html=report.html'
	run bash_complete 'outbox --html=' '' outbox --html =
	assert_line report.html
	assert_line other.txt
	run bash_complete 'outbox -s x --config=r' r outbox -s x --config = r
	assert_output $'rc2\nrep2.html\nreport.html'
	run bash_complete 'outbox --config=r' --config=r outbox --config=r
	assert_output $'--config=rc2\n--config=rep2.html\n--config=report.html'
}

@test "bash: no file after '--html ' (the body is HTML; a recipient follows)" {
	run bash_complete 'outbox --html o' o outbox --html o
	assert_output 'ops'
	run bash_complete 'outbox --html ' '' outbox --html ''
	refute_line report.html
	assert_line ops
	assert_line team
	# -C and -a still take a file as the next word.
	run bash_complete 'outbox -C rep' rep outbox -C rep
	assert_output $'rep2.html\nreport.html'
}

@test "bash: recipients, -c and -b complete from the config's aliases" {
	run bash_complete 'outbox -s x t' t outbox -s x t
	assert_output team
	run bash_complete 'outbox -c o' o outbox -c o
	assert_output ops
	# The config named on the command line is the one read.
	run bash_complete 'outbox --config=rc2 o' o outbox --config = rc2 o
	assert_output other
	run bash_complete 'outbox -C rc2 o' o outbox -C rc2 o
	assert_output other
	run bash_complete 'outbox -A w' w outbox -A w
	assert_output work
}

@test "bash: --attach-charset completes charsets, and is an option" {
	run bash_complete 'outbox --attach-charset GB' GB outbox --attach-charset GB
	assert_output $'GB18030\nGB2312\nGBK'
	run bash_complete 'outbox --att' --att outbox --att
	assert_output $'--attach\n--attach-charset'
}

@test "fish: --html=FILE and --config=FILE complete files; '--html ' does not" {
	run fish_complete 'outbox --html=rep'
	assert_output $'--html=rep2.html\n--html=report.html'
	run fish_complete 'outbox --config=rep'
	assert_output $'--config=rep2.html\n--config=report.html'
	run fish_complete 'outbox --html '
	refute_line report.html
	refute_line other.txt
	assert_line ops
}

@test "fish: recipients, -c and -b complete from the config's aliases" {
	run fish_complete 'outbox -s x t'
	assert_output team
	run fish_complete 'outbox -c o'
	assert_output ops
	run fish_complete 'outbox -C rc2 o'
	assert_output other
	run fish_complete 'outbox --attach-charset GB'
	assert_output $'GB18030\nGB2312\nGBK'
}

@test "zsh: --html=FILE and --config=FILE, nothing after '--html ', aliases" {
	printf 'x\n' >unique.html
	run zsh_complete 'outbox --html=uni'
	assert_output 'outbox --html=unique.html'
	run zsh_complete 'outbox --config=rc2 o'
	assert_output 'outbox --config=rc2 other'
	run zsh_complete 'outbox -s x t'
	assert_output 'outbox -s x team'
	run zsh_complete 'outbox -c o'
	assert_output 'outbox -c ops'
	run zsh_complete 'outbox --html uni'
	assert_output 'outbox --html uni'
	run zsh_complete 'outbox --attach-charset GB1'
	assert_output 'outbox --attach-charset GB18030'
}
