#!/usr/bin/env bash
# A host loses its sources (docs/failover.md §4): the publisher cut off all
# of them, then off one exchange; prints one RESULT line per scenario.
#   tests/bench/source_loss_host.sh [--rounds N] [--scenarios all,split]
set -euo pipefail
cd "$(dirname "$0")/../.."
export HAMD_BUILD_DIR=${HAMD_BUILD_DIR:-$PWD/build}
exec /usr/bin/python3 tests/bench/source_loss_host.py "$@"
