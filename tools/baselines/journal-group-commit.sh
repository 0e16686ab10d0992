#!/usr/bin/env bash
# Group-commit throughput of the journal against `dd … conv=fdatasync`, on the same file
# system, in the same run, alternating so both see the same machine load.
#
#   tools/baselines/journal-group-commit.sh [DIR] [MIB] [PAYLOAD] [ROUNDS]
#
# DIR      where both write (default /tmp); the file system is the one measured
# MIB      bytes per run, in MiB (default 256)
# PAYLOAD  journal payload bytes per record (default 4096; each record adds a 32-byte header)
# ROUNDS   dd/journal pairs (default 3); the ratio uses the best run of each
#
# dd writes MIB MiB in 1 MiB blocks and fdatasyncs once at the end. The journal appends
# records as fast as its ring takes them under policy `group` (a batch of up to 1 MiB is
# written, fdatasynced, then reported durable) and is timed until the last is durable.
# MB/s counts bytes written to the file (10^6 bytes per MB) for both.
set -euo pipefail

dir=${1:-/tmp}
mib=${2:-256}
payload=${3:-4096}
rounds=${4:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)

swift build -c release --package-path "$root" --product quorum >/dev/null
bin="$(swift build -c release --package-path "$root" --show-bin-path)/quorum"

work=$(mktemp -d "$dir/quorum-baseline-XXXXXX")
trap 'rm -rf "$work"' EXIT
records=$(( mib * 1048576 / payload ))
echo "file system: $(df -T "$work" | awk 'NR==2 {print $1" ("$2")"}'), $mib MiB per run, journal payload $payload B ($records records)"

best_dd=0
best_j=0
for round in $(seq 1 "$rounds"); do
    line=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count="$mib" conv=fdatasync 2>&1 | tail -1)
    bytes=$(echo "$line" | awk '{print $1}')
    secs=$(echo "$line" | sed -E 's/.*copied, ([0-9.]+) s.*/\1/')
    dd_mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b / s / 1e6}')
    rm -f "$work/dd.bin"

    out=$("$bin" journal bench "$work/journal" --records "$records" --payload "$payload" --policy group)
    j_mbps=$(echo "$out" | sed -E 's/.*MBps=([0-9.]+).*/\1/' | awk '{printf "%.1f", $1}')
    syncs=$(echo "$out" | sed -E 's/.*syncs=([0-9]+).*/\1/')
    rm -rf "$work/journal"

    echo "round $round: dd conv=fdatasync $dd_mbps MB/s · journal group commit $j_mbps MB/s ($syncs fdatasyncs)"
    best_dd=$(awk -v a="$best_dd" -v b="$dd_mbps" 'BEGIN {print (b > a ? b : a)}')
    best_j=$(awk -v a="$best_j" -v b="$j_mbps" 'BEGIN {print (b > a ? b : a)}')
done
awk -v j="$best_j" -v d="$best_dd" 'BEGIN {printf "best: journal %.1f MB/s / dd %.1f MB/s = %.2f× (target ≥ 0.8×)\n", j, d, j / d}'
