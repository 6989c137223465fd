#!/usr/bin/env bash
# Monitoring benchmark: the vm_monitor probe beside the bare virsh calls for the
# same data and beside upstream's Ruby probe, for 1, 10, 50 and 100 domains (BENCH_COUNTS), in one run.
# usage: monitor.sh <staged remotes dir>
#   BENCH_RUNS (default 15): interleaved runs per figure
#   ONEKVM_UPSTREAM_SRC (default /tmp/up/src): an extracted OpenNebula source tree;
#     upstream's probe is run from there when ruby and ruby-sqlite3 are installed
#     (nothing of it is part of this repository), else its figure is cited.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 -I -S -B "$HERE/monitor.py" "$(cd "$1" && pwd)"
