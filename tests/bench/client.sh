#!/usr/bin/env bash
# Client libraries benchmark (docs/performance.md, "Client libraries"): the
# CPU per tick of libhamd-client and of the hamd Python package against a
# raw ZeroMQ SUB that only receives, all three on the same publisher in
# the same run (bench_client_cpu pub: real hub ticks over TCP on loopback,
# in 1 ms bursts). A benchmark, not a test: it asserts no speed and exits 0
# whenever it measured.
#
#   tests/bench/client.sh            (HAMD_BUILD_DIR, default ./build)
#
# Knobs: BENCH_CLIENT_RATE (ticks/s, all contracts; default 20000),
# BENCH_CLIENT_SECONDS (5 per run), BENCH_CLIENT_CONTRACTS (100),
# BENCH_CLIENT_RUNS (5: the CPU figures are the median run's, as the host
# is shared; lost and dup are summed over every run).
#
# The last line is
#   RESULT client_c_cpu_ratio=... client_py_tps=... lost=... dup=...
#          raw_cpu_us=... c_cpu_us=... py_cpu_us=... rate=... ticks=... runs=...
# client_c_cpu_ratio: the C library's CPU per tick over the raw SUB's;
# client_py_tps: ticks per CPU second of the Python package (what it can
# take on one core); lost / dup: sim_seq missing / delivered twice by the
# two libraries (the raw SUB's are raw_lost, raw_dup).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${HAMD_BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
RATE=${BENCH_CLIENT_RATE:-20000}
RUN_S=${BENCH_CLIENT_SECONDS:-5}
RUNS=${BENCH_CLIENT_RUNS:-5}
CONTRACTS=${BENCH_CLIENT_CONTRACTS:-100}
PYTHON=/usr/bin/python3
WAIT_S=120                 # the whole run must end within this

log() { echo "[client $(date +%H:%M:%S)] $*" >&2; }
fail() { log "could not measure: $*"; exit 1; }

cmake --build "$BUILD" --target bench_client_cpu hamd_client >&2 ||
  fail "cmake --build $BUILD failed"
BIN=$BUILD/tests/bench_client_cpu
[ -x "$BIN" ] || fail "$BIN is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hamd-bench-client.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

TICKS=$($PYTHON -c "print(int($RATE * $RUN_S))")

# One run: the publisher and the three receivers at once; their lines in
# $TMP/run$1.{raw,c,py}.
run_once() {
  local n=$1 pids=() ports
  ports=$($PYTHON -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  local pub=tcp://127.0.0.1:${ports% *} snap=tcp://127.0.0.1:${ports#* }
  "$BIN" pub "$pub" "$snap" --rate "$RATE" --seconds "$RUN_S" \
    --contracts "$CONTRACTS" --subscribers 3 >"$TMP/run$n.pub" 2>&1 & pids+=($!)
  "$BIN" raw "$pub" --expect "$TICKS" >"$TMP/run$n.raw" 2>&1 & pids+=($!)
  "$BIN" lib "$pub" "$snap" --expect "$TICKS" >"$TMP/run$n.c" 2>&1 & pids+=($!)
  $PYTHON "$ROOT/tests/bench/client_py.py" "$pub" "$snap" --expect "$TICKS" \
    >"$TMP/run$n.py" 2>&1 & pids+=($!)
  PIDS+=("${pids[@]}")
  for p in "${pids[@]}"; do
    timeout "$WAIT_S" tail --pid="$p" -f /dev/null || fail "a process did not end"
    wait "$p" || fail "$(tail -n 3 "$TMP"/run"$n".*)"
  done
  for f in raw c py; do
    log "run $n $f: $(tail -1 "$TMP/run$n.$f")"
  done
}

log "$RUNS runs of $TICKS ticks at $RATE/s over $CONTRACTS contracts:" \
    "a raw SUB, the C and the Python client at once"
for n in $(seq 1 "$RUNS"); do run_once "$n"; done

# The median run's ratio and rate; lost and dup summed over every run.
$PYTHON - "$TMP" "$RUNS" "$RATE" "$TICKS" <<'PY'
import statistics, sys
tmp, runs, rate, ticks = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def line(n, who):
    with open("%s/run%d.%s" % (tmp, n, who)) as f:
        return dict(kv.split("=") for kv in f.read().split("\n")[-2].split())

rows = [{w: line(n, w) for w in ("raw", "c", "py")} for n in range(1, runs + 1)]
for r in rows:
    if any(int(r[w]["ticks"]) == 0 for w in r):
        sys.exit("a receiver got no tick")
us = {w: statistics.median(float(r[w]["cpu_us_per_tick"]) for r in rows)
      for w in ("raw", "c", "py")}
ratio = statistics.median(float(r["c"]["cpu_us_per_tick"]) /
                          float(r["raw"]["cpu_us_per_tick"]) for r in rows)
total = lambda w, k: sum(int(r[w][k]) for r in rows)
print("RESULT client_c_cpu_ratio=%.2f client_py_tps=%.0f lost=%d dup=%d raw_cpu_us=%.2f "
      "c_cpu_us=%.2f py_cpu_us=%.2f raw_lost=%d raw_dup=%d rate=%s ticks=%s runs=%d"
      % (ratio, 1e6 / us["py"], total("c", "lost") + total("py", "lost"),
         total("c", "dup") + total("py", "dup"), us["raw"], us["c"], us["py"],
         total("raw", "lost"), total("raw", "dup"), rate, ticks, runs))
PY
