#!/usr/bin/env bash
# The journal's soak run: the same tests with the heavy variants on (2000 SIGKILL crash
# trials instead of 200, a 10 M-record round trip instead of 1 M). Takes minutes, not seconds.
#
#   tools/journal-soak.sh            (debug build)
#   tools/journal-soak.sh -c release
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build --build-tests "$@"
QUORUM_JOURNAL_SOAK=1 swift test --skip-build "$@" --filter 'QuorumJournalTests'
