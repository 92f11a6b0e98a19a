# Shell helpers of the benchmark scripts (tests/bench/*.sh), sourced by
# them: `. "$ROOT/tests/bench/bench_lib.sh"`.

# free_ports N: prints N distinct free TCP ports of 127.0.0.1.
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# stop_pids WAIT_S PID...: SIGTERM to each, SIGKILL to those still alive
# WAIT_S seconds later, then reaps those that are this shell's children.
stop_pids() {
  local wait_s=$1 p deadline
  shift
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  deadline=$((SECONDS + wait_s))
  for p in "$@"; do
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
