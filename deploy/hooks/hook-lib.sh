# shellcheck shell=bash
# Shared by every hook of hamd (sourced, never run): the log line, the
# settings-file reader and a millisecond timer of vip-lib.sh (vip-up,
# vip-down), keepalived-track, dns-update and webhook.
#
# A settings file holds KEY=VALUE lines; '#' starts a comment, also after
# a value and a blank; a value with blanks is quoted ("..." or '...'). It
# is parsed, never executed, and only the keys a hook names are accepted.
# The environment wins over the file.

HOOK_EXIT_FAILED=1   # the hook's action failed
HOOK_EXIT_CONFIG=2   # bad or missing settings

# Logs one line to stderr, which hamd (and so the journal) captures:
# "NAME: node N term T: message" (term only where hamd gives one).
# HOOK_NAME is the hook's name.
hook_log() {
  local who="node ${HAMD_NODE:-?}"
  [ -n "${HAMD_TERM:-}" ] && who="$who term $HAMD_TERM"
  # systemd's ExecStopPost: no HAMD_NODE, but how the service ended
  [ -z "${HAMD_NODE:-}" ] && [ -n "${SERVICE_RESULT:-}" ] &&
    who="after hamd stopped ($SERVICE_RESULT)"
  printf '%s: %s: %s\n' "${HOOK_NAME:-hook}" "$who" "$*" >&2
}

# hook_now_ms VAR: sets VAR to the time since boot in ms (/proc/uptime,
# 10 ms steps; no program run). How long a hook waited for a successor
# (vip-down, keepalived-track) is counted on it, not on the wall clock,
# which NTP may step back in the middle of a wait and so stretch it.
hook_now_ms() {
  local up _
  read -r up _ </proc/uptime
  printf -v "$1" '%d' $(( 10#${up/./} * 10 ))
}

# hook_check_ms KEY DEFAULT MAX: the setting KEY (a wait in ms) as a
# number 0..MAX, DEFAULT when unset. Returns HOOK_EXIT_CONFIG, naming
# the key, when it is anything else.
hook_check_ms() {
  local key=$1 ms=${!1:-$2}
  if ! [[ $ms =~ ^[0-9]{1,5}$ ]] || [ $((10#$ms)) -gt "$3" ]; then
    hook_log "$key: expected 0..$3, got '$ms'"
    return $HOOK_EXIT_CONFIG
  fi
  printf -v "$key" '%d' $((10#$ms))
}

# hook_conf_read FILE REQUIRED KEY...: sets each KEY the file gives and
# the environment does not. REQUIRED non-empty: a missing FILE is an
# error (the operator named it); empty: a missing FILE is no settings.
# Returns HOOK_EXIT_CONFIG on an unreadable file or a line it does not
# know, naming file and line.
hook_conf_read() {
  local conf=$1 required=$2 line key value n=0
  shift 2
  local known="$*" keys=" $* "
  if [ ! -e "$conf" ]; then
    [ -z "$required" ] && return 0
    hook_log "$conf: no such file"
    return $HOOK_EXIT_CONFIG
  fi
  if [ ! -r "$conf" ]; then
    hook_log "$conf: not readable"
    return $HOOK_EXIT_CONFIG
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if ! [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
      hook_log "$conf:$n: expected KEY=VALUE"
      return $HOOK_EXIT_CONFIG
    fi
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    if [[ $value =~ ^\"([^\"]*)\"([[:space:]]+#.*)?[[:space:]]*$ ||
          $value =~ ^\'([^\']*)\'([[:space:]]+#.*)?[[:space:]]*$ ]]; then
      value=${BASH_REMATCH[1]}
    else
      [[ $value =~ ^([^[:space:]]*)([[:space:]]+#.*)?[[:space:]]*$ ]] || {
        hook_log "$conf:$n: $key: a value with blanks must be quoted"
        return $HOOK_EXIT_CONFIG
      }
      value=${BASH_REMATCH[1]}
    fi
    if [[ $keys != *" $key "* ]]; then
      hook_log "$conf:$n: unknown key $key (known: $known)"
      return $HOOK_EXIT_CONFIG
    fi
    [ -z "${!key:-}" ] && printf -v "$key" '%s' "$value"
  done <"$conf"
  return 0
}
