#!/usr/bin/env bash
# Instructions the hub spends per tick, counted by callgrind: the tick
# path's cost independent of the host's load and speed, for comparing two
# builds (the timed benchmark of the same path: tick_path.sh).
# A benchmark, not a test: it asserts nothing and exits 0 whenever it
# measured; non-zero only when it could not.
#
#   tests/bench/callgrind_tick.sh        (HAMD_BUILD_DIR, default ./build)
#   CALLGRIND_BASELINE=/other/build/src/hamd tests/bench/callgrind_tick.sh
#
# Each run: a standalone hamd (no peers) under valgrind --tool=callgrind,
# one bench_gw_flood gateway on CALLGRIND_SYMBOLS contracts (it sends as
# fast as the hub takes them) and one subscriber draining PUB. Once the
# subscriber got a tick of every contract (all routed, the hub publishing)
# and CALLGRIND_SETTLE_S more have passed, callgrind's counters are zeroed,
# and CALLGRIND_WINDOW_S later dumped: the window holds the publishing
# steady state only. Ticks in it = calls of the tick decoder (one per tick
# body: hamd_tick_decode_splice, or hamd_tick_decode in older builds);
# tests/bench/callgrind_costs.py reads the dump.
#
# The last line is
#   RESULT hub_instr_per_tick=... tickpath_instr_per_tick=...
#          publish_instr_per_tick=... runs=... ticks=... window_s=...
#          symbols=... (then each run's three values)
#          [base_hub_instr_per_tick=... (the same for CALLGRIND_BASELINE)
#           hub_ratio=... tickpath_ratio=... publish_ratio=...]
#          [relay_instr_per_tick=... relay_ticks=... relay_runs=...
#           hub_relay_instr_ratio=...]
#          recorded_hub_instr_per_tick=... hub_vs_recorded_baseline_ratio=...
# each the median over CALLGRIND_RUNS runs; the last two compare with the
# hub of the recorded baseline (CALLGRIND_RECORDED_HUB, default the tree at
# 86282d5 as measured on 2026-12-06, docs/performance.md), for a target
# set against it (issue 16: at most 0.5); hub_ratio is the same against a
# baseline measured in this run:
# hub_instr_per_tick: every instruction of the hub process in the window
#   (all threads: data, control, ZeroMQ I/O) per tick;
# tickpath_instr_per_tick: those inside dp_ingest_message (decode, arbiter,
#   publish gate, stamp, encode or splice, cache, zmq_send) per tick;
# publish_instr_per_tick: those inside dp_publish_tick but not in its
#   sends to ZeroMQ (the gate, holds, numbering, stamp, encode or splice,
#   cache).
# relay_instr_per_tick: every instruction of bench_gw_relay (the do-nothing
#   relay of tick_path.sh's gwrelay phases, all threads) per tick it
#   published, fed by the same gateway and drained by the same subscriber,
#   counted over the same window: the floor hub_instr_per_tick is set
#   against (hub_relay_instr_ratio = hub / relay), free of the host's noise.
# valgrind runs the hub's threads one at a time, so how ZeroMQ's queues
# happen to be batched varies from run to run, and with it the first
# (measured: +-1.5 %) and a little the second (+-0.2 %); the third moves
# by a few instructions.
#
# Knobs (environment): HAMD_BUILD_DIR; CALLGRIND_HAMD, the hamd to measure
# (default the build's); CALLGRIND_BASELINE, another hamd measured the same
# way in the same run, its runs alternating with the first's (ratios are
# this / baseline; the gateway always comes from HAMD_BUILD_DIR, so both
# are fed alike); CALLGRIND_RECORDED_HUB (21352: hub_instr_per_tick of
# the recorded baseline); CALLGRIND_RELAY (1: measure bench_gw_relay too,
# its runs alternating with the hub's); CALLGRIND_RUNS (3), CALLGRIND_SYMBOLS (100),
# CALLGRIND_WINDOW_S (20), CALLGRIND_SETTLE_S (2), CALLGRIND_KEEP (1: keep
# the temp dir with configs, logs and dumps).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${HAMD_BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
HAMD=${CALLGRIND_HAMD:-$BUILD/src/hamd}
BASELINE=${CALLGRIND_BASELINE:-}
RECORDED_HUB=${CALLGRIND_RECORDED_HUB:-21352}
RUNS=${CALLGRIND_RUNS:-3}
SYMBOLS=${CALLGRIND_SYMBOLS:-100}
WINDOW_S=${CALLGRIND_WINDOW_S:-20}
SETTLE_S=${CALLGRIND_SETTLE_S:-2}
RELAY=${CALLGRIND_RELAY:-1}

START_TIMEOUT_S=180  # valgrind start-up, lease, every contract routed
STOP_WAIT_S=10       # SIGTERM -> SIGKILL
ELECTION_MS=5000     # raft timings stretched: under valgrind the hub runs
RAFT_HB_MS=500       # ~50x slower and must not lose its lease meanwhile
LEASE_MARGIN_MS=1000
PUB_HWM=10000000     # nothing dropped on the way to the subscriber

# shellcheck source=tests/bench/bench_lib.sh
. "$ROOT/tests/bench/bench_lib.sh"

log() { echo "[callgrind_tick $(date +%H:%M:%S)] $*" >&2; }
fail() { log "could not measure: $*"; exit 1; }

GW_FLOOD=$BUILD/tests/bench_gw_flood
GW_RELAY=$BUILD/tests/bench_gw_relay
command -v valgrind >/dev/null ||
  fail "valgrind is missing (deploy/install-deps.sh --tests)"
cmake --build "$BUILD" --target hamd bench_gw_flood bench_gw_relay >&2 ||
  fail "cmake --build $BUILD failed"
for exe in "$HAMD" "$GW_FLOOD" "$GW_RELAY" ${BASELINE:+"$BASELINE"}; do
  [ -x "$exe" ] || fail "$exe is missing"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hamd-callgrind.XXXXXX")
PIDS=()

# Stops what this script started (a hub's gateway dies with it), then
# removes the temp dir.
cleanup() {
  stop_pids "$STOP_WAIT_S" "${PIDS[@]}"
  if [ "${CALLGRIND_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# hub_ini DIR ADMIN PUB SNAP: a standalone node with the flood gateway.
hub_ini() {
  local dir=$1 i
  mkdir -p "$dir/data"
  {
    printf '[node]\nid = 1\ndata_dir = %s\nlog_level = info\n' "$dir/data"
    printf 'admin = 127.0.0.1:%s\npublish = tcp://127.0.0.1:%s\n' "$2" "$3"
    printf 'snapshot = tcp://127.0.0.1:%s\n\n' "$4"
    printf '[raft]\nelection_timeout_ms = %s\nheartbeat_ms = %s\n' \
      "$ELECTION_MS" "$RAFT_HB_MS"
    printf 'lease_margin_ms = %s\n\n' "$LEASE_MARGIN_MS"
    printf '[publish]\nhwm = %s\n\n' "$PUB_HWM"
    printf '[gateways]\nflood = %s\n\n' "$GW_FLOOD"
    # The flooded gateway falls behind the wall clock by design, and its
    # heartbeats wait behind its ticks in the hub's queue: keep the health
    # monitor from declaring it late or silent, which unroutes its ticks.
    printf '[health]\nlatency_ms = 600000\nstale_ms = 600000\n'
    printf 'hb_timeout_ms = 600000\ncanary_timeout_ms = 600000\n\n'
    printf '[failover]\nrestart_after_ms = 3600000\n\n'
    printf '[account.bench_f]\ngateway_type = flood\npriority = 1\n'
    printf 'exchanges = SHFE\nparams = {}\n\n'
    printf '[subscriptions]\nsymbols = '
    for ((i = 0; i < SYMBOLS; i++)); do printf 't%04d.SHFE\n' "$i"; done |
      paste -sd, - | sed 's/,/, /g'
  } >"$dir/hub.ini"
}

# sub_start DIR PUB: a subscriber draining tcp://127.0.0.1:PUB (a hub
# with a client sends as in production; with none, ZeroMQ drops every tick
# at once). It says when it got a tick of every contract: all are routed
# to the gateway then, which under valgrind takes seconds. Sets SUB_PID.
sub_start() {
  /usr/bin/python3 - "tcp://127.0.0.1:$2" "$SYMBOLS" >"$1/sub.log" 2>&1 <<'EOF' &
import sys, zmq
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.RCVHWM, 0)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(sys.argv[1])
seen, want = set(), int(sys.argv[2])
while True:
    topic = sub.recv_multipart()[0]
    if len(seen) < want and not topic.startswith(b"_"):
        seen.add(topic)
        if len(seen) == want:
            print("every contract published", flush=True)
EOF
  SUB_PID=$!
  PIDS+=("$SUB_PID")
}

# window DIR PID LOG: once the subscriber of DIR saw every contract and
# SETTLE_S more passed, zeroes callgrind's counters of PID, dumps them
# WINDOW_S later, stops PID and the subscriber, and writes
# callgrind_costs.py's line for the window to DIR/costs. A hub's lease
# lapse or unhealthy gateway in LOG during the window is warned about.
window() {
  local dir=$1 pid=$2 log=$3 deadline dump from
  deadline=$((SECONDS + START_TIMEOUT_S))
  until grep -q "every contract published" "$dir/sub.log"; do
    kill -0 "$pid" 2>/dev/null || fail "$pid exited: $(tail -5 "$log")"
    [ $SECONDS -lt $deadline ] || fail "nothing published: $(tail -5 "$log")"
    sleep 0.5
  done
  sleep "$SETTLE_S"
  callgrind_control --zero "$pid" >/dev/null 2>&1 || fail "callgrind_control --zero"
  from=$(wc -l <"$log")
  sleep "$WINDOW_S"
  callgrind_control --dump=window "$pid" >/dev/null 2>&1 ||
    fail "callgrind_control --dump"
  if tail -n +"$from" "$log" |
    grep -q "lease lapsed\|publishing stopped\|UNHEALTHY"; then
    log "warning: $dir: a lapse or an unhealthy gateway in the window" \
      "($log): ticks held or not routed are counted too"
  fi
  stop_pids "$STOP_WAIT_S" "$pid" "$SUB_PID"
  dump=$(grep -l "^desc: Trigger: dump window" "$dir"/cg.out* 2>/dev/null |
    head -n 1 || true)
  [ -n "$dump" ] || fail "no callgrind dump in $dir"
  /usr/bin/python3 "$ROOT/tests/bench/callgrind_costs.py" "$dump" \
    >"$dir/costs" || fail "cannot read $dump"
}

# run_once HAMD NAME: one measured run of HAMD in $TMP/NAME;
# callgrind_costs.py's line for its window goes to $TMP/NAME/costs. (Not
# in a subshell: PIDS must stay current for cleanup.)
run_once() {
  local bin=$1 dir=$TMP/$2 admin pub snap hub
  read -r admin pub snap <<<"$(free_ports 3)"
  hub_ini "$dir" "$admin" "$pub" "$snap"
  sub_start "$dir" "$pub"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
    "$bin" --config "$dir/hub.ini" >"$dir/hub.log" 2>&1 &
  hub=$!
  PIDS+=("$hub")
  window "$dir" "$hub" "$dir/hub.log"
  PIDS=()
}

# relay_once NAME: one measured run of bench_gw_relay (the do-nothing
# relay of tick_path.sh's gwrelay phases) in $TMP/NAME: the same gateway
# on the same contracts, the same subscriber, the same window. The
# gateway is started here (hamd starts the hub's) and runs outside
# valgrind, as the hub's does.
relay_once() {
  local dir=$TMP/$1 pub relay gw i
  mkdir -p "$dir"
  pub=$(free_ports 1)
  for ((i = 0; i < SYMBOLS; i++)); do printf 't%04d.SHFE\n' "$i"; done >"$dir/symbols"
  sub_start "$dir" "$pub"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
    "$GW_RELAY" --gw "ipc://$dir/gw.sock" --pub "tcp://127.0.0.1:$pub" \
    --symbols "$dir/symbols" --hwm "$PUB_HWM" >"$dir/relay.log" 2>&1 &
  relay=$!
  PIDS+=("$relay")
  HAMD_GW_ENDPOINT=ipc://$dir/gw.sock HAMD_ACCOUNT=bench_f HAMD_GW_PARAMS={} \
    "$GW_FLOOD" 2>>"$dir/relay.log" &
  gw=$!
  PIDS+=("$gw")
  window "$dir" "$relay" "$dir/relay.log"
  stop_pids "$STOP_WAIT_S" "$gw"
  PIDS=()
}

# kv LINE KEY: the value of KEY=... in LINE.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.0f", (b > 0) ? a / b : 0) }'; }
# median: of the numbers on stdin, separated by blanks.
median() {
  tr -s ' ' '\n' | sed '/^$/d' | sort -n |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# take NAME TAG: adds run NAME's per-tick values to TAG's entries of
# HUB_PT, PATH_PT, PUB_PT (blank-separated lists) and TICKS.
declare -A HUB_PT PATH_PT PUB_PT TICKS
take() {
  local line ticks published
  line=$(cat "$TMP/$1/costs")
  ticks=$(kv "$line" ticks)
  published=$(kv "$line" publish_calls)
  [ "${ticks:-0}" -gt 0 ] || fail "$1: no tick in the window"
  TICKS[$2]=$(( ${TICKS[$2]:-0} + ticks ))
  HUB_PT[$2]+=" $(div "$(kv "$line" hub_instr)" "$ticks")"
  if [ "$2" = relay ]; then # it has no tick path or publish of its own
    log "$1: instructions per tick: relay ${HUB_PT[$2]##* } ($ticks ticks)"
    return
  fi
  # Every tick of the flood is newer than the last: all should go out.
  [ $((published * 100)) -ge $((ticks * 99)) ] ||
    log "warning: $1: only $published of $ticks ticks published"
  PATH_PT[$2]+=" $(div "$(kv "$line" tickpath_instr)" "$ticks")"
  PUB_PT[$2]+=" $(div "$(kv "$line" publish_instr)" "$published")"
  log "$1: instructions per tick: hub ${HUB_PT[$2]##* }," \
    "tick path ${PATH_PT[$2]##* }, publish ${PUB_PT[$2]##* } ($ticks ticks)"
}

for ((r = 1; r <= RUNS; r++)); do
  log "run $r of $RUNS: $HAMD under callgrind, $SYMBOLS contracts, ${WINDOW_S}s"
  run_once "$HAMD" "run$r"
  take "run$r" this
  if [ -n "$BASELINE" ]; then
    log "run $r of $RUNS: baseline $BASELINE"
    run_once "$BASELINE" "base$r"
    take "base$r" base
  fi
  if [ "$RELAY" = 1 ]; then
    log "run $r of $RUNS: bench_gw_relay under callgrind, the same gateway"
    relay_once "relay$r"
    take "relay$r" relay
  fi
done

# slash LIST: the blank-separated LIST as a/b/c.
slash() { tr -s ' ' '\n' <<<"$1" | sed '/^$/d' | paste -sd/ -; }

# fields TAG PREFIX: the RESULT fields of TAG's runs.
fields() {
  echo "${2}hub_instr_per_tick=$(median <<<"${HUB_PT[$1]}")" \
    "${2}tickpath_instr_per_tick=$(median <<<"${PATH_PT[$1]}")" \
    "${2}publish_instr_per_tick=$(median <<<"${PUB_PT[$1]}")" \
    "${2}ticks=${TICKS[$1]} ${2}hub_runs=$(slash "${HUB_PT[$1]}")" \
    "${2}tickpath_runs=$(slash "${PATH_PT[$1]}")" \
    "${2}publish_runs=$(slash "${PUB_PT[$1]}")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.4f", (b > 0) ? a / b : 0) }'; }
result="RESULT $(fields this "") runs=$RUNS window_s=$WINDOW_S symbols=$SYMBOLS"
if [ -n "$BASELINE" ]; then
  result+=" $(fields base base_)"
  for m in hub tickpath publish; do
    result+=" ${m}_ratio=$(ratio "$(kv "$result" "${m}_instr_per_tick")" \
      "$(kv "$result" "base_${m}_instr_per_tick")")"
  done
fi
if [ "$RELAY" = 1 ]; then
  result+=" relay_instr_per_tick=$(median <<<"${HUB_PT[relay]}")"
  result+=" relay_ticks=${TICKS[relay]} relay_runs=$(slash "${HUB_PT[relay]}")"
  result+=" hub_relay_instr_ratio=$(ratio "$(kv "$result" hub_instr_per_tick)" \
    "$(kv "$result" relay_instr_per_tick)")"
fi
result+=" recorded_hub_instr_per_tick=$RECORDED_HUB"
result+=" hub_vs_recorded_baseline_ratio=$(ratio "$(kv "$result" \
  hub_instr_per_tick)" "$RECORDED_HUB")"
echo "$result"
