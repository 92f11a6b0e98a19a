#!/usr/bin/env bash
# Source failover benchmark (docs/failover.md): crash, disconnect and stall of the
# active source; prints one RESULT line per fault.
#   tests/bench/source_failover.sh [--rounds N] [--stall-rounds N] [--nodes 3|0]
#       [--arbitration priority,first] [--latency-s S]
set -euo pipefail
cd "$(dirname "$0")/../.."
export HAMD_BUILD_DIR=${HAMD_BUILD_DIR:-$PWD/build}
exec /usr/bin/python3 tests/bench/source_failover.py "$@"
