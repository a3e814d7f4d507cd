#!/bin/sh
# Installs, from Debian's packages, whatever outbox needs to build, test,
# demonstrate and benchmark itself that is not there yet.  Needs root (or
# sudo) only when something is missing.
set -e
pkgs="build-essential pkg-config libssl-dev libmagic-dev libmagic-mgc libbsd-dev
openssl bats bats-support bats-assert python3-aiosmtpd mandoc cppcheck
msmtp time file strace zsh fish libidn2-dev s-nail"
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
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
