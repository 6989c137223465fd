#!/usr/bin/env bash
# Guest agent benchmark: vm_monitor for 50 domains, 10 of them the tiny guest with
# qemu-ga (initrd-agent.img), without and with the agent keys (guestagent.conf enabled,
# upstream's default command, one VM with an NVIDIA device in its metadata).
# usage: guestagent.sh <staged remotes dir> [guest dir]
#   BENCH_RUNS (default 15): interleaved runs per figure
#   goal: with agent keys < 2x without
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 -I -S -B "$HERE/guestagent.py" "$(cd "$1" && pwd)" "${2:-/var/cache/onekvm-tests/guest}"
