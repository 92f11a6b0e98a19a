#!/usr/bin/env bash
# Installs what is missing, builds hamd twice (release, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test.
# Exits non-zero when anything fails.
#
#   ./tests/run.sh              everything (chaos tests skip without root)
#   ./tests/run.sh -R unit      only tests whose name matches (ctest -R)
#   HAMD_BENCH=1 ./tests/run.sh also runs the benchmarks afterwards
#   HAMD_SOAK=1 ./tests/run.sh  also runs soak.short (ctest label soak, about
#                               4 min: tests/bench/soak.py for 3 minutes with
#                               an incident every 8 s; the hour-long soak is
#                               run by hand, docs/performance.md "Soak")
#   HAMD_ASAN_INTEGRATION=1 ./tests/run.sh
#                               also runs the integration tests against the
#                               sanitizer build (about 3 min more)
#   HAMD_FUZZ_SECONDS=60 ./tests/run.sh
#                               fuzzes each target longer (default 20 s).
#                               Without arguments, tests/fuzz/run.sh (the
#                               ctest fuzz.run, about 4 min with its clang
#                               build) runs niced in the background while
#                               the tests run, its log in build/fuzz-run.log;
#                               with arguments, ctest runs it if they select it
#   HAMD_TEST_KEEP_DIR=DIR ./tests/run.sh
#                               where a failed Python test keeps its logs and
#                               data dirs (default build/test-failures and
#                               build-asan/test-failures); a failed run names
#                               the ones it kept at its end
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

./deploy/install-deps.sh --tests
run_start=$(date +%s)
if [ -n "${HAMD_TEST_KEEP_DIR:-}" ]; then  # the tests run in other dirs
  HAMD_TEST_KEEP_DIR=$(realpath -m "$HAMD_TEST_KEEP_DIR")
  export HAMD_TEST_KEEP_DIR
fi

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

echo "== build (release)"
build build
echo "== build (ASan + UBSan)"
build build-asan -DHAMD_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
# The fuzzers mostly use CPU the tests leave idle (the integration tests
# wait on processes, about 10 % of a core): niced beside them instead of
# after them, they add little to the run's 15-minute budget.
fuzz_pid=
release_filter=(-LE soak)  # soak.short runs below, with HAMD_SOAK=1
if [ $# -eq 0 ]; then
  echo "== fuzzing in the background (tests/fuzz/run.sh, log build/fuzz-run.log)"
  nice tests/fuzz/run.sh >build/fuzz-run.log 2>&1 &
  fuzz_pid=$!
  release_filter=(-LE 'fuzz|soak')
fi
echo "== unit tests under ASan + UBSan"
ctest --test-dir build-asan -LE 'integration|chaos|ops|python|soak' --output-on-failure -j"$JOBS" "$@" || status=1
if [ "${HAMD_ASAN_INTEGRATION:-0}" = 1 ]; then
  echo "== integration tests under ASan + UBSan"
  ctest --test-dir build-asan -L integration --output-on-failure "$@" || status=1
fi
echo "== all tests (release build)"
ctest --test-dir build --output-on-failure "${release_filter[@]}" "$@" || status=1
if [ -n "$fuzz_pid" ]; then
  echo "== fuzzing (waiting for the background run)"
  fuzz_rc=0
  wait "$fuzz_pid" || fuzz_rc=$?
  grep '^RESULT fuzz_target=' build/fuzz-run.log || true
  case $fuzz_rc in
    0) echo "== fuzzing: passed" ;;
    77) echo "== fuzzing skipped: $(grep SKIPPED build/fuzz-run.log)" ;;
    *) echo "== fuzzing FAILED:"; tail -60 build/fuzz-run.log; status=1 ;;
  esac
fi

if [ "${HAMD_SOAK:-0}" = 1 ]; then
  echo "== soak (soak.short, about 4 min)"
  ctest --test-dir build -L soak --output-on-failure || status=1
fi

if [ "${HAMD_BENCH:-0}" = 1 ]; then
  echo "== benchmarks"
  for b in tests/bench/*.sh; do "$b" || status=1; done
fi

# The dirs the failed tests of this run kept (tests/integration/hamdtest.py
# keep_dirs: node and gateway logs, configs, data dirs, a failure.txt).
kept_dirs() {
  local d
  for d in "${HAMD_TEST_KEEP_DIR:-}" build/test-failures build-asan/test-failures; do
    if [ -n "$d" ] && [ -d "$d" ]; then
      find "$d" -mindepth 1 -maxdepth 1 -type d -newermt "@$run_start"
    fi
  done | sort -u
}
if [ $status -ne 0 ]; then
  kept=$(kept_dirs)
  if [ -n "$kept" ]; then
    echo "== the failed tests' logs and data dirs (keep them with the report):"
    sed 's/^/  /' <<<"$kept"
  fi
fi
exit $status
