#!/bin/sh
# certs.sh DIR — a throwaway CA and server certificates for the test
# servers, all with EC P-256 keys:
#   ca.pem ca.key               the CA (tls-ca-file in the tests)
#   good.pem good.key           SAN DNS:localhost, IP:127.0.0.1
#   wronghost.pem wronghost.key SAN DNS:wrong.example
#   expired.pem expired.key     SAN localhost, validity entirely past
#   selfsigned.pem selfsigned.key  SAN localhost, not signed by the CA
# Idempotent: does nothing when DIR already holds them all.
set -eu
dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s good.pem ] && [ -s wronghost.pem ] &&
    [ -s expired.pem ] && [ -s selfsigned.pem ] && exit 0

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

newkey ca.key
openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=outbox test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2>/dev/null

# name SAN: a CSR, then a certificate signed by the CA for two days.
signed() {
	newkey "$1.key"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$2" > "$1.ext"
	openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -sha256 -extfile "$1.ext" \
	    -out "$1.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}
signed good "DNS:localhost,IP:127.0.0.1"
signed wronghost "DNS:wrong.example"

# Expired: "openssl x509 -req" in 3.0 cannot set a past start date, so
# "openssl ca" with a minimal configuration does the signing.
mkdir -p ca.db
: > ca.db/index.txt
[ -s ca.db/serial ] || echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = ca.db
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = server
[ anything ]
commonName = supplied
[ server ]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
CNF
newkey expired.key
openssl req -new -key expired.key -subj "/CN=expired" -out expired.csr 2>/dev/null
openssl ca -batch -config ca.cnf -startdate 20200101000000Z \
    -enddate 20200102000000Z -in expired.csr -out expired.pem \
    -notext 2>/dev/null
rm -f expired.csr

newkey selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 2 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -out selfsigned.pem 2>/dev/null
