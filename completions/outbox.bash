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
	-a|--attach|-C|--config|--html|--inline)
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
	--dsn)
		COMPREPLY=($(compgen -W "never success,failure,delay \
		    success failure delay failure,delay" -- "$cur"))
		return ;;
	--dsn-return)
		COMPREPLY=($(compgen -W "full headers" -- "$cur"))
		return ;;
	--queue-drop)
		COMPREPLY=($(compgen -W "$(outbox --queue-list 2>/dev/null |
		    sed -n 's/^\([0-9]\{8\}T[0-9]\{6\}-[0-9a-f]\{8\}\) .*/\1/p')" \
		    -- "$cur"))
		return ;;
	-s|--subject|-c|--cc|-b|--bcc|-r|--from|-H|--header|--reply-to)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-s --subject -c --cc -b --bcc -a --attach
		    -r --from -A --account -C --config -H --header --charset
		    -n --no-system-config --dry-run -v --verbose --json
		    --html --inline --reply-to --dsn --dsn-return --dsn-required
		    --queue --flush --now --queue-list --queue-drop --check
		    -h --help -V --version --sendmail --" -- "$cur"))
		return
	fi
}
complete -F _outbox outbox
