#!/usr/bin/env bash
# Builds the fuzz targets with clang + libFuzzer + ASan + UBSan (in
# build-fuzz), replays every saved crash input and seed, then fuzzes each
# target for HAMD_FUZZ_SECONDS, two at a time. Exits non-zero when any
# input crashes or breaks an invariant; the input is then in
# build-fuzz/fuzz-artifacts/<target>/ (docs/security.md says what to do
# with it), the fuzzer's output in build-fuzz/fuzz-logs/<target>.log.
# Exits 77 (skipped) when clang or libFuzzer is missing.
#
#   tests/fuzz/run.sh                    every target, 20 s each
#   tests/fuzz/run.sh tick config        only these targets
#   HAMD_FUZZ_SECONDS=3600 tests/fuzz/run.sh fsm_apply
#   HAMD_FUZZ_JOBS=1 ...                 one target at a time
#   HAMD_FUZZ_RUNS=10000000 ...          stop each after that many runs
#
# The default, 24 targets x 20 s over 2 parallel jobs, fuzzes for about
# 4 minutes, which keeps ./tests/run.sh under its 15-minute budget on a
# 2-core machine. What each run finds new goes to
# build-fuzz/fuzz-corpus/<target>/, kept between runs, never into the
# committed seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FUZZ_DIR=$ROOT/tests/fuzz
BUILD=${HAMD_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_EACH=${HAMD_FUZZ_SECONDS:-20}
JOBS=${HAMD_FUZZ_JOBS:-2}
RUNS=${HAMD_FUZZ_RUNS:--1}
RSS_LIMIT_MB=2048   # per fuzzer process
INPUT_TIMEOUT_S=10  # one input running longer is a finding

skip() { echo "fuzz: SKIPPED: $*" >&2; exit 77; }

command -v clang >/dev/null || skip "clang is not installed (deploy/install-deps.sh --tests)"
LIBFUZZER=$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
[ -f "$LIBFUZZER" ] ||
  skip "libFuzzer is not installed (libclang-rt-dev, deploy/install-deps.sh --tests)"

echo "== fuzz: build (clang, libFuzzer, ASan + UBSan) in $BUILD"
CC=clang cmake -S "$ROOT" -B "$BUILD" -DHAMD_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_targets

if [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  TARGETS=()
  for src in "$FUZZ_DIR"/fuzz_*.c; do
    name=$(basename "$src" .c)
    TARGETS+=("${name#fuzz_}")
  done
fi

# Scratch space of the targets (LMDB stores, config files): removed at
# the end even when a crash skipped the targets' own cleanup.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hamd-fuzz-run.XXXXXX")
[ -d /dev/shm ] && SCRATCH_SHM=$(mktemp -d /dev/shm/hamd-fuzz-run.XXXXXX) || SCRATCH_SHM=$SCRATCH
trap 'rm -rf "$SCRATCH" "$SCRATCH_SHM"' EXIT
export HAMD_FUZZ_SCRATCH=$SCRATCH_SHM
LOGS=$BUILD/fuzz-logs
mkdir -p "$LOGS"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Replays the saved crash inputs and the seeds: every one must pass.
replay() { # target
  local t=$1 dirs=("$FUZZ_DIR/corpus/$t")
  [ -d "$FUZZ_DIR/regressions/$t" ] && dirs+=("$FUZZ_DIR/regressions/$t")
  "$BUILD/tests/fuzz/fuzz_$t" -runs=0 "${dirs[@]}" >"$SCRATCH/$t.replay" 2>&1 || {
    echo "fuzz: $t: a saved input fails:"; tail -40 "$SCRATCH/$t.replay"; return 1; }
}

# Fuzzes one target; its log goes to $LOGS/<target>.log, its exit status
# to $SCRATCH/<target>.rc.
fuzz() { # target
  local t=$1 work=$BUILD/fuzz-corpus/$t art=$BUILD/fuzz-artifacts/$t rc=0
  local dirs=("$work" "$FUZZ_DIR/corpus/$t")
  [ -d "$FUZZ_DIR/regressions/$t" ] && dirs+=("$FUZZ_DIR/regressions/$t")
  mkdir -p "$work" "$art"
  nice "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" \
    -runs="$RUNS" -timeout=$INPUT_TIMEOUT_S -rss_limit_mb=$RSS_LIMIT_MB \
    -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$art/" \
    "${dirs[@]}" >"$LOGS/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$SCRATCH/$t.rc"
}

# One line per target: executions, speed, coverage, verdict.
report() { # target status
  local t=$1 st=$2 log=$LOGS/$1.log runs speed cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  printf 'RESULT fuzz_target=%s runs=%s exec_per_s=%s %s status=%s\n' \
    "$t" "${runs:-?}" "${speed:-?}" "${cov:-cov: ? ft: ?}" \
    "$([ "$st" = 0 ] && echo ok || echo FAILED)"
  if [ "$st" != 0 ]; then
    grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' "$log" | head -20
    echo "fuzz: $t: the failing input is in $BUILD/fuzz-artifacts/$t/;" \
         "see docs/security.md (Fuzzing) to keep it as a regression case"
  fi
}

status=0
echo "== fuzz: replay of seeds and saved crash inputs"
for t in "${TARGETS[@]}"; do
  [ -f "$FUZZ_DIR/fuzz_$t.c" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  replay "$t" || status=1
done

echo "== fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH} s each, $JOBS at a time"
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  fuzz "$t" &
done
wait
for t in "${TARGETS[@]}"; do
  st=$(cat "$SCRATCH/$t.rc" 2>/dev/null || echo 1)
  report "$t" "$st"
  [ "$st" = 0 ] || status=1
done
exit $status
