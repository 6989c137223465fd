#!/usr/bin/env bash
# Live actions (attach/detach of a disk and a NIC) through onekvm beside the bare
# virsh calls onekvm makes for them, interleaved, in one run on this machine's libvirtd.
#
# usage: tests/bench/live.sh [staged remotes dir, default dist/remotes]
#   LIVE_BENCH_ROUNDS=15   rounds (medians are printed)
#   LIVE_BENCH_NIC=0       skip the NIC part (it boots the tiny test guest, 20-60 s)
#
# Disk: a qcow2 on a SCSI target of a diskless domain (QEMU completes a SCSI unplug
# without a guest). NIC: an ethernet NIC of the tiny guest, which releases it.
# onekvm's calls: attach_disk (SCSI) = attach-device; attach_nic = dumpxml + attach-device;
# detach_disk = detach-disk + dumpxml; detach_nic = dumpxml + detach-device + dumpxml.
# The "bare" column makes the same calls from this shell.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=$(cd "${1:-$ROOT/dist/remotes}" && pwd)
K="$REMOTES/vmm/kvm"
ROUNDS=${LIVE_BENCH_ROUNDS:-15}
GUEST_DIR=${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}
URI=qemu:///system
V=(virsh --connect "$URI")
export LANG=C PATH=/usr/bin:/bin:/usr/sbin:/sbin

[ -x "$K/onekvm" ] || { echo "live.sh: no staged onekvm in $REMOTES (run ./build.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/onekvm-bench-live.XXXXXX)
DISKLESS=onekvm-bench-live-$$
GUEST=onekvm-bench-guest-$$
cleanup() {
  for d in "$DISKLESS" "$GUEST"; do "${V[@]}" destroy "$d" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

now_us() { local t=$EPOCHREALTIME; echo $(( ${t/./} )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

# runs "$@" quietly, failing the bench when it fails; adds its wall time (us) to the file $TIMES
timed() {
  local t0 t1
  t0=$(now_us)
  if ! "$@" >"$WORK/out" 2>"$WORK/err"; then
    echo "live.sh: $* failed:" >&2; cat "$WORK/err" >&2; exit 1
  fi
  t1=$(now_us)
  echo $(( t1 - t0 )) >>"$TIMES"
}

# one round of a pair of steps: time_file command...
step() { local f=$1; shift; TIMES="$WORK/$f" timed "$@"; }
bare() { "${V[@]}" "$@"; }
bare_attach() { bare attach-device "$1" "$2"; }
bare_read_attach() { bare dumpxml "$1" >/dev/null && bare attach-device "$1" "$2"; }
bare_detach_disk() { bare detach-disk "$1" "$2" >/dev/null && bare dumpxml "$1" >/dev/null; }
bare_detach_device() { bare dumpxml "$1" >/dev/null && bare detach-device "$1" "$2" >/dev/null && bare dumpxml "$1" >/dev/null; }

action_data() {
  cat <<XML
<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>$1</DEPLOY_ID><VM><ID>9</ID><TEMPLATE>$2<VCPU>1</VCPU><VMID>9</VMID></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>
XML
}

row() {
  local name=$1 one bare
  one=$(median <"$WORK/$name.onekvm")
  bare=$(median <"$WORK/$name.bare")
  printf '%-12s %10s %12s %10s\n' "$name" "$(ms "$one")" "$(ms "$bare")" "$(ms $(( ${one%.*} - ${bare%.*} )))"
}

# --- disk on a diskless domain -------------------------------------------------
cat >"$WORK/diskless.xml" <<XML
<domain type='kvm'><name>$DISKLESS</name><description>onekvm live bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/><controller type='scsi' model='virtio-scsi'/></devices></domain>
XML
"${V[@]}" create "$WORK/diskless.xml" >/dev/null
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
disk_round; disk_round   # warm-up
rm -f "$WORK"/*.onekvm "$WORK"/*.bare
for _ in $(seq "$ROUNDS"); do disk_round; done
rows=(attach_disk detach_disk)

# --- NIC on the tiny guest -----------------------------------------------------
if [ "${LIVE_BENCH_NIC:-1}" != 0 ] && [ -f "$GUEST_DIR/vmlinuz" ]; then
  cat >"$WORK/guest.xml" <<XML
<domain type='qemu'><name>$GUEST</name><description>onekvm live bench</description>
<memory unit='MiB'>256</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>$GUEST_DIR/vmlinuz</kernel><initrd>$GUEST_DIR/initrd.img</initrd><cmdline>console=ttyS0 quiet</cmdline></os>
<features><acpi/></features><on_poweroff>destroy</on_poweroff>
<devices><controller type='usb' model='none'/><serial type='file'><source path='$WORK/console'/><target port='0'/></serial>
<video><model type='none'/></video><memballoon model='none'/></devices></domain>
XML
  "${V[@]}" create "$WORK/guest.xml" >/dev/null
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
  rm -f "$WORK"/*nic.onekvm "$WORK"/*nic.bare
  for _ in $(seq "$ROUNDS"); do nic_round; done
  rows+=(attach_nic detach_nic)
fi

# --- onekvm's own cost: virsh replaced by a canned fake ---------------------------
# A small C program plays virsh: dumpxml prints a fixed domain (with the NIC until a
# detach-device has been seen), everything else succeeds. The same calls are made
# from this shell too, so the difference is onekvm's work (the stub, start, parsing,
# XML, spawning) without libvirt's noise. Needs a C compiler (the AOT build has one).
OWN=0
if command -v cc >/dev/null; then
  mkdir -p "$WORK/fake"
  cat >"$WORK/fake/virsh.c" <<C
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *state = "$WORK/fake/detached";
  char buf[4096];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "dumpxml")) {
      fputs(access(state, F_OK) == 0 ? "<domain type='kvm'><name>fake</name><devices/></domain>\\n"
        : "<domain type='kvm'><name>fake</name><devices><interface type='ethernet'><mac address='02:6f:6b:be:00:01'/></interface></devices></domain>\\n", stdout);
      return 0;
    }
    if (!strcmp(argv[i], "attach-device") || !strcmp(argv[i], "detach-device")) {
      while (fread(buf, 1, sizeof buf, stdin) > 0) { }
      if (!strcmp(argv[i], "detach-device")) fclose(fopen(state, "w"));
      return 0;
    }
  }
  return 0;
}
C
  cc -O2 -o "$WORK/fake/virsh" "$WORK/fake/virsh.c" && OWN=1
fi
if [ "$OWN" = 1 ]; then
  action_data fake "<NIC><ATTACH>YES</ATTACH><NIC_ID>0</NIC_ID><MAC>02:6f:6b:be:00:02</MAC><MODEL>virtio</MODEL></NIC>" >"$WORK/fake/nic.data"
  with_fake() { PATH="$WORK/fake:$PATH" "$@"; }
  # the same number of fake calls, made from this shell
  fakes() { local i; for ((i = 0; i < $1; i++)); do "$WORK/fake/virsh" dumpxml fake; done; }
  own_round() {
    rm -f "$WORK/fake/detached"
    local n
    for n in 1 2 3; do step "own_bare$n" fakes "$n"; done
    step own_attach_disk with_fake "$K/attach_disk" fake "$WORK/disk.1" sdb 1 b64 9 localhost <"$WORK/disk.data"
    step own_attach_nic with_fake "$K/attach_nic" fake 02:6f:6b:be:00:02 "" virtio dummy "" 9 localhost <"$WORK/fake/nic.data"
    step own_detach_nic with_fake "$K/detach_nic" fake 02:6f:6b:be:00:01 9 localhost <"$WORK/fake/nic.data"
    step own_detach_disk with_fake "$K/detach_disk" fake "$WORK/disk.1" sdb 1 9 localhost <"$WORK/disk.data"
  }
  own_round
  rm -f "$WORK"/own_*
  for _ in $(seq "$ROUNDS"); do own_round; done
fi
own_row() {
  local name=$1 calls=$2 t bare
  t=$(median <"$WORK/own_$name"); bare=$(median <"$WORK/own_bare$calls")
  printf '%-12s %10s %12s %10s\n' "$name" "$(ms "$t")" "$(ms "$bare")" "$(ms $(( ${t%.*} - ${bare%.*} )))"
}

echo "== onekvm live actions benchmark ($ROUNDS interleaved rounds each, medians in ms; libvirtd $URI)"
printf '%-12s %10s %12s %10s\n' action onekvm "bare virsh" overhead
for r in "${rows[@]}"; do row "$r"; done
echo "(bare virsh: the same virsh calls onekvm makes, from this shell; overhead = onekvm - bare)"
if [ "$OWN" = 1 ]; then
  echo
  echo "onekvm's own cost: virsh replaced by a canned fake (medians in ms)"
  printf '%-12s %10s %12s %10s\n' action onekvm "bare fakes" "own cost"
  own_row attach_disk 1
  own_row detach_disk 2
  own_row attach_nic 2
  own_row detach_nic 3
  echo "(bare fakes: the same number of fake virsh calls from this shell; own cost includes the bash entry stub)"
fi
