#!/usr/bin/env bash
# Migration section of the benchmark: onekvm's migrate_local beside the bare
# `virsh migrate` it stands for, between two more libvirt daemons started here in
# their own mount and UTS namespaces on loopback TCP (engineering-notes.md), one run.
# onekvm and the bare call each move the VM from B to C and back: the two sides
# alternate, each in both directions, so that drift and asymmetry hit both alike.
# As in live.sh both run virsh through a wrapper that times each call from inside;
# "own" is wall time minus time in virsh, "checks" onekvm's virsh calls other than
# the migration itself.
# onekvm's calls: dominfo, domstate (destination), snapshot-list, migrate.
#
# Usage: tests/bench/migrate.sh [REMOTES_DIR] [ROUNDS]   (as root, libvirtd installed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=$(cd "${1:-$ROOT/dist/remotes}" && pwd)
ROUNDS=${2:-${MIGRATE_BENCH_ROUNDS:-7}}
K="$REMOTES/vmm/kvm"
export LANG=C PATH=/usr/bin:/bin:/usr/sbin:/sbin

[ -x "$K/onekvm" ] || { echo "no staged binary in $K: run ./build.sh" >&2; exit 1; }

WORK=$(mktemp -d /tmp/onekvm-bench-migrate.XXXXXX)
DOM=onekvm-bench-migrate-$$
real_virsh=$(command -v virsh)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# peer NAME: a libvirtd with private state directories, its own host name and UUID
peer() {
  local name=$1 dir="$WORK/$1" port
  port=$(free_port)
  mkdir -p "$dir"/{run,lib,log,cache}
  cp -a /etc/libvirt "$dir/etc"
  printf '\nlisten_tls = 0\nlisten_tcp = 1\ntcp_port = "%s"\nlisten_addr = "127.0.0.1"\nauth_tcp = "none"\nhost_uuid = "%s"\n' \
    "$port" "$(cat /proc/sys/kernel/random/uuid)" >>"$dir/etc/libvirtd.conf"
  unshare --mount --uts --propagation private bash -c '
    set -e
    for d in run lib log cache; do mount --bind "$1/$d" /var/$d/libvirt; done
    mount --bind "$1/etc" /etc/libvirt
    hostname "$2"
    virtlogd -d -p /var/run/libvirt/virtlogd-peer.pid
    exec libvirtd --listen -p /var/run/libvirt/libvirtd-peer.pid' peer "$dir" "onekvm-bench-$name" \
    </dev/null >"$dir/libvirtd.log" 2>&1 &
  # peer runs in a command substitution: its caller learns the pid from this file
  echo $! >"$dir/libvirtd.pid"
  for _ in $(seq 150); do "$real_virsh" -c "qemu+tcp://127.0.0.1:$port/system" version >/dev/null 2>&1 && break; sleep 0.2; done
  "$real_virsh" -c "qemu+tcp://127.0.0.1:$port/system" version >/dev/null
  echo "$port"
}

cleanup() {
  for p in ${B:-} ${C:-}; do
    "$real_virsh" -c "qemu+tcp://127.0.0.1:$p/system" destroy "$DOM" >/dev/null 2>&1 || true
    "$real_virsh" -c "qemu+tcp://127.0.0.1:$p/system" undefine "$DOM" >/dev/null 2>&1 || true
  done
  for f in "$WORK"/*/libvirtd.pid "$WORK"/*/run/virtlogd-peer.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

B=$(peer b)
C=$(peer c)
BH=127.0.0.1:$B CH=127.0.0.1:$C

source "$(dirname "${BASH_SOURCE[0]}")/benchlib.sh"
install_virsh_wrapper
# every call of a step but the longest (the migration)
checks() { awk '{ d = $2 - $1; s += d; if (d > m) m = d } END { print s - m }' "$WORK/inside" >>"$WORK/$1.checks"; }

printf 'QEMU_PROTOCOL=qemu+tcp\nMIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"\n' >"$WORK/kvmrc"
export ONEKVM_KVMRC="$WORK/kvmrc"
cat >"$WORK/dom.xml" <<XML
<domain type='kvm'><name>$DOM</name><description>onekvm migrate bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/></devices></domain>
XML
"$real_virsh" -c "qemu+tcp://$BH/system" define "$WORK/dom.xml" >/dev/null
"$real_virsh" -c "qemu+tcp://$BH/system" start "$DOM" >/dev/null
DATA="<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>$DOM</DEPLOY_ID><VM><ID>9</ID><TEMPLATE/></VM></VMM_DRIVER_ACTION_DATA>"

# libvirt here is not symmetric (B -> C takes about 1 s longer than C -> B): each
# round has both sides move the VM in both directions
onekvm_move() { "$K/migrate_local" "$DOM" "$2" "$1" 9 "$1" <<<"$DATA"; }
bare_move() {
  virsh -c "qemu+tcp://$1/system" migrate --live --migrateuri tcp://127.0.0.1 --persistent --undefinesource \
    --domain "$DOM" --desturi "qemu+tcp://$2/system"
}
round() {
  step onekvm.migrate_local onekvm_move "$BH" "$CH"; checks onekvm.migrate_local
  step bare.migrate bare_move "$CH" "$BH"
  step bare.migrate bare_move "$BH" "$CH"
  step onekvm.migrate_local onekvm_move "$CH" "$BH"; checks onekvm.migrate_local
}
round
rm -f "$WORK"/*.wall "$WORK"/*.own "$WORK"/*.checks
for _ in $(seq "$ROUNDS"); do round; done

one=$(median <"$WORK/onekvm.migrate_local.wall"); bare=$(median <"$WORK/bare.migrate.wall")
one_own=$(median <"$WORK/onekvm.migrate_local.own"); bare_own=$(median <"$WORK/bare.migrate.own")
echo "== onekvm migration benchmark ($ROUNDS interleaved rounds, migrations each way, medians in ms; a 64 MiB diskless VM between two libvirtd peers on loopback)"
printf '%-14s %9s %11s %11s %11s %10s\n' action onekvm "bare virsh" "onekvm own" "bare own" overhead
printf '%-14s %9s %11s %11s %11s %10s\n' migrate_local "$(ms "$one")" "$(ms "$bare")" "$(ms "$one_own")" "$(ms "$bare_own")" \
  "$(ms $(( ${one_own%.*} - ${bare_own%.*} )))"
check_us=$(median <"$WORK/onekvm.migrate_local.checks")
echo "(the bare side is the one virsh migrate; onekvm first checks both hosts and the snapshots: 3 more virsh calls, $(ms "${check_us%.*}") ms;"
echo " wall medians mix both directions, which differ by about 1 s here: own time is the figure to compare)"
