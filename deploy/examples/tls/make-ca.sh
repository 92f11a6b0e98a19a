#!/bin/sh
# Makes a private certificate authority and one certificate per node for
# the admin API over TLS (docs/security.md, "TLS on the admin API").
#
#   make-ca.sh DIR NAME=ADDR[,ADDR...] [NAME=ADDR...]
#
#   make-ca.sh /root/hamd-ca node1=10.0.1.1,hamd1.example.com \
#                            node2=10.0.1.2,hamd2.example.com \
#                            node3=10.0.1.3,hamd3.example.com
#
# Every ADDR is what clients and the other members connect to: the host
# of [peer.N] admin (an IP address or a name; both may be given). It
# writes, in DIR:
#
#   ca.pem               the CA certificate: [admin] tls_ca on every node,
#                        and hactl --cacert / curl --cacert on operators'
#                        hosts
#   ca.key               the CA's key: keep it offline; only needed to
#                        make more certificates (run the script again:
#                        it reuses the CA it finds in DIR)
#   NAME.pem, NAME.key   node NAME's certificate and key: [admin] tls_cert
#                        and tls_key on that node (the key 0600, owned by
#                        the hamd user)
#
# Keys are ECDSA P-256; certificates last CERT_DAYS days (default 825),
# the CA CA_DAYS (default 3650). Needs the openssl command.
set -eu

CERT_DAYS=${CERT_DAYS:-825}
CA_DAYS=${CA_DAYS:-3650}

usage() {
  echo "usage: $0 DIR NAME=ADDR[,ADDR...] [NAME=ADDR...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
dir=$1
shift
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days "$CA_DAYS" \
    -subj "/CN=hamd private CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 0644 "$dir/ca.pem"
  echo "make-ca: made the CA $dir/ca.pem (its key $dir/ca.key: keep it offline)"
fi

# subjectAltName entries of a comma-separated address list.
san_of() {
  out=""
  old_ifs=$IFS
  IFS=,
  for a in $1; do
    case $a in
      *[!0-9.]*) case $a in *:*) kind=IP ;; *) kind=DNS ;; esac ;;
      *) kind=IP ;;
    esac
    out="${out:+$out,}$kind:$a"
  done
  IFS=$old_ifs
  printf '%s' "$out"
}

for spec in "$@"; do
  name=${spec%%=*}
  addrs=${spec#*=}
  case $name in
    ""|*[!A-Za-z0-9_-]*) echo "make-ca: bad name in '$spec'" >&2; exit 2 ;;
  esac
  [ "$addrs" != "$spec" ] && [ -n "$addrs" ] || usage
  ext=$(mktemp)
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
    "$(san_of "$addrs")" > "$ext"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/$name.pem" -days "$CERT_DAYS" \
    -extfile "$ext" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
  chmod 0644 "$dir/$name.pem"
  chmod 0600 "$dir/$name.key"
  echo "make-ca: $dir/$name.pem for $(san_of "$addrs")"
done
