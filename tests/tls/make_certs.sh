#!/usr/bin/env bash
# Makes the TLS test material in DIR with the openssl command (no key material is kept
# in the repository): a CA; certificates it signs for 127.0.0.1 and localhost (valid),
# for 127.0.0.1 but expired, and valid but for another host; and a self-signed one.
#   bash tests/tls/make_certs.sh DIR
# Distributed under the Boost Software License, Version 1.0.
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s wrong-host.pem ] && exit 0 # made already (the certificates last 10 years)
rm -rf db && mkdir db && : > db/index.txt && echo 01 > db/serial
quiet() { "$@" >/dev/null 2>&1 || { "$@"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days 3650 -subj "/CN=switchboard test CA"
cat > ca.cnf <<'CNF'
[ca]
default_ca = test_ca
[test_ca]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
CNF
# sign NAME SAN [openssl ca date options...]
sign() {
  local name="$1" san="$2"; shift 2
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$name" -addext "subjectAltName=$san"
  quiet openssl ca -batch -config ca.cnf -in "$name.csr" -out "$name.pem" -notext "$@"
}
sign server "IP:127.0.0.1,DNS:localhost" -days 3650
sign expired "IP:127.0.0.1,DNS:localhost" -startdate 20200101000000Z -enddate 20200201000000Z
sign wrong-host "DNS:wrong.example" -days 3650
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed.key \
  -out self-signed.pem -days 3650 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1"
echo "TLS test material in $dir"
