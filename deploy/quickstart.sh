#!/usr/bin/env bash
# The local demo: a 3-node hamd cluster on 127.0.0.1 with two simulated
# accounts (README.md). Installs what is missing, builds, starts the
# nodes, shows `hactl status`, then tails ticks until Ctrl-C.
#
#   ./deploy/quickstart.sh                    run until Ctrl-C
#   QUICKSTART_SECONDS=30 ./deploy/quickstart.sh   stop by itself
#   HAMD_RUN_DIR=/tmp/hamd ./deploy/quickstart.sh  state elsewhere (./run)
#   HAMD_PEER_1_ADMIN=127.0.0.1:9001 ...      ports elsewhere (docs/configuration.md)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN_DIR=${HAMD_RUN_DIR:-$ROOT/run}
SECONDS_LIMIT=${QUICKSTART_SECONDS:-0}
BUILD=$ROOT/build

./deploy/install-deps.sh
echo "== building into $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

mkdir -p "$RUN_DIR"
PIDS=()
TAIL_PID=""
stop_all() {
  trap - INT TERM HUP EXIT
  [ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null || true
  if [ ${#PIDS[@]} -gt 0 ]; then
    echo; echo "== stopping the cluster (SIGTERM: the leader hands over first)"
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  fi
  echo "== stopped; logs and state in $RUN_DIR"
}
# HUP too: the nodes ignore a closed terminal (hamd(8)), this script stops them.
trap stop_all INT TERM HUP EXIT

# setsid: each node in a session of its own. Ctrl-C sends SIGINT to the
# terminal's whole foreground group; a node in it took that as its first
# signal and stop_all's SIGTERM as the second, "exit at once" (hamd(8)):
# no handover, status 1, gateways killed. Now only this script gets it.
# (No job control here, so a child is no group leader and setsid does not
# fork: $! stays the node's pid.)
LOG_START=()
for n in 1 2 3; do
  mkdir -p "$RUN_DIR/node$n"
  LOG_START+=($(stat -c %s "$RUN_DIR/node$n.log" 2>/dev/null || echo 0))
  HAMD_NODE_DATA_DIR="$RUN_DIR/node$n" HAMD_GATEWAYS_SIM="$BUILD/src/hamd-gw-sim" \
    setsid "$BUILD/src/hamd" --config "deploy/local/node$n.ini" >>"$RUN_DIR/node$n.log" 2>&1 &
  PIDS+=($!)
  echo "== node $n started (pid $!, log $RUN_DIR/node$n.log)"
done

# Until every node has logged its start (this run's lines only: the logs
# grow across runs). A node that could not start (a port of deploy/local/
# in use: another quickstart still runs?) stops it all; before, hactl went
# on to show, and tail, whatever else answered on those ports.
this_run_log() { tail -c +"$((LOG_START[$1 - 1] + 1))" "$RUN_DIR/node$1.log"; }
node_failed() {
  echo "== node $1 did not start; the end of $RUN_DIR/node$1.log:" >&2
  this_run_log "$1" | tail -n 5 >&2
  echo "== its ports are those of deploy/local/node$1.ini; HAMD_PEER_N_ADMIN," \
       "_RAFT, _PUBLISH, _SNAPSHOT and _RELAY move them (docs/configuration.md)" >&2
  exit 1
}
for _ in $(seq 1 150); do
  waiting=0
  for n in 1 2 3; do
    this_run_log "$n" | grep -q "node $n started" && continue
    if this_run_log "$n" | grep -q "start-up failed" || ! kill -0 "${PIDS[$n - 1]}" 2>/dev/null; then
      node_failed "$n"
    fi
    waiting=1
  done
  [ "$waiting" = 0 ] && break
  sleep 0.2
done

HACTL=("$BUILD/src/hactl" -c deploy/local/node1.ini)
echo "== waiting for a leader to publish and its gateways to be HEALTHY"
for _ in $(seq 1 150); do
  out=$("${HACTL[@]}" status 2>/dev/null) && ! grep -q CONNECTING <<<"$out" && break
  sleep 0.2
done
"${HACTL[@]}" status || true
# Node N's admin address as the nodes have it: HAMD_PEER_N_ADMIN (trimmed,
# as hamd trims it) or else [peer.N] admin of the file; before, node 1's
# default was printed whatever the variable said.
admin_of() {
  local var="HAMD_PEER_$1_ADMIN" addr
  addr=${!var:-$(awk -F= -v sec="[peer.$1]" '
    /^[[:space:]]*\[/ { gsub(/[[:space:]]/, ""); in_sec = ($0 == sec); next }
    in_sec && $1 ~ /^[[:space:]]*admin[[:space:]]*$/ { print $2; exit }' \
    "deploy/local/node$1.ini")}
  addr=${addr#"${addr%%[![:space:]]*}"}
  echo "${addr%"${addr##*[![:space:]]}"}"
}
echo "== operator console: http://$(admin_of 1)/ (any node:" \
     "http://$(admin_of 2)/, http://$(admin_of 3)/; docs/console.md)"

echo "== ticks (hactl tail); Ctrl-C stops everything"
TAIL_ARGS=()
[ "$SECONDS_LIMIT" -gt 0 ] && TAIL_ARGS=(--seconds "$SECONDS_LIMIT")
"${HACTL[@]}" tail "${TAIL_ARGS[@]}" &
TAIL_PID=$!
wait "$TAIL_PID" || true
TAIL_PID=""
