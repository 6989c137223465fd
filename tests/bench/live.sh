#!/usr/bin/env bash
# Live actions section of the benchmark: median wall time of onekvm's attach_disk,
# detach_disk, attach_nic and detach_nic beside the bare virsh calls each makes, in
# one run; the two sides alternate in every round so that load drifts hit both alike.
#
# QEMU's and the guest's own time vary far more than the driver adds, so both sides
# run virsh through the same wrapper, which times each virsh call from inside: "own"
# is a run's wall time minus its time inside virsh, and the overhead is onekvm's own
# time minus the bare side's (the wrapper's start is paid alike by both and cancels).
#
# Disk: a qcow2 on a SCSI target of a diskless domain (QEMU completes a SCSI unplug
# without a guest). NIC: an ethernet NIC of the tiny test guest, which releases it.
# The virsh calls: attach_disk (SCSI) = attach-device; detach_disk = detach-disk +
# dumpxml; attach_nic = dumpxml + attach-device; detach_nic = dumpxml + detach-device
# + dumpxml. Upstream's scripts spend about 250-300 ms above virsh for these.
#
# Usage: tests/bench/live.sh [REMOTES_DIR] [ROUNDS]   (as root, libvirtd running)
#   LIVE_BENCH_NIC=0 skips the NIC part (it boots the tiny test guest, 5-60 s)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=$(cd "${1:-$ROOT/dist/remotes}" && pwd)
ROUNDS=${2:-${LIVE_BENCH_ROUNDS:-25}}
K="$REMOTES/vmm/kvm"
GUEST_DIR=${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}
URI=qemu:///system
export LANG=C PATH=/usr/bin:/bin:/usr/sbin:/sbin

[ -x "$K/onekvm" ] || { echo "no staged binary in $K: run ./build.sh" >&2; exit 1; }

WORK=$(mktemp -d /tmp/onekvm-bench-live.XXXXXX)
DISKLESS=onekvm-bench-live-$$
GUEST=onekvm-bench-guest-$$
real_virsh=$(command -v virsh)
cleanup() {
  for d in "$DISKLESS" "$GUEST"; do "$real_virsh" --connect "$URI" destroy "$d" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/benchlib.sh"
install_virsh_wrapper

bare_attach() { virsh --connect "$URI" attach-device "$1" "$2"; }
bare_read_attach() { virsh --connect "$URI" dumpxml "$1" >/dev/null && virsh --connect "$URI" attach-device "$1" "$2"; }
bare_detach_disk() { virsh --connect "$URI" detach-disk "$1" "$2" && virsh --connect "$URI" dumpxml "$1" >/dev/null; }
bare_detach_device() {
  virsh --connect "$URI" dumpxml "$1" >/dev/null && virsh --connect "$URI" detach-device "$1" "$2" \
    && virsh --connect "$URI" dumpxml "$1" >/dev/null
}

action_data() {
  echo "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>$1</DEPLOY_ID><VM><ID>9</ID><TEMPLATE>$2<VCPU>1</VCPU><VMID>9</VMID></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>"
}

row() {
  local name=$1 one bare one_own bare_own
  one=$(median <"$WORK/$name.onekvm.wall"); bare=$(median <"$WORK/$name.bare.wall")
  one_own=$(median <"$WORK/$name.onekvm.own"); bare_own=$(median <"$WORK/$name.bare.own")
  printf '%-12s %9s %11s %11s %11s %10s %8s\n' "$name" "$(ms "$one")" "$(ms "$bare")" "$(ms "$one_own")" "$(ms "$bare_own")" \
    "$(ms $(( ${one_own%.*} - ${bare_own%.*} )))" "$(ms "$(paired "$WORK/$name.onekvm.own" "$WORK/$name.bare.own")")"
}

# --- disk on a diskless domain -------------------------------------------------
cat >"$WORK/diskless.xml" <<XML
<domain type='kvm'><name>$DISKLESS</name><description>onekvm live bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/><controller type='scsi' model='virtio-scsi'/></devices></domain>
XML
"$real_virsh" --connect "$URI" create "$WORK/diskless.xml" >/dev/null
qemu-img create -q -f qcow2 "$WORK/disk.1" 16M
action_data "$DISKLESS" "<DISK><ATTACH>YES</ATTACH><DISK_ID>1</DISK_ID><TARGET>sdb</TARGET><TYPE>FILE</TYPE><DRIVER>qcow2</DRIVER></DISK>" >"$WORK/disk.data"
# what onekvm hands libvirt for that disk with the shipped kvmrc
cat >"$WORK/disk.xml" <<XML
<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' discard='unmap'/><source file='$WORK/disk.1'/><target dev='sdb'/><address type='drive' controller='0' bus='0' target='1' unit='0'/></disk>
XML
disk_round() {
  step attach_disk.onekvm "$K/attach_disk" "$DISKLESS" "$WORK/disk.1" sdb 1 b64 9 localhost <"$WORK/disk.data"
  step detach_disk.onekvm "$K/detach_disk" "$DISKLESS" "$WORK/disk.1" sdb 1 9 localhost <"$WORK/disk.data"
  step attach_disk.bare bare_attach "$DISKLESS" "$WORK/disk.xml"
  step detach_disk.bare bare_detach_disk "$DISKLESS" sdb
}
disk_round
rm -f "$WORK"/*.wall "$WORK"/*.own
for _ in $(seq "$ROUNDS"); do disk_round; done
rows=(attach_disk detach_disk)

# --- NIC on the tiny guest -----------------------------------------------------
if [ "${LIVE_BENCH_NIC:-1}" != 0 ] && [ -f "$GUEST_DIR/vmlinuz" ]; then
  cat >"$WORK/guest.xml" <<XML
<domain type='qemu'><name>$GUEST</name><description>onekvm live bench</description>
<memory unit='MiB'>256</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>$GUEST_DIR/vmlinuz</kernel><initrd>$GUEST_DIR/initrd.img</initrd>
<cmdline>console=ttyS0 quiet no_timer_check</cmdline></os>
<features><acpi/></features><on_poweroff>destroy</on_poweroff>
<devices><controller type='usb' model='none'/><serial type='file'><source path='$WORK/console'/><target port='0'/></serial>
<video><model type='none'/></video><memballoon model='none'/></devices></domain>
XML
  "$real_virsh" --connect "$URI" create "$WORK/guest.xml" >/dev/null
  for _ in $(seq 360); do grep -q ONEKVM-GUEST-READY "$WORK/console" 2>/dev/null && break; sleep 0.5; done
  grep -q ONEKVM-GUEST-READY "$WORK/console" || { echo "live.sh: the tiny guest did not boot" >&2; exit 1; }
  MAC=02:6f:6b:be:$(printf '%02x:%02x' $(( $$ >> 8 & 255 )) $(( $$ & 255 )))
  action_data "$GUEST" "<NIC><ATTACH>YES</ATTACH><NIC_ID>0</NIC_ID><MAC>$MAC</MAC><MODEL>virtio</MODEL></NIC>" >"$WORK/nic.data"
  echo "<interface type='ethernet'><mac address='$MAC'/><model type='virtio'/></interface>" >"$WORK/nic.xml"
  nic_round() {
    step attach_nic.onekvm "$K/attach_nic" "$GUEST" "$MAC" "" virtio dummy "" 9 localhost <"$WORK/nic.data"
    step detach_nic.onekvm "$K/detach_nic" "$GUEST" "$MAC" 9 localhost <"$WORK/nic.data"
    step attach_nic.bare bare_read_attach "$GUEST" "$WORK/nic.xml"
    step detach_nic.bare bare_detach_device "$GUEST" "$WORK/nic.xml"
  }
  nic_round
  rm -f "$WORK"/*nic.*.wall "$WORK"/*nic.*.own
  for _ in $(seq "$ROUNDS"); do nic_round; done
  rows+=(attach_nic detach_nic)
fi

echo "== onekvm live actions benchmark ($ROUNDS interleaved rounds each, medians in ms; libvirtd $URI)"
printf '%-12s %9s %11s %11s %11s %10s %8s\n' action onekvm "bare virsh" "onekvm own" "bare own" overhead paired
for r in "${rows[@]}"; do row "$r"; done
echo "(own: wall time outside virsh; overhead = onekvm own - bare own, including onekvm's entry program;"
echo " paired: the median of each round's own-time difference, which a load drift between rounds does not move)"
