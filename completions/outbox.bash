# bash completion for outbox(1)                         -*- shell-script -*-

# The configuration file the command line names (-C FILE, --config=FILE),
# else the first user file that exists.
_outbox_config()
{
	local f cfg="" i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-C|--config)
			# "--config=FILE" arrives as "--config" "=" "FILE" when
			# "=" is in COMP_WORDBREAKS.
			if [[ ${COMP_WORDS[i+1]} == = ]]; then
				cfg=${COMP_WORDS[i+2]}
			else
				cfg=${COMP_WORDS[i+1]}
			fi ;;
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
	[[ -r $cfg ]] && printf '%s\n' "$cfg"
}

# Account names: the "account NAME {" lines of the configuration.
_outbox_accounts()
{
	local cfg
	cfg=$(_outbox_config) || return
	[[ -n $cfg ]] || return
	sed -n 's/^[[:space:]]*account[[:space:]]\{1,\}\([^[:space:]{]\{1,\}\).*/\1/p' \
	    "$cfg" 2>/dev/null
}

# Alias names: the "alias NAME addr..." lines of the configuration.
_outbox_aliases()
{
	local cfg
	cfg=$(_outbox_config) || return
	[[ -n $cfg ]] || return
	sed -n 's/^[[:space:]]*alias[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' \
	    "$cfg" 2>/dev/null
}

# _outbox_value OPT CUR: fills COMPREPLY with the values of OPT that
# start with CUR; 1 when OPT takes no value.
_outbox_value()
{
	case $1 in
	-a|--attach|-C|--config|--html|--inline)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$2")) ;;
	-A|--account)
		COMPREPLY=($(compgen -W "$(_outbox_accounts)" -- "$2")) ;;
	--charset|--attach-charset)
		COMPREPLY=($(compgen -W "UTF-8 GB18030 GBK GB2312 BIG5 \
		    ISO-8859-1 ISO-8859-15 WINDOWS-1252 SHIFT_JIS EUC-JP \
		    EUC-KR KOI8-R" -- "$2")) ;;
	--dsn)
		COMPREPLY=($(compgen -W "never success,failure,delay \
		    success failure delay failure,delay" -- "$2")) ;;
	--dsn-return)
		COMPREPLY=($(compgen -W "full headers" -- "$2")) ;;
	--queue-drop|--queue-retry)
		COMPREPLY=($(compgen -W "$(outbox --queue-list 2>/dev/null |
		    sed -n 's/^\([0-9]\{8\}T[0-9]\{6\}-[0-9a-f]\{8\}\) .*/\1/p')" \
		    -- "$2")) ;;
	-c|--cc|-b|--bcc)
		COMPREPLY=($(compgen -W "$(_outbox_aliases)" -- "$2")) ;;
	-s|--subject|-r|--from|-H|--header|--reply-to)
		;;
	*)
		return 1 ;;
	esac
	return 0
}

_outbox()
{
	local word=${2-${COMP_WORDS[COMP_CWORD]}} prev tok opt val pre i
	COMPREPLY=()
	# The word as typed, whatever COMP_WORDBREAKS holds.
	if [[ -n ${COMP_LINE+set} ]]; then
		tok=${COMP_LINE:0:COMP_POINT}
		tok=${tok##*[[:space:]]}
	else
		tok=$word
	fi

	# "--opt=VALUE": readline's word is VALUE when "=" breaks words,
	# else all of "--opt=VALUE"; the replies must match it.
	if [[ $tok == --*=* ]]; then
		opt=${tok%%=*}
		val=${tok#*=}
		_outbox_value "$opt" "$val" || return 0
		pre=${word%"$val"}
		if [[ -n $pre ]]; then
			for i in "${!COMPREPLY[@]}"; do
				COMPREPLY[i]=$pre${COMPREPLY[i]}
			done
		fi
		return 0
	fi

	prev=${COMP_WORDS[COMP_CWORD-1]}
	# --html takes its file only as --html=FILE: "--html FILE" means
	# the body is HTML and FILE is a recipient.
	if [[ $prev != --html ]] && _outbox_value "$prev" "$word"; then
		return 0
	fi

	if [[ $word == -* ]]; then
		COMPREPLY=($(compgen -W "-s --subject -c --cc -b --bcc -a --attach
		    --attach-charset -r --from -A --account -C --config -H --header
		    --charset -n --no-system-config --dry-run -E --skip-empty -v --verbose
		    --json
		    --html --html= --inline --reply-to --dsn --dsn-return
		    --dsn-required --queue --flush --now --queue-list --failed
		    --queue-drop --queue-retry --oauth2-login --check
		    --fetch --list --delete --keep
		    -h --help -V --version --sendmail --" -- "$word"))
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] &&
		    compopt -o nospace 2>/dev/null
		return 0
	fi
	# Recipients: the aliases of the configuration.
	COMPREPLY=($(compgen -W "$(_outbox_aliases)" -- "$word"))
}
complete -F _outbox outbox
