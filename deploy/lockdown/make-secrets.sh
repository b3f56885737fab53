#!/usr/bin/env bash
# Makes what a locked-down ensemble needs (issue #17 item 6), in DIR (default deploy/lockdown/secrets):
#   ca.crt                the CA every client trusts (tls.ca / PIN_TLS_CA)
#   service.crt/.key      the services' certificate (tls.cert, tls.key), valid for the compose and
#                         Kubernetes service names, localhost and 127.0.0.1; also their client
#                         certificate towards each other (mutual TLS)
#   client.crt/.key       a client certificate for the pin command and grpcurl (PIN_TLS_CERT/_KEY)
#   tokens                users' bearer tokens (auth.tokens-file): IDENTITY TOKEN [admin]
#   ensemble-token        the services' own token (auth.token / PIN_AUTH_TOKEN), an admin
# Usage: deploy/lockdown/make-secrets.sh [DIR] [USER...]   (default users: admin, and you)
# Keep DIR private: the keys and tokens are secrets. Nothing is overwritten.
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
shift || true
users=("$@")
[ ${#users[@]} -gt 0 ] || users=("${USER:-user}")
mkdir -p "$dir"
cd "$dir"
umask 077
days=825
names="DNS:orchestrator,DNS:policy-service,DNS:reward-service,DNS:scorer-service"
names="$names,DNS:orchestrator.pin.svc.cluster.local,DNS:policy-service.pin.svc.cluster.local"
names="$names,DNS:reward-service.pin.svc.cluster.local,DNS:scorer-service.pin.svc.cluster.local"
names="$names,DNS:localhost,IP:127.0.0.1"

if [ ! -f ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
    -subj "/CN=pin ensemble CA" -keyout ca.key -out ca.crt 2>/dev/null
fi
issue() {  # issue NAME SUBJECT_ALT_NAMES
  [ -f "$1.crt" ] && return
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$1.tmp.key" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$1.tmp.key" -out "$1.key"   # PKCS#8, as gRPC reads it
  rm -f "$1.tmp.key" "$1.csr" "$1.ext"
}
issue service "$names"
issue client "DNS:pin-client"
[ -f ensemble-token ] || openssl rand -hex 32 > ensemble-token
if [ ! -f tokens ]; then
  {
    echo "# identity  token  [admin] -- one line per user (auth.tokens-file)"
    echo "admin $(openssl rand -hex 32) admin"
    for u in "${users[@]}"; do echo "$u $(openssl rand -hex 32)"; done
  } > tokens
fi
chmod 0644 ca.crt service.crt client.crt
chmod 0640 service.key client.key tokens ensemble-token
chmod 0600 ca.key
chmod 0750 .
# The containers run as uid/gid 10001 (the images' user pin): give that group the folder.
if [ "$(id -u)" = 0 ]; then
  chgrp -R 10001 . && chgrp "$(id -g)" ca.key
else
  echo "for docker-compose, let the containers' group read the secrets:  sudo chgrp -R 10001 $dir"
fi
echo "secrets in $dir: ca.crt service.crt/.key client.crt/.key tokens ensemble-token"
