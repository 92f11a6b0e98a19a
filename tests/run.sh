#!/usr/bin/env bash
# Installs what is missing, builds hamd twice (release, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test.
# Exits non-zero when anything fails.
#
#   ./tests/run.sh              everything (chaos tests skip without root)
#   ./tests/run.sh -R unit      only tests whose name matches (ctest -R)
#   HAMD_BENCH=1 ./tests/run.sh also runs the benchmarks afterwards
#   HAMD_ASAN_INTEGRATION=1 ./tests/run.sh
#                               also runs the integration tests against the
#                               sanitizer build (about 3 min more)
#   HAMD_FUZZ_SECONDS=60 ./tests/run.sh
#                               fuzzes each target longer (default 20 s; the
#                               release ctest runs tests/fuzz/run.sh, about
#                               4 min with its clang build, label fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

./deploy/install-deps.sh --tests

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
echo "== unit tests under ASan + UBSan"
ctest --test-dir build-asan -LE 'integration|chaos|ops|python' --output-on-failure -j"$JOBS" "$@" || status=1
if [ "${HAMD_ASAN_INTEGRATION:-0}" = 1 ]; then
  echo "== integration tests under ASan + UBSan"
  ctest --test-dir build-asan -L integration --output-on-failure "$@" || status=1
fi
command -v clang >/dev/null ||
  echo "== fuzzing will be skipped: clang / libFuzzer not installed" \
       "(deploy/install-deps.sh --tests installs them)"
echo "== all tests (release build, fuzzing included)"
ctest --test-dir build --output-on-failure "$@" || status=1

if [ "${HAMD_BENCH:-0}" = 1 ]; then
  echo "== benchmarks"
  for b in tests/bench/*.sh; do "$b" || status=1; done
fi
exit $status
