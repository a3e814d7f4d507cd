# fish completion for outbox(1)

# The configuration file the command line names, else the first user file.
function __outbox_config
    set -l cfg
    set -l tokens (commandline -opc)
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case -C --config
                set -l j (math $i + 1)
                if test $j -le (count $tokens)
                    set cfg $tokens[$j]
                end
            case '--config=*'
                set cfg (string replace -- '--config=' '' $tokens[$i])
        end
    end
    if test -z "$cfg"
        set -l xdg $XDG_CONFIG_HOME
        test -n "$xdg"; or set xdg $HOME/.config
        for f in "$OUTBOXRC" $xdg/outbox/outboxrc $HOME/.outboxrc
            if test -n "$f" -a -r "$f"
                set cfg $f
                break
            end
        end
    end
    set cfg (string replace -r '^~' $HOME -- $cfg)
    test -n "$cfg" -a -r "$cfg"; and echo $cfg
end

# Account names: the "account NAME {" lines of the configuration.
function __outbox_accounts
    set -l cfg (__outbox_config); or return
    string replace -rf '^\s*account\s+([^\s{]+).*' '$1' <$cfg
end

# Alias names: the "alias NAME addr..." lines of the configuration.
function __outbox_aliases
    set -l cfg (__outbox_config); or return
    string replace -rf '^\s*alias\s+(\S+).*' '$1' <$cfg
end

# The current token is "--html=...": complete the file after the "=".
# (--html takes its file only in that form; "--html FILE" means the body
# is HTML and FILE is a recipient, so --html alone completes nothing.)
function __outbox_html_eq
    string match -q -- '--html=*' (commandline -ct)
end

function __outbox_html_files
    set -l v (string replace -- '--html=' '' (commandline -ct))
    for f in (__fish_complete_path $v)
        echo -- "--html=$f"
    end
end

complete -c outbox -f
complete -c outbox -s s -l subject -x -d 'Subject of the message'
complete -c outbox -s c -l cc -x -a '(__outbox_aliases)' -d 'Carbon copy recipients (comma-separated)'
complete -c outbox -s b -l bcc -x -a '(__outbox_aliases)' -d 'Blind copy recipients, envelope only'
complete -c outbox -s a -l attach -r -F -d 'Attach a file'
complete -c outbox -l attach-charset -x -a 'UTF-8 GB18030 GBK GB2312 BIG5 ISO-8859-1 ISO-8859-15 WINDOWS-1252 SHIFT_JIS EUC-JP EUC-KR KOI8-R' -d 'Charset of the next -a file'
complete -c outbox -s r -l from -x -d 'Envelope sender and From header'
complete -c outbox -s A -l account -x -a '(__outbox_accounts)' -d 'Use an account block'
complete -c outbox -s C -l config -r -F -d 'Read this configuration file'
complete -c outbox -s H -l header -x -d 'Add a header (Name: value)'
complete -c outbox -l charset -x -a 'UTF-8 GB18030 GBK GB2312 BIG5 ISO-8859-1 ISO-8859-15 WINDOWS-1252 SHIFT_JIS EUC-JP EUC-KR KOI8-R' -d 'Charset of the body and header text (default: the locale)'
complete -c outbox -s n -l no-system-config -d 'Do not read /etc/outboxrc'
complete -c outbox -l dry-run -d 'Print the message and send nothing'
complete -c outbox -s E -l skip-empty -d 'Send nothing when the body is empty'
complete -c outbox -l html -d 'Alone: the body is HTML; --html=FILE: its HTML alternative'
complete -c outbox -n __outbox_html_eq -a '(__outbox_html_files)'
complete -c outbox -l inline -r -F -d 'Show FILE[:ID] inside the HTML as cid:ID'
complete -c outbox -l reply-to -x -d 'The Reply-To header'
complete -c outbox -l dsn -x -a 'never success,failure,delay success failure delay' -d 'Delivery notices'
complete -c outbox -l dsn-return -x -a 'full headers' -d 'What a delivery notice returns'
complete -c outbox -l dsn-required -d 'Fail (69) when the server offers no DSN'
complete -c outbox -s v -l verbose -d 'Show the SMTP dialogue (twice: debug)'
complete -c outbox -l json -d 'Print one JSON result object'
complete -c outbox -l queue -d 'Put the message in the queue without connecting'
complete -c outbox -l flush -d 'Send the due messages of the queue'
complete -c outbox -l now -d 'With --flush: ignore the back-off'
complete -c outbox -l queue-list -d 'List the queue'
complete -c outbox -l check -d 'Walk every step of a send, sending nothing'
complete -c outbox -l queue-retry -x -a 'all (outbox --queue-list --failed 2>/dev/null | string match -r "^\d{8}T\d{6}-[0-9a-f]{8}")' -d 'Move failed entries back and send them now'
complete -c outbox -l failed -d 'With --queue-list: the failed entries only'
complete -c outbox -l oauth2-login -d 'Log in once with OAuth2 and store the tokens'
complete -c outbox -l queue-drop -x -a '(outbox --queue-list 2>/dev/null | string match -r "^\d{8}T\d{6}-[0-9a-f]{8}")' -d 'Remove a queue entry'
complete -c outbox -l fetch -d 'Download new mail over POP3'
complete -c outbox -l list -d 'With --fetch: show what waits, fetch nothing'
complete -c outbox -l delete -d 'With --fetch: delete fetched mail on the server'
complete -c outbox -l keep -d 'With --fetch: keep mail on the server'
complete -c outbox -l sendmail -d 'Act as sendmail: read a finished message on stdin'
complete -c outbox -s h -l help -d 'Print a summary of the options'
complete -c outbox -s V -l version -d 'Print the version'
# Recipients: the aliases of the configuration.
complete -c outbox -n 'not string match -q -- "-*" (commandline -ct)' -a '(__outbox_aliases)' -d 'Alias'
