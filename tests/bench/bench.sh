#!/usr/bin/env bash
# ./build.sh bench: onekvm beside bare virsh, in one run, on this machine's libvirtd.
# usage: bench.sh <staged remotes dir>
# Prints median wall times (interleaved runs), onekvm's overhead, the binary
# size and onekvm's peak RSS. Each action family adds its own script beside this
# one (tests/bench/<family>.sh <remotes>); they run after the foundation's part.
set -euo pipefail
REMOTES=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python3 -I -S -B "$HERE/foundation.py" "$REMOTES"
for family in "$HERE"/*.sh; do
  case "$(basename "$family")" in bench.sh | benchlib.sh) continue ;; esac
  echo
  bash "$family" "$REMOTES"
done
