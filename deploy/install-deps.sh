#!/usr/bin/env bash
# Installs the Debian packages hamd needs to build and run, and with
# --tests also those only the test suite uses, if any is missing. Safe to
# run again: it does nothing when everything is there. When something is
# missing it runs apt-get update, then apt-get install --no-install-recommends,
# as root or through sudo.
#
#   deploy/install-deps.sh            build + run (quickstart)
#   deploy/install-deps.sh --tests    + what only the tests use (tests/run.sh):
#                                     the chaos lab's tools, a headless browser
#                                     for the console, clang with libFuzzer
#                                     (tests/fuzz), and promtool and amtool
#                                     extracted into $HAMD_TOOLS_DIR
#                                     (~/.cache/hamd/tools)
set -euo pipefail

# dpkg-dev and file: `cpack -G DEB` (docs/deployment.md) runs dpkg-shlibdeps
# for the package's Depends and refuses to start without file(1).
PACKAGES=(
  build-essential cmake pkg-config
  libzmq3-dev libmsgpack-dev libraft-dev libuv1-dev liblmdb-dev
  libcmocka-dev libh2o-dev libjansson-dev libinih-dev libcurl4-openssl-dev
  libsystemd-dev libsodium-dev libssl-dev openssl
  python3 python3-zmq python3-msgpack
  iproute2 iputils-arping procps
  dpkg-dev file
)
# network namespaces, partitions, and keepalived moving the VIP (tests/chaos);
# BIND and nsupdate for the DNS hook, man and groff for the man pages,
# curl for the webhook (tests/ops); valgrind
# counts the hub's instructions per tick (tests/bench/callgrind_tick.sh);
# the console in a real browser (tests/browser) and its stream (curl -N);
# clang and its libFuzzer runtime for the fuzz targets (tests/fuzz/run.sh);
# hypothesis for the Python client's hostile-input tests, venv and wheel for
# `pip install ./src/python` in a virtual environment (tests/python)
TEST_PACKAGES=(iptables keepalived bind9 bind9-dnsutils man-db groff-base
               curl python3-yaml bash-completion valgrind
               chromium chromium-driver python3-selenium clang libclang-rt-dev
               python3-hypothesis python3-venv python3-wheel)
# Programs taken out of Debian packages rather than installed: the
# packages' postinst would start a Prometheus and an Alertmanager server.
TOOLS_DIR=${HAMD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hamd/tools}
TOOLS=("prometheus:promtool" "prometheus-alertmanager:amtool")

tests=0
case "${1:-}" in
  "") ;;
  --tests) PACKAGES+=("${TEST_PACKAGES[@]}"); tests=1 ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  *) echo "usage: $0 [--tests] (--help says more)" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
  SUDO=sudo
fi

# Extracts program from Debian package pkg into $TOOLS_DIR/usr/bin, once.
# Never fails the run: the tests that need it skip, saying why.
fetch_tool() { # pkg program
  local pkg=$1 prog=$2 tmp
  [ -x "$TOOLS_DIR/usr/bin/$prog" ] && return 0
  tmp=$(mktemp -d) && chmod 0755 "$tmp"
  if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) &&
     ! { $SUDO apt-get update -q >/dev/null 2>&1 &&
         (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1); }; then
    echo "install-deps: cannot download $pkg: the tests that need $prog will skip" >&2
    rm -rf "$tmp"
    return 0
  fi
  mkdir -p "$TOOLS_DIR/x" &&
    dpkg-deb -x "$tmp"/"$pkg"_*.deb "$TOOLS_DIR/x" &&
    mkdir -p "$TOOLS_DIR/usr/bin" &&
    mv "$TOOLS_DIR/x/usr/bin/$prog" "$TOOLS_DIR/usr/bin/$prog" &&
    echo "install-deps: $prog from $pkg in $TOOLS_DIR/usr/bin"
  rm -rf "$tmp" "$TOOLS_DIR/x"
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ $tests = 1 ]; then
  for t in "${TOOLS[@]}"; do
    fetch_tool "${t%%:*}" "${t#*:}"
  done
fi
exit 0
