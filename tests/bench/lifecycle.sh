#!/usr/bin/env bash
# Lifecycle section of the benchmark: median wall time of onekvm's deploy, save,
# restore and shutdown (the CANCEL_NO_ACPI=yes destroy path, so no guest OS is
# needed) beside the bare virsh calls each action makes, in one run. The two
# sides alternate in every round so that load drifts hit both alike.
#
# QEMU's own time (create, save, destroy) varies by hundreds of ms on a busy
# host, far more than the driver adds. So both sides run virsh through the same
# wrapper, which times each virsh call from inside; "own" is a run's wall time
# minus its time inside virsh, and the overhead is onekvm's own time minus the
# bare side's (the wrapper's start-up is paid alike by both and cancels out).
#
# Usage: tests/bench/lifecycle.sh [REMOTES_DIR] [ROUNDS]   (as root, libvirtd running)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=${1:-$ROOT/dist/remotes}
ROUNDS=${2:-25}
KVM="$REMOTES/vmm/kvm"
URI=qemu:///system
V=(virsh --connect "$URI")

[ -x "$KVM/onekvm" ] || { echo "no staged binary in $KVM: run ./build.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/onekvm-bench-lifecycle.XXXXXX)
name="onekvm-bench-lc-$$"
cleanup() {
  "${V[@]}" destroy "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

real_virsh=$(command -v virsh)
WORK=$work
source "$(dirname "${BASH_SOURCE[0]}")/benchlib.sh"
install_virsh_wrapper

vmdir="$work/datastores/0/4242"
mkdir -p "$vmdir"
ckpt="$vmdir/checkpoint"
dep="$vmdir/deployment.0"
cat > "$work/domain.xml" <<XML
<domain type='kvm'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
# only what the measured paths read: the destroy path for shutdown, no clock sync
printf 'CANCEL_NO_ACPI=yes\nSYNC_TIME=no\n' > "$work/kvmrc"
export ONEKVM_KVMRC="$work/kvmrc"
data="<VMM_DRIVER_ACTION_DATA><VM><ID>4242</ID></VM><DATASTORE><TM_MAD>shared</TM_MAD></DATASTORE></VMM_DRIVER_ACTION_DATA>"

# record <series> <command...>: benchlib's step (wall time and time outside virsh, µs)
record() { step "$@"; }

# what each action runs, call for call (see the actions' sources)
bare_deploy() {
  "${V[@]}" domstate "$name" >/dev/null 2>&1 || true
  cp "$work/domain.xml" "$dep"
  "${V[@]}" create --file "$dep"
  "${V[@]}" --readonly domuuid --domain "$name"
}
bare_save() { "${V[@]}" save --domain "$name" --file "$ckpt"; }
bare_restore() {
  "${V[@]}" domstate "$name" >/dev/null 2>&1 || true
  "${V[@]}" save-image-dumpxml --file "$ckpt" --security-info > "$work/saved.xml"
  "${V[@]}" restore --file "$ckpt" --xml "$work/saved.xml"
  "${V[@]}" domstate "$name"
  rm -f "$ckpt"
}
bare_shutdown() {
  "${V[@]}" --readonly dumpxml --domain "$name" > /dev/null
  "${V[@]}" destroy "$name"
  "${V[@]}" domstate "$name" >/dev/null 2>&1 || true
}
onekvm_deploy() { "$KVM/deploy" "$dep" localhost 4242 localhost < "$work/domain.xml"; }
onekvm_save() { "$KVM/save" "$name" "$ckpt" localhost 4242 localhost <<< "$data"; }
onekvm_restore() { "$KVM/restore" "$ckpt" localhost "$name" 4242 localhost <<< "$data"; }
onekvm_shutdown() { "$KVM/shutdown" "$name" localhost 4242 localhost <<< "$data"; }

# the floor under every action: start, read kvmrc, one virsh call, log a line, exit
onekvm_floor() { "$KVM/shutdown" "$name-missing" localhost 4242 localhost <<< "$data"; }
bare_floor() { "${V[@]}" --readonly dumpxml --domain "$name-missing" >/dev/null 2>&1 || true; }

# one unmeasured round warms the page cache and libvirtd
bare_deploy >/dev/null; bare_save >/dev/null; bare_restore >/dev/null; bare_shutdown >/dev/null 2>&1

for _ in $(seq 1 "$ROUNDS"); do
  for side in onekvm bare; do
    record "$side.deploy" "${side}_deploy"
    record "$side.save" "${side}_save"
    record "$side.restore" "${side}_restore"
    record "$side.shutdown" "${side}_shutdown"
    record "$side.floor" "${side}_floor"
  done
done

median_ms() { ms "$(median <"$1")"; }

echo "lifecycle: medians over $ROUNDS rounds, ms (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-34s %10s %10s %10s %10s %10s %8s\n' action onekvm "bare virsh" "onekvm own" "bare own" overhead paired
for action in deploy save restore shutdown floor; do
  ow=$(median_ms "$work/onekvm.$action.wall")
  bw=$(median_ms "$work/bare.$action.wall")
  oo=$(median_ms "$work/onekvm.$action.own")
  bo=$(median_ms "$work/bare.$action.own")
  case $action in
    shutdown) label="shutdown (CANCEL_NO_ACPI destroy)" ;;
    floor) label="floor (shutdown of a missing VM)" ;;
    *) label=$action ;;
  esac
  printf '%-34s %10s %10s %10s %10s %+10.1f %+8.1f\n' "$label" "$ow" "$bw" "$oo" "$bo" "$(awk -v o="$oo" -v b="$bo" 'BEGIN { print o - b }')" \
    "$(ms "$(paired "$work/onekvm.$action.own" "$work/bare.$action.own")")"
done
echo "(paired: the median of each round's own-time difference, which a load drift between rounds does not move)"
