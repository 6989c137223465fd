#!/usr/bin/env bash
# The libvirtd restart specs, LibvirtdRestartSpecs (CI runs them once), round after round.
# Each round starts two private peer libvirtds (tests/peer/peer.py), never the host's, and restarts
# (or kills) them under save, restore, migrate and a waiting detach. The restart lands inside
# libvirt's job because the spec stops the domain's QEMU (SIGSTOP) first: a failed round is a defect
# or a flaw of the spec, not bad luck.
#
# Usage: tests/soak/libvirtd-restart.sh [ROUNDS]   (as root, libvirtd running, after ./build.sh)
# Writes one line per round (passed/failed, seconds) and keeps each run's log in $LOGS.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${1:-3}
LOGS=${LOGS:-$(mktemp -d /tmp/onekvm-libvirtd-restart.XXXXXX)}
GUEST=${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}

cd "$ROOT"
dotnet build tests/OneKvm.Remotes.IntegrationSpecs -c Release --nologo -v q >"$LOGS/build.log" 2>&1 || { echo "build failed: $LOGS/build.log"; exit 1; }
failed=0
for round in $(seq 1 "$ROUNDS"); do
  start=$(date +%s)
  if ONEKVM_DIST="$ROOT/dist" ONEKVM_GUEST_DIR="$GUEST" dotnet test tests/OneKvm.Remotes.IntegrationSpecs -c Release --no-build --nologo \
      --filter "FullyQualifiedName~LibvirtdRestartSpecs" --logger "console;verbosity=normal" >"$LOGS/round-$round.log" 2>&1; then
    result=passed
  else
    result=failed; failed=$((failed + 1))
  fi
  echo "round $round: $result in $(( $(date +%s) - start )) s ($LOGS/round-$round.log)"
done
echo "$failed of $ROUNDS rounds failed"
[ "$failed" = 0 ]
