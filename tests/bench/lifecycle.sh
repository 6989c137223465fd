#!/usr/bin/env bash
# Lifecycle section of the benchmark: median wall time of onekvm's deploy, save,
# restore and shutdown (the CANCEL_NO_ACPI=yes destroy path, so no guest OS is
# needed) beside the bare virsh calls each action makes, in one run. The two
# sides alternate in every round so that load drifts hit both alike.
#
# Usage: tests/bench/lifecycle.sh [REMOTES_DIR] [ROUNDS]   (as root, libvirtd running)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=${1:-$ROOT/dist/remotes}
ROUNDS=${2:-15}
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

now() { date +%s%N; }
# record <series> <command...>: runs it, appends its wall time in ms to the series
record() {
  local series=$1; shift
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$work/last.err" || { echo "failed: $*" >&2; cat "$work/last.err" >&2; exit 1; }
  t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/$series"
}

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
  "${V[@]}" domstate "$name"
  "${V[@]}" --readonly dumpxml --domain "$name" > /dev/null
  "${V[@]}" destroy "$name"
  "${V[@]}" domstate "$name" >/dev/null 2>&1 || true
  "${V[@]}" domstate "$name" >/dev/null 2>&1 || true
}
onekvm_deploy() { "$KVM/deploy" "$dep" localhost 4242 localhost < "$work/domain.xml"; }
onekvm_save() { "$KVM/save" "$name" "$ckpt" localhost 4242 localhost <<< "$data"; }
onekvm_restore() { "$KVM/restore" "$ckpt" localhost "$name" 4242 localhost <<< "$data"; }
onekvm_shutdown() { "$KVM/shutdown" "$name" localhost 4242 localhost <<< "$data"; }

# one unmeasured round warms the page cache and libvirtd
bare_deploy >/dev/null; bare_save >/dev/null; bare_restore >/dev/null; bare_shutdown >/dev/null 2>&1

for _ in $(seq 1 "$ROUNDS"); do
  for side in onekvm bare; do
    record "$side.deploy" "${side}_deploy"
    record "$side.save" "${side}_save"
    record "$side.restore" "${side}_restore"
    record "$side.shutdown" "${side}_shutdown"
  done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }

echo "lifecycle: median wall time over $ROUNDS rounds, ms (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-28s %10s %10s %10s\n' action onekvm "bare virsh" overhead
for action in deploy save restore shutdown; do
  o=$(median "$work/onekvm.$action")
  b=$(median "$work/bare.$action")
  label=$action
  [ "$action" = shutdown ] && label="shutdown (CANCEL_NO_ACPI)"
  printf '%-28s %10s %10s %10s\n' "$label" "$o" "$b" "$(awk -v o="$o" -v b="$b" 'BEGIN { printf "%+.1f", o - b }')"
done
