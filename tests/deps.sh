#!/bin/sh
# Installs, from Debian's packages, whatever outbox needs to build, test,
# fuzz, demonstrate and benchmark itself that is not there yet.  Needs root
# (or sudo) only when something is missing.
#
# Postfix and Dovecot are installed for the real-server suites, which start
# their own instances under a temporary directory: the install must neither
# ask Postfix's debconf question nor start (or reconfigure) the system's
# own services, so a policy-rc.d that refuses every start is in place for
# the length of the install, and Postfix is preseeded to "No configuration".
set -e
pkgs="build-essential pkg-config libssl-dev libmagic-dev libmagic-mgc libbsd-dev
openssl bats bats-support bats-assert python3-aiosmtpd mandoc cppcheck
msmtp time file strace zsh fish libidn2-dev s-nail libjansson-dev
libcurl4-openssl-dev media-types clang libclang-rt-14-dev clang-tools
postfix dovecot-core dovecot-pop3d dovecot-lmtpd mpop fetchmail curl mutt
systemd"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    $sudo debconf-set-selections
policy=/usr/sbin/policy-rc.d
placed=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 0755 "$policy"
	placed=1
fi
trap '[ -n "$placed" ] && $sudo rm -f "$policy"' EXIT
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
