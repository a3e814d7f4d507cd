# bash completion for outbox(1)                         -*- shell-script -*-

# Account names: the "account NAME {" lines of the user's configuration.
_outbox_accounts()
{
	local f cfg="" i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-C|--config) cfg=${COMP_WORDS[i+1]} ;;
		--config=*) cfg=${COMP_WORDS[i]#--config=} ;;
		esac
	done
	if [[ -z $cfg ]]; then
		for f in "$OUTBOXRC" "${XDG_CONFIG_HOME:-$HOME/.config}/outbox/outboxrc" \
		    "$HOME/.outboxrc"; do
			[[ -n $f && -r $f ]] && { cfg=$f; break; }
		done
	fi
	cfg=${cfg/#\~/$HOME}
	[[ -r $cfg ]] || return
	sed -n 's/^[[:space:]]*account[[:space:]]\{1,\}\([^[:space:]{]\{1,\}\).*/\1/p' \
	    "$cfg" 2>/dev/null
}

_outbox()
{
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	-a|--attach|-C|--config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-A|--account)
		COMPREPLY=($(compgen -W "$(_outbox_accounts)" -- "$cur"))
		return ;;
	--charset)
		COMPREPLY=($(compgen -W "UTF-8 GB18030 GBK GB2312 BIG5 \
		    ISO-8859-1 ISO-8859-15 WINDOWS-1252 SHIFT_JIS EUC-JP \
		    EUC-KR KOI8-R" -- "$cur"))
		return ;;
	-s|--subject|-c|--cc|-b|--bcc|-r|--from|-H|--header)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-s --subject -c --cc -b --bcc -a --attach
		    -r --from -A --account -C --config -H --header --charset
		    -n --no-system-config --dry-run -v --verbose --json
		    -h --help -V --version --" -- "$cur"))
		return
	fi
}
complete -F _outbox outbox
