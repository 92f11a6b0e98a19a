# shellcheck shell=bash
# Shared by the VIP hooks vip-up and vip-down (sourced, never run): reads
# and checks the VIP settings, finds the address, logs, and owns the
# background gratuitous-ARP announcer.
#
# Settings, environment first, then the file ${HAMD_VIP_CONF:-/etc/hamd/vip.conf}
# (read by hook-lib.sh: KEY=VALUE lines, parsed, never executed):
#   HAMD_VIP          the virtual IPv4 address, e.g. 10.0.1.100   (required)
#   HAMD_VIP_IFACE    the client-network interface, e.g. eth1      (required)
#   HAMD_VIP_PREFIX   prefix length, 1..32                         (default 32)
#   HAMD_VIP_RUN_DIR  where the announcer's pid file goes
#                     (default $RUNTIME_DIRECTORY, i.e. /run/hamd under systemd)
#   HAMD_VIP_HANDOFF_WAIT_MS  after a crash, how long vip-down keeps the
#                     VIP waiting for the new leader to announce it, 0..60000
#                     (default 2000; 0: remove it at once)
#
# Exit codes of both hooks: 0 done (also: nothing to do), 1 the address
# could not be changed, 2 bad or missing settings.

# shellcheck disable=SC2034  # used by vip-up and vip-down
VIP_EXIT_FAILED=1
VIP_EXIT_CONFIG=2
VIP_ARP_COUNT=3   # gratuitous ARPs sent on take-over, one per second
VIP_KEYS="HAMD_VIP HAMD_VIP_IFACE HAMD_VIP_PREFIX HAMD_VIP_RUN_DIR HAMD_VIP_HANDOFF_WAIT_MS"
VIP_HANDOFF_WAIT_MS_DEFAULT=2000 # election + vip-up take ~0.3-0.5 s
VIP_HANDOFF_WAIT_MS_MAX=60000
VIP_HANDOFF_PROBE_S=0.1   # how long one duplicate-address probe waits for
                          # an answer: the new owner's is seen within it

# shellcheck source=hook-lib.sh
. "${BASH_SOURCE[0]%/*}/hook-lib.sh"   # beside this file, no fork
HOOK_NAME=$VIP_HOOK

# Logs one line to stderr (hook_log): "vip-up: node 2 term 7: ...".
vip_log() {
  hook_log "$@"
}

# Sets the keys of the conf file that the environment does not set.
# Returns VIP_EXIT_CONFIG on an unreadable file or a line it does not know.
vip_conf_read() {
  hook_conf_read "${HAMD_VIP_CONF:-/etc/hamd/vip.conf}" "${HAMD_VIP_CONF:-}" \
    $VIP_KEYS
}

# Checks the settings; returns VIP_EXIT_CONFIG naming the bad one.
vip_check() {
  local ip=${HAMD_VIP:-} o
  if ! [[ $ip =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]]; then
    vip_log "HAMD_VIP: expected an IPv4 address, got '${ip}'"
    return $VIP_EXIT_CONFIG
  fi
  for o in "${BASH_REMATCH[@]:1}"; do
    if [ $((10#$o)) -gt 255 ]; then
      vip_log "HAMD_VIP: '$ip' is not an IPv4 address"
      return $VIP_EXIT_CONFIG
    fi
  done
  HAMD_VIP_PREFIX=${HAMD_VIP_PREFIX:-32}
  if ! [[ $HAMD_VIP_PREFIX =~ ^[0-9]{1,2}$ ]] || [ $((10#$HAMD_VIP_PREFIX)) -lt 1 ] ||
     [ $((10#$HAMD_VIP_PREFIX)) -gt 32 ]; then
    vip_log "HAMD_VIP_PREFIX: expected 1..32, got '$HAMD_VIP_PREFIX'"
    return $VIP_EXIT_CONFIG
  fi
  HAMD_VIP_PREFIX=$((10#$HAMD_VIP_PREFIX))
  if ! [[ ${HAMD_VIP_IFACE:-} =~ ^[A-Za-z0-9_.:@-]{1,15}$ ]]; then
    vip_log "HAMD_VIP_IFACE: expected an interface name, got '${HAMD_VIP_IFACE:-}'"
    return $VIP_EXIT_CONFIG
  fi
  return 0
}

# Checks HAMD_VIP_HANDOFF_WAIT_MS (vip-down only); sets the default.
vip_check_handoff() {
  hook_check_ms HAMD_VIP_HANDOFF_WAIT_MS "$VIP_HANDOFF_WAIT_MS_DEFAULT" \
    "$VIP_HANDOFF_WAIT_MS_MAX"
}

# After a crash (systemd's ExecStopPost says how the service ended in
# SERVICE_RESULT), keeps the VIP until another host answers ARP for it,
# at most HAMD_VIP_HANDOFF_WAIT_MS. Removing it at once left a hole: until
# the new leader's gratuitous ARP, clients' SYNs went to this host's MAC
# for an address it no longer had and were dropped, each costing a
# client its connect timeout (200 ms in the chaos lab's plain client, a
# second of TCP's first retransmission without one). Kept, the address
# answers them with a reset and clients retry at once. Publishing is
# fenced by the lease, not by the VIP: keeping it is safe. A clean stop
# (success) has handed the VIP over already; hamd's own on_follower
# (no SERVICE_RESULT) runs while this node may lead again: both remove it
# at once. Returns 0 when another host holds the VIP.
vip_handoff_wait() {
  local start_ms rc elapsed_ms now_ms
  hook_now_ms start_ms
  case ${SERVICE_RESULT:-success} in success) return 1 ;; esac
  [ "$HAMD_VIP_HANDOFF_WAIT_MS" -gt 0 ] || return 1
  vip_iface_exists && [ -n "$(vip_prefixes)" ] || return 1 # not here
  if ! command -v arping >/dev/null 2>&1; then
    vip_log "arping not found: not waiting for the new leader to take the VIP"
    return 1
  fi
  vip_log "hamd ended ($SERVICE_RESULT): keeping $HAMD_VIP until another" \
    "host announces it, at most $HAMD_VIP_HANDOFF_WAIT_MS ms"
  while :; do
    # Duplicate address detection: exit 1 when another host answers.
    timeout "$VIP_HANDOFF_PROBE_S" arping -D -q -c 1 -w 1 \
      -I "$HAMD_VIP_IFACE" "$HAMD_VIP" </dev/null
    rc=$?
    hook_now_ms now_ms
    elapsed_ms=$((now_ms - start_ms))
    if [ $rc -eq 1 ]; then
      vip_log "another host answers for $HAMD_VIP after $elapsed_ms ms"
      return 0
    fi
    if [ $rc -ne 124 ] && [ $rc -ne 0 ]; then
      vip_log "arping failed (status $rc): not waiting any longer"
      return 1
    fi
    if [ "$elapsed_ms" -ge "$HAMD_VIP_HANDOFF_WAIT_MS" ]; then
      vip_log "no other host announced $HAMD_VIP within $HAMD_VIP_HANDOFF_WAIT_MS ms"
      return 1
    fi
  done
}

# Loads and checks the settings (vip_conf_read, vip_check).
vip_load() {
  vip_conf_read || return $?
  vip_check
}

# True when the interface exists.
vip_iface_exists() {
  ip link show dev "$HAMD_VIP_IFACE" >/dev/null 2>&1
}

# Prints the prefix lengths the VIP has on the interface, one per line.
vip_prefixes() {
  local line re="inet ${HAMD_VIP//./\\.}/([0-9]+) "
  while IFS= read -r line; do
    [[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
  done < <(ip -o -4 addr show dev "$HAMD_VIP_IFACE" 2>/dev/null)
}

# The announcer's pid file, or nothing when there is no usable run dir.
vip_pidfile() {
  local dir=${HAMD_VIP_RUN_DIR:-${RUNTIME_DIRECTORY:-}}
  [ -n "$dir" ] && [ -d "$dir" ] && [ -w "$dir" ] || return 0
  printf '%s/vip-arping-%s.pid\n' "$dir" "$HAMD_VIP"
}

# Stops the announcer a previous vip-up left running, if any: a node that
# gave the VIP away must not keep telling its neighbours it owns it.
# Builtins only (no fork): hooks sit on the failover path.
vip_announce_stop() {
  local pidfile pid comm args
  pidfile=$(vip_pidfile)
  [ -n "$pidfile" ] && [ -f "$pidfile" ] || return 0
  read -r pid <"$pidfile" 2>/dev/null
  # Kill only an arping for this VIP: the pid may have been reused.
  if [[ $pid =~ ^[0-9]+$ ]] && read -r comm <"/proc/$pid/comm" 2>/dev/null &&
     [ "$comm" = arping ] && mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null &&
     [[ " ${args[*]} " == *" $HAMD_VIP "* ]]; then
    kill "$pid" 2>/dev/null && vip_log "stopped the ARP announcer (pid $pid)"
  fi
  rm -f "$pidfile"
}

# Tells the neighbours (switches, clients) that this host now owns the
# VIP, so they do not keep sending to the old owner's MAC address. Runs in
# the background (arping takes VIP_ARP_COUNT seconds) when a pid file lets
# vip-down stop it; otherwise in the foreground. Never fails the hook.
vip_announce() {
  local pidfile
  if ! command -v arping >/dev/null 2>&1; then
    vip_log "arping not found (Debian: iputils-arping): no gratuitous ARP;" \
      "neighbours find the new owner only when their ARP entry expires"
    return 0
  fi
  vip_announce_stop
  pidfile=$(vip_pidfile)
  if [ -z "$pidfile" ]; then
    arping -q -U -c "$VIP_ARP_COUNT" -I "$HAMD_VIP_IFACE" "$HAMD_VIP" ||
      vip_log "arping failed (status $?): no gratuitous ARP"
    return 0
  fi
  arping -q -U -c "$VIP_ARP_COUNT" -I "$HAMD_VIP_IFACE" "$HAMD_VIP" </dev/null &
  echo $! >"$pidfile"
  vip_log "announcing $HAMD_VIP on $HAMD_VIP_IFACE (arping pid $!)"
  return 0
}
