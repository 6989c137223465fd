#!/usr/bin/env bash
# Captures the virsh and qemu-img outputs of tests/fuzz-corpus/ from this machine's real libvirtd: a
# throwaway domain (the tiny test guest, one qcow2 disk) is defined, started, snapshotted, saved and
# removed; only what it creates is touched. Usage: tests/fuzz/capture-seeds.sh [guest dir]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GUEST=${1:-${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}}
CORPUS="$ROOT/tests/fuzz-corpus"
NAME="onekvm-fuzzseed-$$"
WORK=$(mktemp -d /var/tmp/onekvm-fuzzseed.XXXXXX)
V() { virsh -c qemu:///system "$@"; }
cleanup() {
  V destroy "$NAME" >/dev/null 2>&1 || true
  V undefine "$NAME" --snapshots-metadata >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$CORPUS"/{dumpxml,domstate,domstats,snapshot-xml,save-image-xml,qemu-img-info,deploy-xml}
qemu-img create -q -f qcow2 "$WORK/disk.0" 64M
cat > "$WORK/domain.xml" <<XML
<domain type="kvm">
  <name>$NAME</name>
  <memory unit="KiB">131072</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type><kernel>$GUEST/vmlinuz</kernel><initrd>$GUEST/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet</cmdline></os>
  <devices>
    <disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="$WORK/disk.0"/><target dev="vda" bus="virtio"/></disk>
    <interface type="user"><mac address="02:00:c0:a8:7a:02"/><model type="virtio"/></interface>
    <serial type="pty"/>
  </devices>
</domain>
XML
cp "$WORK/domain.xml" "$CORPUS/deploy-xml/libvirt-minimal.xml"
V define "$WORK/domain.xml" >/dev/null
V start "$NAME" >/dev/null
sleep 2
V dumpxml --domain "$NAME" > "$CORPUS/dumpxml/running.xml"
V dumpxml --domain "$NAME" --migratable --security-info > "$CORPUS/dumpxml/migratable.xml"
V dumpxml --domain "$NAME" --inactive > "$CORPUS/deploy-xml/libvirt-inactive.xml"
V domstate --domain "$NAME" > "$CORPUS/domstate/running.txt"
V domstate --domain "$NAME" --reason > "$CORPUS/domstate/running-reason.txt"
V dominfo --domain "$NAME" > "$CORPUS/domstate/dominfo-running.txt"
V domstats --state --nowait "$NAME" > "$CORPUS/domstats/state.txt"
V domstats --state --interface --block --nowait "$NAME" > "$CORPUS/domstats/counters.txt"
V snapshot-create-as --domain "$NAME" --name snap-0 >/dev/null
V snapshot-dumpxml --domain "$NAME" --snapshotname snap-0 --security-info > "$CORPUS/snapshot-xml/internal-running.xml"
V suspend "$NAME" >/dev/null
V domstate --domain "$NAME" --reason > "$CORPUS/domstate/paused-reason.txt"
V domstats --state --interface --block --nowait "$NAME" > "$CORPUS/domstats/paused-counters.txt"
V resume "$NAME" >/dev/null
V save "$NAME" "$WORK/checkpoint" >/dev/null
V save-image-dumpxml --file "$WORK/checkpoint" --security-info > "$CORPUS/save-image-xml/checkpoint.xml"
V domstate --domain "$NAME" --reason > "$CORPUS/domstate/saved-reason.txt"
V dominfo --domain "$NAME" > "$CORPUS/domstate/dominfo-shutoff.txt"
V domstats --state --nowait "$NAME" > "$CORPUS/domstats/shutoff.txt"
qemu-img info --output=json "$WORK/disk.0" > "$CORPUS/qemu-img-info/qcow2-with-snapshot.json"
qemu-img create -q -f qcow2 -b "$WORK/disk.0" -F qcow2 "$WORK/disk.1"
qemu-img info --output=json "$WORK/disk.1" > "$CORPUS/qemu-img-info/qcow2-backed.json"
qemu-img create -q -f raw "$WORK/disk.2" 1M
qemu-img info --output=json "$WORK/disk.2" > "$CORPUS/qemu-img-info/raw.json"
# the throwaway paths and name are not part of what is being read: keep the files stable across captures
sed -i -e "s|$WORK|/var/lib/one/datastores/0/7|g" -e "s|$NAME|one-7|g" -e "s|$GUEST|/var/lib/one/datastores/1|g" \
  "$CORPUS"/{dumpxml,domstate,domstats,snapshot-xml,save-image-xml,qemu-img-info,deploy-xml}/*
echo "captured into $CORPUS" >&2
