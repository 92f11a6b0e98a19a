#!/usr/bin/env bash
# Leader failover benchmark (issue: consensus): prints a RESULT line.
#   tests/bench/node_failover.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
export HAMD_BUILD_DIR=${HAMD_BUILD_DIR:-$PWD/build}
exec /usr/bin/python3 tests/bench/node_failover.py "$@"
