#!/usr/bin/env bash
# The long kill campaign (not CI): KilledActionSpecs again and again, killing onekvm at every
# step of save, restore, snapshot_create/delete/revert, attach_disk, detach_disk and resize,
# with the "during" kill put at other moments of the long calls each round (the CI run kills
# 50 ms in). Every round is a full pass over every kill point against the real libvirtd.
#
# Usage: tests/soak/kill-campaign.sh [ROUNDS] [DELAYS...]   (as root, libvirtd running, after ./build.sh)
#   e.g. tests/soak/kill-campaign.sh 3 0.01 0.05 0.2 0.5 1
# Writes one line per round and delay (passed/failed, seconds) and keeps each run's log in $LOGS.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${1:-3}
shift || true
DELAYS=("$@")
[ ${#DELAYS[@]} -gt 0 ] || DELAYS=(0.01 0.05 0.2 0.5 1)
LOGS=${LOGS:-$(mktemp -d /tmp/onekvm-kill-campaign.XXXXXX)}
GUEST=${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}

cd "$ROOT"
dotnet build tests/OneKvm.Remotes.IntegrationSpecs -c Release -v q >/dev/null || exit 1
failed=0
for round in $(seq 1 "$ROUNDS"); do
  for delay in "${DELAYS[@]}"; do
    log="$LOGS/round$round-delay$delay.log"
    start=$(date +%s)
    if ONEKVM_KILL_DURING_DELAY=$delay ONEKVM_DIST="$ROOT/dist" ONEKVM_GUEST_DIR="$GUEST" \
        dotnet test tests/OneKvm.Remotes.IntegrationSpecs -c Release --no-build \
        --filter "FullyQualifiedName~KilledActionSpecs" --logger "console;verbosity=detailed" >"$log" 2>&1; then
      result=passed
    else
      result=FAILED; failed=$((failed + 1))
    fi
    points=$(grep -cE "killed (before|during|after) call" "$log")
    echo "round $round delay ${delay}s: $result, $points kill point lines, $(( $(date +%s) - start )) s ($log)"
  done
done
echo "failed runs: $failed"
[ "$failed" = 0 ]
