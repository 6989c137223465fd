#!/usr/bin/env bash
# ./build.sh demo: drives a throwaway VM on this machine's libvirtd through the
# staged entries, the way one_vmm_exec would, and prints each step and its answer.
# The VM is the tiny test guest (a real Linux kernel that answers ACPI and
# releases hot-unplugged devices) when it is built, otherwise a diskless domain.
# usage: demo.sh <staged remotes dir>
set -uo pipefail
REMOTES=$(cd "$1" && pwd)
KVM="$REMOTES/vmm/kvm"
PROBES="$REMOTES/im/kvm-probes.d/vm"
GUEST_DIR=${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}
VM_ID=$((900000000 + $$ % 100000))
NAME="one-$VM_ID"
WORK=$(mktemp -d /tmp/onekvm-demo.XXXXXX)
VMDIR="$WORK/datastores/0/$VM_ID"
mkdir -p "$VMDIR"
cleanup() {
  virsh -c qemu:///system destroy "$NAME" >/dev/null 2>&1
  virsh -c qemu:///system undefine --snapshots-metadata "$NAME" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

is_ready() { "$KVM/onekvm" --list | awk -v a="$1" '$1 == a { print $2 }' | grep -qx ready; }

# One step: what one_vmm_exec runs (the heredoc on stdin), its exit code, answer and log.
step() {
  local entry=$1 stdin=$2; shift 2
  if ! is_ready "${entry##*/}"; then
    printf '\n(%s is not implemented yet: skipped)\n' "${entry##*/}"
    return 0
  fi
  printf '\n$ %s %s\n' "${entry#"$REMOTES"/}" "$*"
  local started=$SECONDS
  LAST_OUT=$(printf '%s' "$stdin" | env -i PATH=/usr/bin:/bin "$entry" "$@" 2>"$WORK/err")
  LAST_RC=$?
  printf '  exit %s after %ss' "$LAST_RC" "$((SECONDS - started))"
  [ -n "$LAST_OUT" ] && printf ', answer:\n%s' "$(printf '%s' "$LAST_OUT" | sed 's/^/    /')"
  printf '\n'
  sed 's/^/  stderr: /' "$WORK/err"
  local state
  state=$(virsh -c qemu:///system domstate "$NAME" 2>/dev/null | head -n1)
  printf '  libvirt: %s\n' "${state:-no domain $NAME}"
}

action_data() { # [template extras]
  cat <<XML
<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>$NAME</DEPLOY_ID>
<VM><ID>$VM_ID</ID><NAME>demo</NAME><DEPLOY_ID>$NAME</DEPLOY_ID><TEMPLATE><VCPU>1</VCPU><MEMORY>256</MEMORY>${1:-}</TEMPLATE></VM>
<DATASTORE><ID>0</ID><TM_MAD>shared</TM_MAD></DATASTORE></VMM_DRIVER_ACTION_DATA>
XML
}

qemu-img create -q -f qcow2 "$VMDIR/disk.0" 64M

if [ -f "$GUEST_DIR/vmlinuz" ]; then
  KIND="the tiny Linux test guest (TCG)"
  CONSOLE="$VMDIR/console.log"
  OS="<os><type arch='x86_64' machine='pc'>hvm</type><kernel>$GUEST_DIR/vmlinuz</kernel><initrd>$GUEST_DIR/initrd.img</initrd>
<cmdline>console=ttyS0 quiet no_timer_check</cmdline></os>"
  TYPE=qemu
  SERIAL="<serial type='file'><source path='$CONSOLE' append='on'/><target port='0'/></serial>"
else
  KIND="a diskless domain in its BIOS (build tests/guest for a real guest)"
  CONSOLE=""
  OS="<os><type arch='x86_64' machine='pc'>hvm</type></os>"
  TYPE=kvm
  SERIAL=""
fi

DOMAIN_XML="<domain type='$TYPE' xmlns:one='http://opennebula.org/xmlns/libvirt/1.0'>
<name>$NAME</name><description>onekvm demo</description>
<metadata><one:vm><one:system_datastore><![CDATA[$VMDIR]]></one:system_datastore></one:vm></metadata>
<memory unit='MiB'>256</memory><vcpu>1</vcpu>$OS<features><acpi/></features>
<devices><controller type='usb' model='none'/><memballoon model='virtio'/>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$VMDIR/disk.0'/><target dev='vda' bus='virtio'/></disk>
$SERIAL</devices></domain>"

wait_console() { # pattern count seconds
  [ -n "$CONSOLE" ] || return 0
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    [ "$(grep -c "$1" "$CONSOLE" 2>/dev/null)" -ge "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

echo "onekvm demo: VM $VM_ID ($NAME), $KIND"
echo "remotes tree: $REMOTES"
"$KVM/onekvm" --version

step "$KVM/deploy" "$DOMAIN_XML" "$VMDIR/deployment.0" localhost "$VM_ID" localhost
wait_console ONEKVM-GUEST-READY 1 120 && [ -n "$CONSOLE" ] && echo "  guest console: $(grep -m1 ONEKVM-GUEST-READY "$CONSOLE")"

step "$KVM/reboot" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
wait_console ONEKVM-GUEST-READY 2 120 && [ -n "$CONSOLE" ] && echo "  guest console: second boot seen"
step "$KVM/reset" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
wait_console ONEKVM-GUEST-READY 3 120

MAC=02:00:0a:00:00:$(printf '%02x' $((VM_ID % 200)))
NIC="<NIC><ATTACH>YES</ATTACH><MAC>$MAC</MAC><NIC_ID>0</NIC_ID><NETWORK_MODE>dummy</NETWORK_MODE><VN_MAD>dummy</VN_MAD><TARGET>one-$((VM_ID % 100000))-0</TARGET></NIC>"
step "$KVM/attach_nic" "$(action_data "$NIC")" "$NAME" "$MAC" "" virtio dummy "one-$((VM_ID % 100000))-0" "$VM_ID" localhost
wait_console ONEKVM-GUEST-NET-ADD 1 30 && [ -n "$CONSOLE" ] && echo "  guest console: $(grep -m1 ONEKVM-GUEST-NET-ADD "$CONSOLE")"
if [ -n "$CONSOLE" ]; then
  step "$KVM/detach_nic" "$(action_data)" "$NAME" "$MAC" "$VM_ID" localhost
  wait_console ONEKVM-GUEST-NET-DEL 1 30 && echo "  guest console: $(grep -m1 ONEKVM-GUEST-NET-DEL "$CONSOLE")"
else
  echo "(detach_nic skipped: a domain without a guest OS never releases a NIC; tests/guest has one that does)"
fi

step "$KVM/poll" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
step "$PROBES/monitor/vm_monitor" "" kvm 0 localhost
printf '%s\n' "$LAST_OUT" | grep "ID=\"$VM_ID\"" | sed -n 's/.*MONITOR="\([^"]*\)".*/\1/p' | base64 -d 2>/dev/null | sed 's/^/  MONITOR of this VM: /'
step "$PROBES/status/vm_state" "" kvm 0 localhost

step "$KVM/snapshot_create" "$(action_data)" "$NAME" 0 "$VM_ID" localhost
SNAP=${LAST_OUT:-snap-0}
step "$KVM/snapshot_revert" "$(action_data)" "$NAME" "$SNAP" "$VM_ID" localhost
step "$KVM/snapshot_delete" "$(action_data)" "$NAME" "$SNAP" "$VM_ID" localhost

step "$KVM/save" "$(action_data)" "$NAME" "$VMDIR/checkpoint" localhost "$VM_ID" localhost
ls -l "$VMDIR/checkpoint" 2>/dev/null | sed 's/^/  /'
step "$KVM/restore" "$(action_data)" "$VMDIR/checkpoint" localhost "$NAME" "$VM_ID" localhost
[ -e "$VMDIR/checkpoint" ] || echo "  the checkpoint was removed once the VM was running again"

if [ -n "$CONSOLE" ]; then
  step "$KVM/shutdown" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
else
  echo
  echo "(a diskless domain ignores ACPI: shutdown would wait SHUTDOWN_TIMEOUT; cancel instead)"
  step "$KVM/cancel" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
fi
step "$KVM/cancel" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
step "$KVM/reboot" "$(action_data)" "$NAME" localhost "$VM_ID" localhost
echo
echo "demo done"
