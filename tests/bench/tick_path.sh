#!/usr/bin/env bash
# Benchmark of the tick path (docs/performance.md): hamd-gw-sim -> hamd -> client,
# against raw ZeroMQ PUB/SUB measured in the same run on the same host.
# A benchmark, not a test: it asserts no speed and exits 0 whenever it
# measured; non-zero only when it could not (build, start-up, no ticks).
#
#   tests/bench/tick_path.sh            (HAMD_BUILD_DIR, default ./build)
#
# Phases (docs/performance.md, "Tick path" explains them and the fields):
#   raw flood   bench_raw_pubsub: BENCH_RAW_COUNT messages of BENCH_RAW_SIZE
#               bytes as fast as the subscriber takes them -> raw_tps
#   raw paced   BENCH_RATE msg/s in 1 ms bursts -> raw latency
#   hub flood   one hamd-gw-sim, BENCH_FLOOD_SYMBOLS contracts at 1000
#               ticks/s each, more than the path carries -> hub_tps
#   hub fastgw  the same contracts from bench_gw_flood (pre-encoded ticks,
#               as cheap as the raw publisher) -> fastgw_tps
#   hub paced   BENCH_RATE ticks/s on BENCH_RATE/1000 contracts (1 ms
#               bursts, like the raw phase) plus quiet contracts up to
#               BENCH_SYMBOLS, each ticked once -> latency, loss, RSS with
#               BENCH_SYMBOLS cached
#   hub dedup   the same with a second simulator of the same seed per
#               exchange (a hot standby whose duplicates the hub drops)
#   hub console the paced run on one hub, BENCH_CONSOLE_ROUNDS times
#               without console streams, then with BENCH_STREAMS of them
#               open (curl -N /api/stream): what the console costs the tick
#               path -> console_hub_p99_ratio (mean p99 with / without)
#   raw tick    the raw flood with bodies as large as the hub's ticks
#   relay       the raw flood (both sizes) and the paced run at a tick's
#               size through a process that only forwards: the floor of
#               any hub on this host
#   real        realistic load, through the hub and through the relay:
#               BENCH_REAL_QUIET contracts ticked in one burst every
#               BENCH_REAL_BURST_MS (CTP's pattern: every contract twice a
#               second) plus BENCH_REAL_ACTIVE contracts at
#               BENCH_REAL_ACTIVE_RATE ticks/s each, from bench_gw_flood's
#               market pattern and bench_raw_pubsub --market -> latency of
#               both, RSS of the hub with them all cached
#   gwrelay     the fair floor (BENCH_GWRELAY): bench_gw_relay, a relay that
#               does nothing, placed where the hub sits, between the SAME
#               bench_gw_flood gateway and the SAME bench_tick_sub client
#               (--no-hub) as the hub phases it is set against:
#                 gwrelay_flood  the flood of hub fastgw -> gwrelay_tps,
#                                hub_gwrelay_tps_ratio (in a flood the
#                                client's CPU share sets the rate on both
#                                paths: docs/performance.md, "A fair
#                                floor")
#                 hub_gwpaced,   BENCH_RATE ticks/s from bench_gw_flood's
#                 gwrelay_paced  market pattern on BENCH_RATE/1000 active
#                                contracts at 1000/s, no quiet burst (1 ms
#                                passes, like the hub paced phase), through
#                                the hub and the relay ->
#                                hub_gwrelay_p99_ratio
#                 gwrelay_real   the real phase's source through the relay
#                                -> real_gwrelay_p99_us, real_gw_p99_diff_us
#                 realgw_hub,    the real phase's source with each burst
#                 realgw_relay   sent over BENCH_REAL_SPREAD_MS, as the
#                                real CTP gateway sends it, each tick
#                                stamped when sent, through the hub and the
#                                relay -> realgw_hub_p99_us,
#                                realgw_relay_p99_us, realgw_p99_diff_us
#                                (in the real phase, BENCH_REAL_ONLY too)
#               Each hub phase and its relay phase run back to back (order:
#               BENCH_GWRELAY_ORDER). The raw relay phases above stay, for
#               continuity with earlier runs.
# The last line is
#   RESULT hub_tps=... raw_tps=... tps_ratio=... hub_p50_us=... hub_p99_us=...
#          raw_p50_us=... raw_p99_us=... lost=... rss_mb=... rss_symbols=...
#          (then extra fields, the real_* ones, console_p99_us and
#          console_hub_p99_ratio among them), and last, in every mode,
#          load_before, load_after and spin_ms_before, spin_ms_after:
#          bench_spin's time for a fixed piece of work before and after
#          the phases, the host's speed (higher is slower; "none" with a
#          build that lacks it)
#
# Knobs (environment): HAMD_BUILD_DIR, HAMD_BENCH_TARGETS (what to build;
# default "hamd hamd-gw-sim bench_raw_pubsub bench_tick_sub bench_gw_flood
# bench_gw_relay"),
# BENCH_RAW_COUNT (1000000), BENCH_RAW_SIZE (200), BENCH_RATE (100000),
# BENCH_SYMBOLS (5000), BENCH_FLOOD_SYMBOLS (1000), BENCH_MEASURE_S (5),
# BENCH_DEDUP (1: run the dedup phase), BENCH_STREAMS (8: console streams
# of the console phase), BENCH_CONSOLE_ROUNDS (2), BENCH_REAL (1: run the
# realistic phase), BENCH_REAL_ONLY (1: only that one, ~40 s),
# BENCH_PACED_ONLY (1: only the hub paced phase, ~12 s: its latency and
# the hub's RSS with BENCH_SYMBOLS cached), BENCH_DEDUP_ONLY (1: the hub
# paced phase and the dedup phase, ~25 s, in BENCH_GWRELAY_ORDER's order:
# relay-first runs dedup first; RESULT adds dedup_hub_p99_ratio =
# dedup_p99_us / hub_p99_us), BENCH_SMAPS (1: copy the hub's
# /proc/PID/smaps to $TMP/NAME.smaps after each measurement, with
# BENCH_KEEP=1 to look at them: where its resident memory is),
# BENCH_REAL_QUIET (5000), BENCH_REAL_BURST_MS (500), BENCH_REAL_ACTIVE
# (200), BENCH_REAL_ACTIVE_RATE (20), BENCH_REAL_SPREAD_MS (210: the burst
# spread of the realgw pair, hamd-gw-vnpy's measured pace for 5,000
# contracts, tests/bench/gw_vnpy_burst.py; docs/performance.md, "The burst
# as the real gateway sends it"), BENCH_GWRELAY (1: run the fair-floor
# phases), BENCH_GWRELAY_ONLY (1: only the three hub/relay pairs, hub
# fastgw and gwrelay_flood, hub_gwpaced and gwrelay_paced, hub_real and
# gwrelay_real, ~1 min; RESULT has their fields only),
# BENCH_REAL_VALIDATE (1: the real phase's two patterns also through
# bench_gw_relay --validate, the relay that validates every tick with the
# hub's decoder -> real_validate_p99_diff_us, realgw_validate_p99_diff_us:
# what validation alone costs; ~20 s more),
# BENCH_GWRELAY_ORDER (hub-first or relay-first: which of each pair runs
# first; alternate it between runs so a host getting busier favours
# neither), BENCH_KEEP (1: keep the temp dir with configs and logs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${HAMD_BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
TARGETS=${HAMD_BENCH_TARGETS:-hamd hamd-gw-sim bench_raw_pubsub bench_tick_sub bench_gw_flood bench_gw_relay bench_spin}
RAW_COUNT=${BENCH_RAW_COUNT:-1000000}
RAW_SIZE=${BENCH_RAW_SIZE:-200}
RATE=${BENCH_RATE:-100000}
SYMBOLS=${BENCH_SYMBOLS:-5000}
FLOOD_SYMBOLS=${BENCH_FLOOD_SYMBOLS:-1000}
MEASURE_S=${BENCH_MEASURE_S:-5}
DEDUP=${BENCH_DEDUP:-1}
REAL=${BENCH_REAL:-1}
REAL_ONLY=${BENCH_REAL_ONLY:-0}
REAL_VALIDATE=${BENCH_REAL_VALIDATE:-0}
PACED_ONLY=${BENCH_PACED_ONLY:-0}
DEDUP_ONLY=${BENCH_DEDUP_ONLY:-0}
SMAPS=${BENCH_SMAPS:-0}
REAL_QUIET=${BENCH_REAL_QUIET:-5000}
REAL_BURST_MS=${BENCH_REAL_BURST_MS:-500}
REAL_ACTIVE=${BENCH_REAL_ACTIVE:-200}
REAL_ACTIVE_RATE=${BENCH_REAL_ACTIVE_RATE:-20}
# hamd-gw-vnpy sends a 5,000-contract burst over ~210 ms (median of 3 runs
# of tests/bench/gw_vnpy_burst.py, docs/performance.md)
REAL_SPREAD_MS=${BENCH_REAL_SPREAD_MS:-210}
GWRELAY=${BENCH_GWRELAY:-1}
GWRELAY_ONLY=${BENCH_GWRELAY_ONLY:-0}
GWRELAY_ORDER=${BENCH_GWRELAY_ORDER:-hub-first}
STREAMS=${BENCH_STREAMS:-8}
CONSOLE_ROUNDS=${BENCH_CONSOLE_ROUNDS:-2} # an even number: as many rounds
                                          # start with streams as without

SIM_MAX_RATE=1000          # ticks/s per contract: the simulator's ceiling
SIM_QUIET_RATE=0.001       # one tick per 1000 s: ticked once at subscribe
RAW_PACED_S=4              # length of the raw paced run
RAW_SKIP_S=1               # its warm-up, left out of the latency
HUB_WARMUP_S=2             # from the first tick to the measurement window
HUB_FIRST_TICK_S=20        # start-up budget of a hub phase
HUB_STOP_WAIT_S=5          # SIGTERM -> SIGKILL
PUB_HWM=10000000           # hub PUB high-water mark: large, so nothing drops
SYMBOLS_PER_LINE=500       # [subscriptions] symbols lines stay short
REAL_ACTIVE_PREFIX=a       # the realistic phase's active contracts start so
GWPACED_BURST_MS=1000      # gwpaced: market mode needs a burst period; with
                           # every contract active the burst sends nothing
GW_ACCOUNT=bench_f         # the account bench_gw_flood serves (relay phases)

# shellcheck source=tests/bench/bench_lib.sh
. "$ROOT/tests/bench/bench_lib.sh"

log() { echo "[tick_path $(date +%H:%M:%S)] $*" >&2; }
fail() { log "could not measure: $*"; exit 1; }

HAMD=$BUILD/src/hamd
GW_SIM=$BUILD/src/hamd-gw-sim
GW_FLOOD=$BUILD/tests/bench_gw_flood
RAW=$BUILD/tests/bench_raw_pubsub
TICK_SUB=$BUILD/tests/bench_tick_sub
GW_RELAY=$BUILD/tests/bench_gw_relay
SPIN=$BUILD/tests/bench_spin   # optional: the host's speed, spin_ms

# shellcheck disable=SC2086 # TARGETS is a list
cmake --build "$BUILD" --target $TARGETS >&2 || fail "cmake --build $BUILD failed"
command -v curl >/dev/null || fail "curl is missing (deploy/install-deps.sh --tests)"
for exe in "$HAMD" "$GW_SIM" "$GW_FLOOD" "$RAW" "$TICK_SUB" "$GW_RELAY"; do
  [ -x "$exe" ] || fail "$exe is missing"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hamd-bench.XXXXXX")
PIDS=()

# Stops every process this script started (hubs, their simulators, the
# benchmark programs), then removes the temp dir.
cleanup() {
  stop_pids "$HUB_STOP_WAIT_S" "${PIDS[@]}"
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# forget PID...: drops finished processes from PIDS, so cleanup never
# signals a number the system may have given to another process since.
forget() {
  local p q keep=()
  for p in "${PIDS[@]}"; do
    for q in "$@"; do [ "$p" = "$q" ] && continue 2; done
    keep+=("$p")
  done
  PIDS=("${keep[@]}")
}

# kv FILE KEY: the value of KEY=... in the last line of FILE.
kv() { tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# minus A B: A - B, one decimal (a p99 difference).
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.1f", a - b) }'; }
# div A B: A / B to three decimals (0 when B is not positive); sum A B.
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.3f", (b > 0) ? a / b : 0) }'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", a + b) }'; }

# ---------------------------------------------------------------------------
# Raw ZeroMQ baseline
# ---------------------------------------------------------------------------

# raw_run NAME PUB-ARGS...: one publisher/subscriber pair; the subscriber's
# line goes to $TMP/NAME.out. With RAW_RELAY=1 the messages go through
# `bench_raw_pubsub relay`, a process that only forwards them: two hops
# and three processes, like the hub's path, with nothing done in between.
raw_run() {
  local name=$1; shift
  local in out sub relay=""
  read -r in out <<<"$(free_ports 2)"
  if [ "${RAW_RELAY:-0}" = 1 ]; then
    "$RAW" relay "tcp://127.0.0.1:$in" "tcp://127.0.0.1:$out" 2>>"$TMP/$name.err" &
    relay=$!
    PIDS+=("$relay")
  else
    out=$in
  fi
  "$RAW" sub "tcp://127.0.0.1:$out" --skip-s "$RAW_SKIP_S" >"$TMP/$name.out" \
    2>>"$TMP/$name.err" &
  sub=$!
  PIDS+=("$sub")
  "$RAW" pub "tcp://127.0.0.1:$in" --size "$RAW_SIZE" "$@" 2>>"$TMP/$name.err" ||
    fail "raw publisher ($name): $(cat "$TMP/$name.err")"
  wait "$sub" || fail "raw subscriber ($name): $(cat "$TMP/$name.err")"
  forget "$sub"
  if [ -n "$relay" ]; then
    kill -TERM "$relay" 2>/dev/null || true
    wait "$relay" 2>/dev/null || true
    forget "$relay"
  fi
  log "$name: $(cat "$TMP/$name.out")"
}

# ---------------------------------------------------------------------------
# The hub
# ---------------------------------------------------------------------------

# symbols PREFIX FROM COUNT EXCHANGE: vt_symbols PREFIX0000.EXCHANGE ...
symbols() {
  local i
  for ((i = $2; i < $2 + $3; i++)); do printf '%s%04d.%s\n' "$1" "$i" "$4"; done
}

# hub_ini NAME PORTS SYMFILE ACCOUNTS...: a standalone node's config
# (no [peer.N]); each ACCOUNT is "id|priority|exchanges|params-json" with
# an optional "|gateway_type" (default sim).
hub_ini() {
  local name=$1 ports=$2 symfile=$3; shift 3
  local admin pub snap acct id prio exch params type
  read -r admin pub snap <<<"$ports"
  mkdir -p "$TMP/$name"
  {
    printf '[node]\nid = 1\ndata_dir = %s\nlog_level = info\n' "$TMP/$name"
    printf 'admin = 127.0.0.1:%s\npublish = tcp://127.0.0.1:%s\n' "$admin" "$pub"
    printf 'snapshot = tcp://127.0.0.1:%s\n\n' "$snap"
    printf '[publish]\nhwm = %s\n\n' "$PUB_HWM"
    printf '[gateways]\nsim = %s\nflood = %s\n\n' "$GW_SIM" "$GW_FLOOD"
    # A flooded simulator falls behind the wall clock by design: keep the
    # health monitor from declaring it late and restarting it.
    printf '[health]\nlatency_ms = 600000\nstale_ms = 600000\n\n'
    printf '[failover]\nrestart_after_ms = 3600000\n\n'
    for acct in "$@"; do
      IFS='|' read -r id prio exch params type <<<"$acct"
      printf '[account.%s]\ngateway_type = %s\npriority = %s\n' "$id" "${type:-sim}" "$prio"
      printf 'exchanges = %s\nparams = %s\n\n' "$exch" "$params"
    done
    printf '[subscriptions]\n'
    xargs -n "$SYMBOLS_PER_LINE" <"$symfile" | sed 's/ /, /g; s/^/symbols = /'
  } >"$TMP/$name.ini"
}

# streams_open ADMIN N: N console streams (curl -N /api/stream) on the
# hub's admin address, reading and discarding; their pids go to STREAM_PIDS.
streams_open() {
  local i
  STREAM_PIDS=()
  for ((i = 0; i < $2; i++)); do
    curl -sN --noproxy '*' "http://127.0.0.1:$1/api/stream?level=info" >/dev/null 2>&1 &
    STREAM_PIDS+=($!)
    PIDS+=($!)
  done
}

# streams_close: checks that every stream stayed open (a refused or
# dropped one ends its curl), then stops them.
streams_close() {
  local p
  for p in "${STREAM_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || fail "a console stream ended during the measurement"
  done
  for p in "${STREAM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${STREAM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  forget "${STREAM_PIDS[@]}"
  STREAM_PIDS=()
}

# hub_start NAME SYMFILE ACCOUNTS...: starts hamd with a config of those
# accounts and waits for its simulators; sets HUB_PID, HUB_SIMS (a list),
# HUB_ADMIN, HUB_PUB and HUB_SNAP (ports).
hub_start() {
  local name=$1 symfile=$2; shift 2
  local ports p deadline
  ports=$(free_ports 3)
  read -r HUB_ADMIN HUB_PUB HUB_SNAP <<<"$ports"
  hub_ini "$name" "$ports" "$symfile" "$@"
  "$HAMD" --config "$TMP/$name.ini" >"$TMP/$name.log" 2>&1 &
  HUB_PID=$!
  PIDS+=("$HUB_PID")
  deadline=$((SECONDS + HUB_FIRST_TICK_S))
  while [ "$(pgrep -P "$HUB_PID" | wc -l)" -lt $# ]; do
    kill -0 "$HUB_PID" 2>/dev/null || fail "hamd ($name) exited: $(tail -5 "$TMP/$name.log")"
    [ $SECONDS -lt $deadline ] || fail "hamd ($name) started no simulator"
    sleep 0.1
  done
  HUB_SIMS=$(pgrep -P "$HUB_PID" | tr '\n' ' ')
  for p in $HUB_SIMS; do PIDS+=("$p"); done
}

# hub_measure HUBNAME NAME: one bench_tick_sub run against the running hub
# (log in $TMP/HUBNAME.log); the client's line goes to $TMP/NAME.out.
hub_measure() {
  local hubname=$1 name=$2 cpu_args=(--cpu "hub=$HUB_PID") p i=0
  for p in $HUB_SIMS; do i=$((i + 1)); cpu_args+=(--cpu "sim$i=$p"); done
  "$TICK_SUB" --connect "tcp://127.0.0.1:$HUB_PUB" --snapshot "tcp://127.0.0.1:$HUB_SNAP" \
    --warmup-s "$HUB_WARMUP_S" --measure-s "$MEASURE_S" \
    --first-timeout-s "$HUB_FIRST_TICK_S" --rss-pid "$HUB_PID" "${cpu_args[@]}" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    fail "no ticks from hamd ($name): $(cat "$TMP/$name.err"; tail -5 "$TMP/$hubname.log")"
  if [ "$SMAPS" = 1 ]; then cp "/proc/$HUB_PID/smaps" "$TMP/$name.smaps" || true; fi
  log "$name: $(cat "$TMP/$name.out")"
}

# hub_stop: SIGTERM to the running hub, SIGKILL after HUB_STOP_WAIT_S.
hub_stop() {
  local deadline
  kill -TERM "$HUB_PID" 2>/dev/null || true
  deadline=$((SECONDS + HUB_STOP_WAIT_S))
  while kill -0 "$HUB_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  # shellcheck disable=SC2086 # HUB_SIMS is a list
  kill -KILL "$HUB_PID" $HUB_SIMS 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  # shellcheck disable=SC2086
  forget "$HUB_PID" $HUB_SIMS
}

# hub_run NAME SYMFILE ACCOUNTS...: starts hamd, measures with
# bench_tick_sub, stops hamd. The client's line goes to $TMP/NAME.out.
hub_run() {
  hub_start "$@"
  hub_measure "$1" "$1"
  hub_stop
}

# hub_console_measure NAME R: round R's measurement with STREAMS console
# streams open (NAME_onR.out).
hub_console_measure() {
  streams_open "$HUB_ADMIN" "$STREAMS"
  hub_measure "$1" "${1}_on$2"
  streams_close
}

# hub_console_run NAME SYMFILE ACCOUNTS...: one hub, CONSOLE_ROUNDS rounds
# of a measurement without console streams (NAME_offR.out) and one with
# STREAMS of them open (NAME_onR.out): the same process and contracts, so
# the difference is what the streams cost. Odd rounds measure without
# first, even rounds with first, so that a host getting busier (or
# quieter) during the phase favours neither side.
hub_console_run() {
  local name=$1 r
  hub_start "$@"
  for ((r = 1; r <= CONSOLE_ROUNDS; r++)); do
    if ((r % 2)); then
      hub_measure "$name" "${name}_off$r"
      hub_console_measure "$name" "$r"
    else
      hub_console_measure "$name" "$r"
      hub_measure "$name" "${name}_off$r"
    fi
  done
  hub_stop
}

# mean_kv KEY FILE...: the mean of KEY over the files' last lines.
mean_kv() {
  local key=$1 f vals=()
  shift
  for f in "$@"; do vals+=("$(kv "$f" "$key")"); done
  printf '%s\n' "${vals[@]}" | awk '{ s += $1; n++ } END { printf("%.1f", n ? s / n : 0) }'
}

# The simulator params of the paced phases: the first FAST contracts of
# SYMFILE at the top rate through `rates`, every other contract quiet.
paced_params() {
  local fast=$1 rates
  rates=$(head -n "$fast" "$TMP/paced_shfe.sym" |
    sed "s/.*/\"&\": $SIM_MAX_RATE/" | paste -sd, -)
  printf '{"seed": 11, "rate": %s, "rates": {%s}}' "$SIM_QUIET_RATE" "$rates"
}

# paced_setup: the paced contracts, half on SHFE (the fast ones first),
# half on DCE, one simulator per exchange (a SUBSCRIBE carries at most
# 4096 symbols, HAMD_GW_SYMBOLS_MAX; hamd splits longer lists, the
# split is not what this phase measures); sets FAST, FAST_PARAMS, QUIET_PARAMS.
paced_setup() {
  local n_shfe
  FAST=$(( (RATE + SIM_MAX_RATE - 1) / SIM_MAX_RATE ))
  n_shfe=$(( SYMBOLS / 2 ))
  [ "$FAST" -le "$n_shfe" ] || fail "BENCH_SYMBOLS must be >= 2 * BENCH_RATE / $SIM_MAX_RATE"
  { symbols f 0 "$FAST" SHFE; symbols q 0 $((n_shfe - FAST)) SHFE; } >"$TMP/paced_shfe.sym"
  symbols q "$n_shfe" $((SYMBOLS - n_shfe)) DCE >"$TMP/paced_dce.sym"
  cat "$TMP/paced_shfe.sym" "$TMP/paced_dce.sym" >"$TMP/paced.sym"
  FAST_PARAMS=$(paced_params "$FAST")
  QUIET_PARAMS="{\"seed\": 11, \"rate\": $SIM_QUIET_RATE}"
}

# real_setup: the realistic phase's contracts ($TMP/real.sym) and
# bench_gw_flood's params for them (REAL_PARAMS).
real_setup() {
  { symbols "$REAL_ACTIVE_PREFIX" 0 "$REAL_ACTIVE" SHFE
    symbols q 0 "$REAL_QUIET" SHFE; } >"$TMP/real.sym"
  REAL_PARAMS="{\"burst_ms\": $REAL_BURST_MS, \"active_prefix\": \"$REAL_ACTIVE_PREFIX\","
  REAL_PARAMS+=" \"active_rate\": $REAL_ACTIVE_RATE}"
  REALGW_PARAMS="${REAL_PARAMS%\}}, \"burst_spread_ms\": $REAL_SPREAD_MS}"
}

# real_hub, real_gwrelay: the realistic load through the hub, through
# bench_gw_relay (the same gateway and client).
real_hub() {
  log "real: $REAL_QUIET contracts in a burst every ${REAL_BURST_MS} ms," \
    "$REAL_ACTIVE at $REAL_ACTIVE_RATE ticks/s, through the hub"
  hub_run hub_real "$TMP/real.sym" "bench_r|1|SHFE|$REAL_PARAMS|flood"
}
real_gwrelay() {
  log "real: the same gateway and client through bench_gw_relay"
  gwrelay_run gwrelay_real "$TMP/real.sym" "$REAL_PARAMS"
}

# realgw_hub, realgw_relay: the same with each burst spread over
# REAL_SPREAD_MS, each tick stamped when sent (the real gateway's pace).
realgw_hub() {
  log "realgw: the real pattern, bursts spread over ${REAL_SPREAD_MS} ms, through the hub"
  hub_run hub_realgw "$TMP/real.sym" "bench_r|1|SHFE|$REALGW_PARAMS|flood"
}
realgw_relay() {
  log "realgw: the same through bench_gw_relay"
  gwrelay_run gwrelay_realgw "$TMP/real.sym" "$REALGW_PARAMS"
}

# real_vrelay, realgw_vrelay (BENCH_REAL_VALIDATE): both patterns through
# bench_gw_relay --validate, the relay that also validates every tick with
# the hub's decoder: what validation alone costs against the plain relay.
real_vrelay() {
  log "real: the same through bench_gw_relay --validate"
  gwrelay_run gwrelay_vreal "$TMP/real.sym" "$REAL_PARAMS" --validate
}
realgw_vrelay() {
  log "realgw: the same through bench_gw_relay --validate"
  gwrelay_run gwrelay_vrealgw "$TMP/real.sym" "$REALGW_PARAMS" --validate
}

# real_phase: the realistic load through the hub and (BENCH_GWRELAY)
# bench_gw_relay, then the same pattern through the raw relay at the size
# of the hub's ticks (bench_raw_pubsub --market).
real_phase() {
  local bytes
  real_setup
  if [ "$GWRELAY" = 1 ] && [ "$REAL_VALIDATE" = 1 ]; then
    pair real_hub real_gwrelay real_vrelay
    pair realgw_hub realgw_relay realgw_vrelay
  elif [ "$GWRELAY" = 1 ]; then
    pair real_hub real_gwrelay
    pair realgw_hub realgw_relay
  else
    real_hub
  fi
  bytes=$(kv "$TMP/hub_real.out" body_bytes)
  log "real: the same pattern through a forwarding process, $bytes bytes"
  RAW_SKIP_S=$HUB_WARMUP_S RAW_RELAY=1 RAW_SIZE=$bytes raw_run relay_real --market "$REAL_QUIET" \
    "$REAL_BURST_MS" "$REAL_ACTIVE" "$REAL_ACTIVE_RATE" $((HUB_WARMUP_S + MEASURE_S))
}

# real_fields: the realistic phase's RESULT fields.
real_fields() {
  local H=$TMP/hub_real.out R=$TMP/relay_real.out gw=""
  if [ "$GWRELAY" = 1 ]; then gw=" $(real_gw_fields)"; fi
  echo "real_hub_p50_us=$(kv "$H" e2e_p50_us) real_hub_p99_us=$(kv "$H" e2e_p99_us)" \
    "real_relay_p50_us=$(kv "$R" p50_us) real_relay_p99_us=$(kv "$R" p99_us)" \
    "real_p99_diff_us=$(minus "$(kv "$H" e2e_p99_us)" "$(kv "$R" p99_us)")" \
    "real_rss_mb=$(kv "$H" rss_mb) real_rss_symbols=$(kv "$H" snapshot_count)" \
    "real_tps=$(kv "$H" tps) real_relay_tps=$(kv "$R" tps)" \
    "real_lost=$(( $(kv "$H" lost_seq) + $(kv "$H" lost_sim) + $(kv "$R" lost) ))" \
    "real_hub_cpu_us_per_tick=$(kv "$H" cpu_hub_us_per_tick)" \
    "real_gw_cpu_us_per_tick=$(kv "$H" cpu_sim1_us_per_tick)" \
    "real_tick_bytes=$(kv "$H" body_bytes) real_other_cpu_pct=$(kv "$H" other_cpu_pct)$gw"
}

# ---------------------------------------------------------------------------
# The fair floor: a relay where the hub sits
# ---------------------------------------------------------------------------

# gwrelay_run NAME SYMFILE PARAMS: bench_gw_relay between bench_gw_flood
# (HAMD_GW_PARAMS=PARAMS; the relay SUBSCRIBEs it to SYMFILE) and
# bench_tick_sub --no-hub, measured as hub_measure measures a hub; the
# client's line goes to $TMP/NAME.out. The relay gets the hub's PUB
# high-water mark and an ipc gateway endpoint, like hamd's default.
gwrelay_run() {
  local name=$1 symfile=$2 params=$3 pub relay gw gw_ep
  pub=$(free_ports 1)
  gw_ep="ipc://$TMP/$name.gw.sock"
  "$GW_RELAY" --gw "$gw_ep" --pub "tcp://127.0.0.1:$pub" --symbols "$symfile" \
    --hwm "$PUB_HWM" "${@:4}" 2>"$TMP/$name.log" &
  relay=$!
  PIDS+=("$relay")
  HAMD_GW_ENDPOINT=$gw_ep HAMD_ACCOUNT=$GW_ACCOUNT HAMD_GW_PARAMS=$params \
    "$GW_FLOOD" 2>>"$TMP/$name.log" &
  gw=$!
  PIDS+=("$gw")
  "$TICK_SUB" --no-hub --connect "tcp://127.0.0.1:$pub" \
    --warmup-s "$HUB_WARMUP_S" --measure-s "$MEASURE_S" \
    --first-timeout-s "$HUB_FIRST_TICK_S" --cpu "relay=$relay" --cpu "gw=$gw" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    fail "no ticks through bench_gw_relay ($name): $(cat "$TMP/$name.err"; tail -5 "$TMP/$name.log")"
  stop_pids "$HUB_STOP_WAIT_S" "$gw" "$relay"
  forget "$gw" "$relay"
  log "$name: $(cat "$TMP/$name.out")"
}

# pair HUB RELAY [VRELAY]: runs the functions back to back, in
# GWRELAY_ORDER (relay-first reverses them all).
pair() {
  local runs=("$@") i
  case $GWRELAY_ORDER in
    relay-first) for ((i = $# - 1; i >= 0; i--)); do "${runs[i]}"; done ;;
    *) for i in "${runs[@]}"; do "$i"; done ;;
  esac
}

# The flood pair: bench_gw_flood as fast as the path takes its ticks on
# the FLOOD_SYMBOLS contracts of $TMP/flood.sym.
fastgw_hub() {
  log "hub flood, cheap gateway: bench_gw_flood on the same $FLOOD_SYMBOLS contracts"
  hub_run hub_fastgw "$TMP/flood.sym" "bench_f|1|SHFE|{}|flood"
}
fastgw_relay() {
  log "gwrelay flood: the same gateway and client through bench_gw_relay"
  gwrelay_run gwrelay_flood "$TMP/flood.sym" "{}"
}

# The paced pair: bench_gw_flood's market pattern with every contract
# active: RATE ticks/s over RATE/SIM_MAX_RATE contracts at SIM_MAX_RATE
# each, sent in 1 ms passes each stamped once (the hub paced phase's
# pattern), and no quiet burst.
gwpaced_setup() {
  symbols "$REAL_ACTIVE_PREFIX" 0 $(( (RATE + SIM_MAX_RATE - 1) / SIM_MAX_RATE )) SHFE \
    >"$TMP/gwpaced.sym"
  GWPACED_PARAMS="{\"burst_ms\": $GWPACED_BURST_MS, \"active_prefix\": \"$REAL_ACTIVE_PREFIX\","
  GWPACED_PARAMS+=" \"active_rate\": $SIM_MAX_RATE}"
}
gwpaced_hub() {
  log "hub gwpaced: $RATE ticks/s from bench_gw_flood through the hub"
  hub_run hub_gwpaced "$TMP/gwpaced.sym" "bench_f|1|SHFE|$GWPACED_PARAMS|flood"
}
gwpaced_relay() {
  log "gwrelay paced: $RATE ticks/s from bench_gw_flood through bench_gw_relay"
  gwrelay_run gwrelay_paced "$TMP/gwpaced.sym" "$GWPACED_PARAMS"
}

# gwrelay_fields: the RESULT fields of the flood and paced pairs.
gwrelay_fields() {
  local G=$TMP/hub_fastgw.out GR=$TMP/gwrelay_flood.out
  local HP=$TMP/hub_gwpaced.out RP=$TMP/gwrelay_paced.out
  echo "gwrelay_tps=$(kv "$GR" tps)" \
    "hub_gwrelay_tps_ratio=$(div "$(kv "$G" tps)" "$(kv "$GR" tps)")" \
    "gwrelay_cpu_us_per_tick=$(kv "$GR" cpu_relay_us_per_tick)" \
    "gwrelay_gw_cpu_us_per_tick=$(kv "$GR" cpu_gw_us_per_tick)" \
    "gwrelay_sub_cpu_us_per_tick=$(kv "$GR" cpu_sub_us_per_tick)" \
    "fastgw_sub_cpu_us_per_tick=$(kv "$G" cpu_sub_us_per_tick)" \
    "gwrelay_other_cpu_pct=$(kv "$GR" other_cpu_pct)" \
    "fastgw_e2e_p50_us=$(kv "$G" e2e_p50_us) gwrelay_e2e_p50_us=$(kv "$GR" e2e_p50_us)" \
    "gwpaced_hub_p50_us=$(kv "$HP" e2e_p50_us) gwpaced_hub_p99_us=$(kv "$HP" e2e_p99_us)" \
    "gwrelay_paced_p50_us=$(kv "$RP" e2e_p50_us) gwrelay_paced_p99_us=$(kv "$RP" e2e_p99_us)" \
    "hub_gwrelay_p99_ratio=$(div "$(kv "$HP" e2e_p99_us)" "$(kv "$RP" e2e_p99_us)")" \
    "gwpaced_tps=$(kv "$HP" tps) gwrelay_paced_tps=$(kv "$RP" tps)" \
    "gwpaced_hub_cpu_us_per_tick=$(kv "$HP" cpu_hub_us_per_tick)" \
    "gwrelay_paced_cpu_us_per_tick=$(kv "$RP" cpu_relay_us_per_tick)" \
    "gwpaced_other_cpu_pct=$(kv "$HP" other_cpu_pct)" \
    "gwrelay_paced_other_cpu_pct=$(kv "$RP" other_cpu_pct)" \
    "gwpaced_lost=$(( $(kv "$HP" lost_seq) + $(kv "$HP" lost_sim) ))" \
    "gwrelay_lost=$(( $(kv "$GR" lost_sim) + $(kv "$RP" lost_sim) ))" \
    "gwrelay_tick_bytes=$(kv "$GR" body_bytes)"
}

# real_gw_fields: the realistic phase through bench_gw_relay, against the
# hub's.
real_gw_fields() {
  local H=$TMP/hub_real.out R=$TMP/gwrelay_real.out
  echo "real_gwrelay_p50_us=$(kv "$R" e2e_p50_us) real_gwrelay_p99_us=$(kv "$R" e2e_p99_us)" \
    "real_gw_p99_diff_us=$(minus "$(kv "$H" e2e_p99_us)" "$(kv "$R" e2e_p99_us)")" \
    "real_gwrelay_tps=$(kv "$R" tps) real_gwrelay_lost=$(kv "$R" lost_sim)" \
    "real_gwrelay_cpu_us_per_tick=$(kv "$R" cpu_relay_us_per_tick)" \
    "real_gwrelay_other_cpu_pct=$(kv "$R" other_cpu_pct)" \
    "$(realgw_fields)"
}

# realgw_fields: the realgw pair (bursts at the real gateway's pace).
realgw_fields() {
  local H=$TMP/hub_realgw.out R=$TMP/gwrelay_realgw.out
  [ -f "$H" ] || return 0 # BENCH_GWRELAY_ONLY does not run it
  echo "realgw_hub_p50_us=$(kv "$H" e2e_p50_us) realgw_hub_p99_us=$(kv "$H" e2e_p99_us)" \
    "realgw_relay_p50_us=$(kv "$R" e2e_p50_us) realgw_relay_p99_us=$(kv "$R" e2e_p99_us)" \
    "realgw_p99_diff_us=$(minus "$(kv "$H" e2e_p99_us)" "$(kv "$R" e2e_p99_us)")" \
    "realgw_hub_max_us=$(kv "$H" e2e_max_us) realgw_relay_max_us=$(kv "$R" e2e_max_us)" \
    "realgw_gwhub_p99_us=$(kv "$H" gwhub_p99_us) realgw_hubsub_p99_us=$(kv "$H" hubsub_p99_us)" \
    "realgw_spread_ms=$REAL_SPREAD_MS realgw_tps=$(kv "$H" tps) realgw_relay_tps=$(kv "$R" tps)" \
    "realgw_lost=$(( $(kv "$H" lost_seq) + $(kv "$H" lost_sim) + $(kv "$R" lost_sim) ))" \
    "realgw_hub_cpu_us_per_tick=$(kv "$H" cpu_hub_us_per_tick)" \
    "realgw_relay_cpu_us_per_tick=$(kv "$R" cpu_relay_us_per_tick)" \
    "realgw_other_cpu_pct=$(kv "$H" other_cpu_pct) realgw_relay_other_cpu_pct=$(kv "$R" other_cpu_pct)" \
    "$(validate_fields real "$TMP/hub_real.out" "$TMP/gwrelay_real.out" "$TMP/gwrelay_vreal.out")" \
    "$(validate_fields realgw "$H" "$R" "$TMP/gwrelay_vrealgw.out")"
}

# validate_fields PREFIX HUB RELAY VRELAY: the validating relay's fields
# (BENCH_REAL_VALIDATE), against the plain relay and the hub of the pair.
validate_fields() {
  local P=$1 H=$2 R=$3 V=$4
  [ -f "$V" ] || return 0
  echo "${P}_vrelay_p50_us=$(kv "$V" e2e_p50_us) ${P}_vrelay_p99_us=$(kv "$V" e2e_p99_us)" \
    "${P}_validate_p99_diff_us=$(minus "$(kv "$V" e2e_p99_us)" "$(kv "$R" e2e_p99_us)")" \
    "${P}_hub_vrelay_p99_diff_us=$(minus "$(kv "$H" e2e_p99_us)" "$(kv "$V" e2e_p99_us)")" \
    "${P}_vrelay_cpu_us_per_tick=$(kv "$V" cpu_relay_us_per_tick)" \
    "${P}_vrelay_lost=$(kv "$V" lost_sim)"
}

# gwrelay_only: the three hub/relay pairs alone (BENCH_GWRELAY_ONLY).
gwrelay_only() {
  local G=$TMP/hub_fastgw.out H=$TMP/hub_real.out
  symbols t 0 "$FLOOD_SYMBOLS" SHFE >"$TMP/flood.sym"
  gwpaced_setup
  real_setup
  pair fastgw_hub fastgw_relay
  pair gwpaced_hub gwpaced_relay
  pair real_hub real_gwrelay
  echo "RESULT fastgw_tps=$(kv "$G" tps) $(gwrelay_fields)" \
    "fastgw_hub_cpu_us_per_tick=$(kv "$G" cpu_hub_us_per_tick)" \
    "fastgw_gw_cpu_us_per_tick=$(kv "$G" cpu_sim1_us_per_tick)" \
    "fastgw_other_cpu_pct=$(kv "$G" other_cpu_pct)" \
    "real_hub_p50_us=$(kv "$H" e2e_p50_us) real_hub_p99_us=$(kv "$H" e2e_p99_us)" \
    "real_tps=$(kv "$H" tps) real_hub_cpu_us_per_tick=$(kv "$H" cpu_hub_us_per_tick)" \
    "real_other_cpu_pct=$(kv "$H" other_cpu_pct)" \
    "real_lost=$(( $(kv "$H" lost_seq) + $(kv "$H" lost_sim) ))" \
    "$(real_gw_fields) order=$GWRELAY_ORDER $(load_fields)"
}

# spin_ms: bench_spin's time for its fixed work now (the host's speed:
# higher is slower), "none" without it (an older build).
spin_ms() {
  if [ -x "$SPIN" ]; then "$SPIN" 2>/dev/null | sed -n 's/^spin_ms=//p'; else echo none; fi
}

# load_fields: the host around the run, the RESULT line's last fields.
load_fields() {
  echo "load_before=$LOAD_BEFORE load_after=$(cut -d' ' -f1 /proc/loadavg)" \
    "spin_ms_before=$SPIN_BEFORE spin_ms_after=$(spin_ms)"
}

# paced_run: the hub paced phase (paced_setup first) -> hub_paced.out.
paced_run() {
  log "hub paced: $FAST contracts at $SIM_MAX_RATE ticks/s, $SYMBOLS subscribed"
  hub_run hub_paced "$TMP/paced.sym" "bench_shfe|1|SHFE|$FAST_PARAMS" \
    "bench_dce|1|DCE|$QUIET_PARAMS"
}

# dedup_run: the same with a hot standby per exchange -> hub_dedup.out.
dedup_run() {
  log "hub dedup: the same from two simulators per exchange with one seed"
  hub_run hub_dedup "$TMP/paced.sym" "bench_shfe|1|SHFE|$FAST_PARAMS" \
    "bench_dce|1|DCE|$QUIET_PARAMS" "bench_shfe2|2|SHFE|$FAST_PARAMS" \
    "bench_dce2|2|DCE|$QUIET_PARAMS"
}

# dedup_fields: the dedup phase's RESULT fields, from $D.
dedup_fields() {
  echo "dedup_p50_us=$(kv "$D" e2e_p50_us) dedup_p99_us=$(kv "$D" e2e_p99_us)" \
    "dedup_rss_mb=$(kv "$D" rss_mb) dedup_dup=$(( $(kv "$D" dup_seq) + $(kv "$D" dup_sim) ))" \
    "dedup_hub_cpu_us_per_tick=$(kv "$D" cpu_hub_us_per_tick)"
}

# ---------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
SPIN_BEFORE=$(spin_ms)
if [ "$GWRELAY_ONLY" = 1 ]; then
  gwrelay_only
  exit 0
fi
if [ "$REAL_ONLY" = 1 ]; then
  real_phase
  echo "RESULT $(real_fields) $(load_fields)"
  exit 0
fi
if [ "$PACED_ONLY" = 1 ] || [ "$DEDUP_ONLY" = 1 ]; then
  paced_setup
  P=$TMP/hub_paced.out D=$TMP/hub_dedup.out
  if [ "$DEDUP_ONLY" = 1 ] && [ "$GWRELAY_ORDER" = relay-first ]; then
    dedup_run; paced_run
  elif [ "$DEDUP_ONLY" = 1 ]; then
    paced_run; dedup_run
  else
    paced_run
  fi
  dedup=""
  if [ "$DEDUP_ONLY" = 1 ]; then
    dedup=" $(dedup_fields) dedup_hub_p99_ratio=$(div "$(kv "$D" e2e_p99_us)" "$(kv "$P" e2e_p99_us)")"
    dedup+=" dedup_lost=$(( $(kv "$D" lost_seq) + $(kv "$D" lost_sim) ))"
    dedup+=" dedup_other_cpu_pct=$(kv "$D" other_cpu_pct) order=$GWRELAY_ORDER"
  fi
  echo "RESULT hub_p50_us=$(kv "$P" e2e_p50_us) hub_p99_us=$(kv "$P" e2e_p99_us)" \
    "lost=$(( $(kv "$P" lost_seq) + $(kv "$P" lost_sim) ))" \
    "rss_mb=$(kv "$P" rss_mb) rss_symbols=$(kv "$P" snapshot_count)" \
    "rss_peak_mb=$(kv "$P" rss_peak_mb) paced_tps=$(kv "$P" tps)" \
    "paced_hub_cpu_us_per_tick=$(kv "$P" cpu_hub_us_per_tick)" \
    "paced_other_cpu_pct=$(kv "$P" other_cpu_pct)$dedup" \
    "$(load_fields)"
  exit 0
fi
log "raw ZeroMQ: $RAW_COUNT messages of $RAW_SIZE bytes"
raw_run raw_flood --flood "$RAW_COUNT"
log "raw ZeroMQ: $RATE msg/s for ${RAW_PACED_S}s"
raw_run raw_paced --paced "$RATE" "$RAW_PACED_S"

log "hub flood: $FLOOD_SYMBOLS contracts at $SIM_MAX_RATE ticks/s offered"
symbols t 0 "$FLOOD_SYMBOLS" SHFE >"$TMP/flood.sym"
hub_run hub_flood "$TMP/flood.sym" \
  "bench_a|1|SHFE|{\"seed\": 7, \"rate\": $SIM_MAX_RATE}"

if [ "$GWRELAY" = 1 ]; then pair fastgw_hub fastgw_relay; else fastgw_hub; fi

paced_setup
paced_run
if [ "$GWRELAY" = 1 ]; then
  gwpaced_setup
  pair gwpaced_hub gwpaced_relay
fi
# The same paced run with operator consoles watching, against itself
# without them: the stream's status, event and log pushes run on the
# control loop, never on the data thread.
log "hub console: the paced run, $CONSOLE_ROUNDS x (no streams, then $STREAMS console streams)"
hub_console_run hub_console "$TMP/paced.sym" \
  "bench_shfe|1|SHFE|$FAST_PARAMS" "bench_dce|1|DCE|$QUIET_PARAMS"
if [ "$DEDUP" = 1 ]; then dedup_run; fi

# The same flood with messages as large as the hub's ticks: what ZeroMQ
# alone does with these bytes.
TICK_BYTES=$(kv "$TMP/hub_flood.out" body_bytes)
log "raw ZeroMQ: $RAW_COUNT messages of $TICK_BYTES bytes (a tick's size)"
RAW_SIZE=$TICK_BYTES raw_run raw_tick --flood "$RAW_COUNT"
# The floor of any hub: the same floods and the paced run through a
# process that only forwards (RAW_RELAY), at 200 bytes and at a tick's.
log "relay: $RAW_COUNT messages of $RAW_SIZE bytes through a forwarding process"
RAW_RELAY=1 raw_run relay_flood --flood "$RAW_COUNT"
log "relay: $RAW_COUNT messages of $TICK_BYTES bytes through a forwarding process"
RAW_RELAY=1 RAW_SIZE=$TICK_BYTES raw_run relay_tick --flood "$RAW_COUNT"
log "relay: $RATE msg/s of $TICK_BYTES bytes for ${RAW_PACED_S}s through a forwarding process"
RAW_RELAY=1 RAW_SIZE=$TICK_BYTES raw_run relay_paced --paced "$RATE" "$RAW_PACED_S"
real=""
if [ "$REAL" = 1 ]; then
  real_phase
  real=" $(real_fields)"
fi

# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------

F=$TMP/hub_flood.out P=$TMP/hub_paced.out D=$TMP/hub_dedup.out
K_OFF=() K_ON=()
for ((r = 1; r <= CONSOLE_ROUNDS; r++)); do
  K_OFF+=("$TMP/hub_console_off$r.out")
  K_ON+=("$TMP/hub_console_on$r.out")
done
RF=$TMP/raw_flood.out RP=$TMP/raw_paced.out RT=$TMP/raw_tick.out
LF=$TMP/relay_flood.out LT=$TMP/relay_tick.out LP=$TMP/relay_paced.out
G=$TMP/hub_fastgw.out
lost=0
for out in "$F" "$G" "$P" "${K_OFF[@]}" "${K_ON[@]}"; do
  lost=$(( lost + $(kv "$out" lost_seq) + $(kv "$out" lost_sim) ))
done
gwrelay=""
if [ "$GWRELAY" = 1 ]; then
  lost=$(( lost + $(kv "$TMP/hub_gwpaced.out" lost_seq) + $(kv "$TMP/hub_gwpaced.out" lost_sim) ))
  gwrelay=" $(gwrelay_fields)"
fi
dedup=""
if [ "$DEDUP" = 1 ]; then
  lost=$(( lost + $(kv "$D" lost_seq) + $(kv "$D" lost_sim) ))
  dedup=" $(dedup_fields)"
fi
echo "RESULT hub_tps=$(kv "$F" tps) raw_tps=$(kv "$RF" tps)" \
  "tps_ratio=$(div "$(kv "$F" tps)" "$(kv "$RF" tps)")" \
  "hub_p50_us=$(kv "$P" e2e_p50_us) hub_p99_us=$(kv "$P" e2e_p99_us)" \
  "raw_p50_us=$(kv "$RP" p50_us) raw_p99_us=$(kv "$RP" p99_us) lost=$lost" \
  "rss_mb=$(kv "$P" rss_mb) rss_symbols=$(kv "$P" snapshot_count)" \
  "rss_peak_mb=$(kv "$P" rss_peak_mb)" \
  "tick_bytes=$TICK_BYTES raw_tick_tps=$(kv "$RT" tps)" \
  "tick_tps_ratio=$(div "$(kv "$F" tps)" "$(kv "$RT" tps)")" \
  "hub_cpu_us_per_tick=$(kv "$F" cpu_hub_us_per_tick)" \
  "hub_cost_ratio=$(div "$(kv "$F" cpu_hub_us_per_tick)" \
    "$(sum "$(kv "$RT" pub_cpu_us_per_msg)" "$(kv "$RT" sub_cpu_us_per_msg)")")" \
  "hub_thread_cpu_pct=$(kv "$F" cpu_hub_thread)" \
  "relay_tps=$(kv "$LF" tps) relay_tick_tps=$(kv "$LT" tps)" \
  "relay_tick_tps_ratio=$(div "$(kv "$LT" tps)" "$(kv "$RF" tps)")" \
  "hub_relay_tps_ratio=$(div "$(kv "$F" tps)" "$(kv "$LT" tps)")" \
  "relay_tick_p50_us=$(kv "$LP" p50_us) relay_tick_p99_us=$(kv "$LP" p99_us)" \
  "relay_tick_p99_ratio=$(div "$(kv "$LP" p99_us)" "$(kv "$RP" p99_us)")" \
  "hub_relay_p99_ratio=$(div "$(kv "$P" e2e_p99_us)" "$(kv "$LP" p99_us)")" \
  "sim_cpu_us_per_tick=$(kv "$F" cpu_sim1_us_per_tick)" \
  "sub_cpu_us_per_tick=$(kv "$F" cpu_sub_us_per_tick)" \
  "raw_cpu_us_per_msg=$(sum "$(kv "$RF" pub_cpu_us_per_msg)" "$(kv "$RF" sub_cpu_us_per_msg)")" \
  "raw_tick_cpu_us_per_msg=$(sum "$(kv "$RT" pub_cpu_us_per_msg)" "$(kv "$RT" sub_cpu_us_per_msg)")" \
  "fastgw_tps=$(kv "$G" tps) fastgw_tps_ratio=$(div "$(kv "$G" tps)" "$(kv "$RF" tps)")" \
  "fastgw_tick_tps_ratio=$(div "$(kv "$G" tps)" "$(kv "$RT" tps)")" \
  "fastgw_hub_cpu_us_per_tick=$(kv "$G" cpu_hub_us_per_tick)" \
  "fastgw_gw_cpu_us_per_tick=$(kv "$G" cpu_sim1_us_per_tick)" \
  "fastgw_other_cpu_pct=$(kv "$G" other_cpu_pct)" \
  "paced_tps=$(kv "$P" tps) paced_hub_cpu_us_per_tick=$(kv "$P" cpu_hub_us_per_tick)" \
  "paced_gwhub_p99_us=$(kv "$P" gwhub_p99_us) paced_hubsub_p99_us=$(kv "$P" hubsub_p99_us)$dedup" \
  "flood_other_cpu_pct=$(kv "$F" other_cpu_pct) paced_other_cpu_pct=$(kv "$P" other_cpu_pct)$real$gwrelay" \
  "console_streams=$STREAMS console_rounds=$CONSOLE_ROUNDS" \
  "console_off_p99_us=$(mean_kv e2e_p99_us "${K_OFF[@]}") console_on_p99_us=$(mean_kv e2e_p99_us "${K_ON[@]}")" \
  "console_hub_p99_ratio=$(div "$(mean_kv e2e_p99_us "${K_ON[@]}")" "$(mean_kv e2e_p99_us "${K_OFF[@]}")")" \
  "console_off_hub_cpu_us_per_tick=$(mean_kv cpu_hub_us_per_tick "${K_OFF[@]}")" \
  "console_on_hub_cpu_us_per_tick=$(mean_kv cpu_hub_us_per_tick "${K_ON[@]}")" \
  "$(load_fields)"
