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
# The hot standby (CALLGRIND_DEDUP): after the runs above, each round runs
# the hub once more with two bench_gw_flood gateways of different accounts
# (bench_f priority 1, bench_f2 priority 2, as tick_path.sh's dedup phase
# has its two simulators) on the same contracts and one tick stream (the
# same base_ms: tick n of a contract is the same from both), in `first`
# arbitration (CALLGRIND_DEDUP_ARB, docs/failover.md, "Arbitration
# modes"): the first copy of each tick is published, the later one is not
# newer and is dropped. Both gateways flood as fast as the hub takes them,
# so which one is ahead depends on the run: one throughout, or each for a
# while (a dropped copy costs the same instructions either way; the log
# says how many races each won). In `priority` mode (tick_path's dedup
# phase) the backup's copies are dropped while it trails the active
# gateway and kept for a replay while it leads (the log says how many of
# each). Each dedup window must show, or the script
# fails saying which: 40 - 60 % of the ticks received published (the
# dump's counts) and none twice (the subscriber checks extra.sim_seq of
# every tick: one stream, so a tick with a sim_seq not above the last of
# its contract went out twice), each gateway a quarter or more of the
# ticks received, and in `first` mode 90 % or more of the copies not
# published counted stale, i.e. dropped as not newer (the hub's /metrics
# before and after the window). `callgrind_costs.py --breakdown DEDUP_DUMP
# SINGLE_DUMP` (CALLGRIND_KEEP=1 keeps them) says where a dropped copy's
# instructions go (docs/performance.md, "Hot standby in instructions").
#
# The last line is
#   RESULT hub_instr_per_tick=... tickpath_instr_per_tick=...
#          publish_instr_per_tick=... runs=... ticks=... window_s=...
#          symbols=... gw_batch=... (then each run's three values)
#          [base_hub_instr_per_tick=... (the same for CALLGRIND_BASELINE)
#           hub_ratio=... tickpath_ratio=... publish_ratio=...]
#          [relay_instr_per_tick=... relay_ticks=... relay_runs=...
#           hub_relay_instr_ratio=...]
#          [dedup_instr_per_tick=... dedup_in_instr_per_tick=...
#           dedup_tickpath_instr_per_tick=... dedup_hub_ratio=...
#           dedup_ticks=... dedup_published=... dedup_runs=...
#           dedup_in_runs=... dedup_tickpath_runs=... dedup_arbitration=...]
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
# dedup_instr_per_tick: every instruction of the hub with the hot standby
#   per tick it published (each came twice: the cost of a published tick
#   and of its dropped copy); dedup_in_instr_per_tick: the same per tick
#   received from either gateway; dedup_tickpath_instr_per_tick: those
#   inside dp_ingest_message per tick received (a published one or a
#   dropped copy); dedup_hub_ratio = dedup_instr_per_tick /
#   hub_instr_per_tick; dedup_ticks and dedup_published: ticks received
#   and published in the windows, summed over the runs.
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
# its runs alternating with the hub's); CALLGRIND_DEDUP (1: measure the
# hot standby too, its runs after the others of each round, ~30 s each);
# CALLGRIND_DEDUP_ARB (first, or priority: the arbitration of the hot
# standby's contracts); CALLGRIND_GW_BATCH (1: ticks per TICK message of
# every bench_gw_flood, up to 256; the hub's gateways send up to 64, so 1
# is the worst case per tick and 64 the case of hamd-gw-sim and
# hamd-gw-vnpy under load); CALLGRIND_RUNS (3), CALLGRIND_SYMBOLS (100),
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
DEDUP=${CALLGRIND_DEDUP:-1}
DEDUP_ARB=${CALLGRIND_DEDUP_ARB:-first}
GW_BATCH=${CALLGRIND_GW_BATCH:-1}
GW_BATCH_PARAM="\"batch\": $GW_BATCH" # bench_gw_flood's ticks a message
case $DEDUP_ARB in first | priority) ;; *)
  echo "CALLGRIND_DEDUP_ARB must be first or priority" >&2; exit 2 ;;
esac
# tick 0's datetime of both gateways of every dedup run: one stream
DEDUP_BASE_MS=$(date +%s%3N)

START_TIMEOUT_S=180  # valgrind start-up, lease, every contract routed
STOP_WAIT_S=10       # SIGTERM -> SIGKILL
ELECTION_MS=5000     # raft timings stretched: under valgrind the hub runs
RAFT_HB_MS=500       # ~50x slower and must not lose its lease meanwhile
LEASE_MARGIN_MS=1000
PUB_HWM=10000000     # nothing dropped on the way to the subscriber
METRICS_WAIT_S=60    # a GET /metrics of the hub under valgrind
SUB_REPORT_TICKS=1000 # a dedup subscriber's count of repeats, this often
# What a dedup window must show (see the top): the share of the ticks
# received that went out (half: each tick once, from either gateway), each
# gateway's share of those received, and the share of the copies not
# published that the hub counted as not newer (stale), i.e. duplicates.
DEDUP_PUBLISHED_MIN_PCT=40
DEDUP_PUBLISHED_MAX_PCT=60
DEDUP_SOURCE_MIN_PCT=25
DEDUP_STALE_MIN_PCT=90

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

# account_ini ID PRIORITY PARAMS: a flood gateway's account section.
account_ini() {
  printf '[account.%s]\ngateway_type = flood\npriority = %s\n' "$1" "$2"
  printf 'exchanges = SHFE\nparams = %s\n\n' "$3"
}

# hub_ini DIR ADMIN PUB SNAP [dedup]: a standalone node with the flood
# gateway; with "dedup", two of them (the hot standby, see the top).
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
    printf '[failover]\nrestart_after_ms = 3600000\n'
    if [ "${5:-}" = dedup ]; then
      printf 'arbitration = %s\n\n' "$DEDUP_ARB"
      # One tick stream for both: the later copy of each tick is not newer.
      account_ini bench_f 1 "{\"base_ms\": $DEDUP_BASE_MS, $GW_BATCH_PARAM}"
      account_ini bench_f2 2 "{\"base_ms\": $DEDUP_BASE_MS, $GW_BATCH_PARAM}"
    else
      printf '\n'
      account_ini bench_f 1 "{$GW_BATCH_PARAM}"
    fi
    printf '[subscriptions]\nsymbols = '
    for ((i = 0; i < SYMBOLS; i++)); do printf 't%04d.SHFE\n' "$i"; done |
      paste -sd, - | sed 's/,/, /g'
  } >"$dir/hub.ini"
}

# sub_start DIR PUB [dedup]: a subscriber draining tcp://127.0.0.1:PUB (a
# hub with a client sends as in production; with none, ZeroMQ drops every
# tick at once). It says when it got a tick of every contract: all are
# routed to the gateway then, which under valgrind takes seconds. With
# "dedup" it also counts the ticks whose extra.sim_seq is not above the
# last of their contract: the hot standby's streams are one, so a tick
# that went out twice is such a repeat (dedup_check). Sets SUB_PID.
sub_start() {
  /usr/bin/python3 - "tcp://127.0.0.1:$2" "$SYMBOLS" "${3:-}" "$SUB_REPORT_TICKS" \
    >"$1/sub.log" 2>&1 <<'EOF' &
import sys, zmq, msgpack
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.RCVHWM, 0)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(sys.argv[1])
seen, want = set(), int(sys.argv[2])
dedup, every = sys.argv[3] == "dedup", int(sys.argv[4])
last, ticks, repeats = {}, 0, 0
while True:
    topic, body = sub.recv_multipart()[:2]
    if topic.startswith(b"_"):
        continue
    if len(seen) < want:
        seen.add(topic)
        if len(seen) == want:
            print("every contract published", flush=True)
    if dedup:
        seq = msgpack.unpackb(body)["extra"]["sim_seq"]
        repeats += seq <= last.get(topic, -1)
        last[topic] = seq
        ticks += 1
        if ticks % every == 0:
            print("ticks=%d repeats=%d" % (ticks, repeats), flush=True)
EOF
  SUB_PID=$!
  PIDS+=("$SUB_PID")
}

# metrics_get ADMIN FILE: the hub's /metrics into FILE.
metrics_get() {
  curl -sf --noproxy '*' --max-time "$METRICS_WAIT_S" \
    "http://127.0.0.1:$1/metrics" >"$2" || fail "GET /metrics from :$1"
}

# window DIR PID LOG [ADMIN]: once the subscriber of DIR saw every contract
# and SETTLE_S more passed, zeroes callgrind's counters of PID, dumps them
# WINDOW_S later, stops PID and the subscriber, and writes
# callgrind_costs.py's line for the window to DIR/costs. With ADMIN (a
# hub's admin port), the hub's /metrics right after the zeroing and right
# after the dump go to DIR/metrics.before and DIR/metrics.after. A hub's
# lease lapse or unhealthy gateway in LOG during the window is warned about.
window() {
  local dir=$1 pid=$2 log=$3 admin=${4:-} deadline dump from
  deadline=$((SECONDS + START_TIMEOUT_S))
  until grep -q "every contract published" "$dir/sub.log"; do
    kill -0 "$pid" 2>/dev/null || fail "$pid exited: $(tail -5 "$log")"
    [ $SECONDS -lt $deadline ] || fail "nothing published: $(tail -5 "$log")"
    sleep 0.5
  done
  sleep "$SETTLE_S"
  callgrind_control --zero "$pid" >/dev/null 2>&1 || fail "callgrind_control --zero"
  from=$(wc -l <"$log")
  if [ -n "$admin" ]; then metrics_get "$admin" "$dir/metrics.before"; fi
  sleep "$WINDOW_S"
  callgrind_control --dump=window "$pid" >/dev/null 2>&1 ||
    fail "callgrind_control --dump"
  if [ -n "$admin" ]; then metrics_get "$admin" "$dir/metrics.after"; fi
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

# run_once HAMD NAME [dedup]: one measured run of HAMD in $TMP/NAME, with
# "dedup" fed by the hot standby's two gateways and its /metrics kept;
# callgrind_costs.py's line for its window goes to $TMP/NAME/costs. (Not
# in a subshell: PIDS must stay current for cleanup.)
run_once() {
  local bin=$1 dir=$TMP/$2 admin pub snap hub
  read -r admin pub snap <<<"$(free_ports 3)"
  hub_ini "$dir" "$admin" "$pub" "$snap" "${3:-}"
  sub_start "$dir" "$pub" "${3:-}"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
    "$bin" --config "$dir/hub.ini" >"$dir/hub.log" 2>&1 &
  hub=$!
  PIDS+=("$hub")
  window "$dir" "$hub" "$dir/hub.log" ${3:+"$admin"}
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
  HAMD_GW_ENDPOINT=ipc://$dir/gw.sock HAMD_ACCOUNT=bench_f HAMD_GW_PARAMS="{$GW_BATCH_PARAM}" \
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

# metric FILE NAME [ACCOUNT]: the value of NAME (of ACCOUNT's line) in the
# /metrics text FILE, 0 when absent.
metric() {
  local k=$2
  if [ -n "${3:-}" ]; then k+="{account=\"$3\"}"; fi
  awk -v k="$k" '$1 == k { v = $2 } END { printf("%.0f\n", v + 0) }' "$1"
}
# mdelta DIR NAME [ACCOUNT]: NAME's growth over DIR's window.
mdelta() {
  echo $(( $(metric "$1/metrics.after" "${@:2}") -
    $(metric "$1/metrics.before" "${@:2}") ))
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.0f", (b > 0) ? 100 * a / b : 0) }'; }

# dedup_check NAME: fails unless dedup run NAME measured the hot standby's
# path: about half the ticks received published and none of them twice
# (the subscriber's count of repeats, over the whole run), both gateways
# delivering, and in `first` mode the copies not published dropped as not
# newer than the last (duplicates), not kept for a replay or lost. Counts from
# the callgrind dump (exact for the window) and the hub's /metrics (its
# stats, refreshed once a second: about the window).
dedup_check() {
  local dir=$TMP/$1 line ticks published share sub m_ticks a n stale=0 src=""
  line=$(cat "$dir/costs")
  ticks=$(kv "$line" ticks)
  published=$(kv "$line" publish_calls)
  share=$(pct "$published" "$ticks")
  [ "$share" -le "$DEDUP_PUBLISHED_MAX_PCT" ] ||
    fail "$1: $published of $ticks ticks received were published ($share %):" \
      "the copies went out twice, the gateways' streams are not the same"
  [ "$share" -ge "$DEDUP_PUBLISHED_MIN_PCT" ] ||
    fail "$1: only $published of $ticks ticks received were published ($share %)"
  sub=$(grep '^ticks=' "$dir/sub.log" | tail -n 1)
  [ -n "$sub" ] || fail "$1: the subscriber counted no tick ($dir/sub.log)"
  [ "$(kv "$sub" repeats)" = 0 ] ||
    fail "$1: the subscriber got $(kv "$sub" repeats) of $(kv "$sub" ticks)" \
      "ticks a second time (extra.sim_seq not above the last): copies went" \
      "out twice, the gateways' streams are not the same"
  m_ticks=$(( $(mdelta "$dir" hamd_source_ticks_total bench_f) +
    $(mdelta "$dir" hamd_source_ticks_total bench_f2) ))
  for a in bench_f bench_f2; do
    n=$(mdelta "$dir" hamd_source_ticks_total "$a")
    [ "$(pct "$n" "$m_ticks")" -ge "$DEDUP_SOURCE_MIN_PCT" ] ||
      fail "$1: gateway $a delivered $n of the $m_ticks ticks received" \
        "(/metrics): not a hot standby of two"
    stale=$((stale + $(mdelta "$dir" hamd_source_stale_total "$a")))
    src+=" $a: $n received, $(mdelta "$dir" hamd_source_first_total "$a") first,"
    src+=" $(mdelta "$dir" hamd_source_lost_race_total "$a") lost the race;"
  done
  n=$((m_ticks - $(mdelta "$dir" hamd_ticks_published_total)))
  [ "$DEDUP_ARB" = priority ] || [ "$(pct "$stale" "$n")" -ge "$DEDUP_STALE_MIN_PCT" ] ||
    fail "$1: of the $n ticks received and not published (/metrics) only" \
      "$stale were dropped as not newer (stale): the others were kept for a" \
      "replay or lost, not dropped as duplicates"
  log "$1: $published of $ticks ticks received published (dump);${src%;};" \
    "$stale of $n not published were stale (/metrics), $((n - stale)) kept" \
    "for a replay; the subscriber got $(kv "$sub" ticks) ticks, none twice"
}

# take_dedup NAME: adds dedup run NAME's values per tick published, per
# tick received and its tick path per tick received to DEDUP_PT, IN_PT,
# DPATH_PT (blank-separated lists), and its counts to DEDUP_TICKS and
# DEDUP_PUBLISHED.
DEDUP_PT="" IN_PT="" DPATH_PT="" DEDUP_TICKS=0 DEDUP_PUBLISHED=0
take_dedup() {
  local line ticks published
  dedup_check "$1"
  line=$(cat "$TMP/$1/costs")
  ticks=$(kv "$line" ticks)
  published=$(kv "$line" publish_calls)
  DEDUP_TICKS=$((DEDUP_TICKS + ticks))
  DEDUP_PUBLISHED=$((DEDUP_PUBLISHED + published))
  DEDUP_PT+=" $(div "$(kv "$line" hub_instr)" "$published")"
  IN_PT+=" $(div "$(kv "$line" hub_instr)" "$ticks")"
  DPATH_PT+=" $(div "$(kv "$line" tickpath_instr)" "$ticks")"
  log "$1: instructions per tick published: hub ${DEDUP_PT##* };" \
    "per tick received: hub ${IN_PT##* }, tick path ${DPATH_PT##* }"
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
  if [ "$DEDUP" = 1 ]; then
    log "run $r of $RUNS: $HAMD under callgrind, a hot standby: two gateways" \
      "of one stream, $DEDUP_ARB arbitration"
    run_once "$HAMD" "dedup$r" dedup
    take_dedup "dedup$r"
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
result="RESULT $(fields this "") runs=$RUNS window_s=$WINDOW_S symbols=$SYMBOLS gw_batch=$GW_BATCH"
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
if [ "$DEDUP" = 1 ]; then
  result+=" dedup_instr_per_tick=$(median <<<"$DEDUP_PT")"
  result+=" dedup_in_instr_per_tick=$(median <<<"$IN_PT")"
  result+=" dedup_tickpath_instr_per_tick=$(median <<<"$DPATH_PT")"
  result+=" dedup_hub_ratio=$(ratio "$(kv "$result" dedup_instr_per_tick)" \
    "$(kv "$result" hub_instr_per_tick)")"
  result+=" dedup_ticks=$DEDUP_TICKS dedup_published=$DEDUP_PUBLISHED"
  result+=" dedup_runs=$(slash "$DEDUP_PT") dedup_in_runs=$(slash "$IN_PT")"
  result+=" dedup_tickpath_runs=$(slash "$DPATH_PT") dedup_arbitration=$DEDUP_ARB"
fi
result+=" recorded_hub_instr_per_tick=$RECORDED_HUB"
result+=" hub_vs_recorded_baseline_ratio=$(ratio "$(kv "$result" \
  hub_instr_per_tick)" "$RECORDED_HUB")"
echo "$result"
