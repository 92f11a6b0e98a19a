#!/usr/bin/env bash
# Installs the Debian packages hamd needs to build and run, and with
# --tests also those only the test suite uses, if any is missing. Safe to
# run again: it does nothing when everything is there.
#
#   deploy/install-deps.sh            build + run (quickstart)
#   deploy/install-deps.sh --tests    + the chaos lab's tools and clang with
#                                       libFuzzer (tests/run.sh)
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libzmq3-dev libmsgpack-dev libraft-dev libuv1-dev liblmdb-dev
  libcmocka-dev libh2o-dev libjansson-dev libinih-dev libcurl4-openssl-dev
  python3 python3-zmq python3-msgpack
  iproute2 iputils-arping procps
)
# network namespaces, partitions, and keepalived moving the VIP (tests/chaos);
# clang and its libFuzzer runtime for the fuzz targets (tests/fuzz/run.sh)
TEST_PACKAGES=(iptables keepalived clang libclang-rt-dev)

case "${1:-}" in
  "") ;;
  --tests) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
  *) echo "usage: $0 [--tests]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
