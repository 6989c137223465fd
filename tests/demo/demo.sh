#!/usr/bin/env bash
# ./build.sh demo: drives a throwaway VM on this machine's libvirtd through the
# staged entries, the way one_vmm_exec would, and prints each step and its answer.
# usage: demo.sh <staged remotes dir>
set -uo pipefail
REMOTES=$(cd "$1" && pwd)
KVM="$REMOTES/vmm/kvm"
VM_ID=$((900000000 + $$ % 100000))
NAME="one-$VM_ID"
WORK=$(mktemp -d /tmp/onekvm-demo.XXXXXX)
trap 'virsh -c qemu:///system destroy "$NAME" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

ready() { "$KVM/onekvm" --list | awk -v a="$1" '$1 == a { print $2 }' | grep -qx ready; }

# one step: what one_vmm_exec runs, then its exit code, answer and log
step() {
  local action=$1; shift
  local stdin=$1; shift
  printf '\n$ %s %s\n' "vmm/kvm/$action" "$*"
  local out err rc
  out=$(printf '%s' "$stdin" | env -i PATH=/usr/bin:/bin "$KVM/$action" "$@" 2>"$WORK/err"); rc=$?
  err=$(cat "$WORK/err")
  printf '  exit %s' "$rc"
  [ -n "$out" ] && printf ', answer: %s' "$out"
  printf '\n'
  [ -n "$err" ] && printf '%s\n' "$err" | sed 's/^/  stderr: /'
  local state
  state=$(virsh -c qemu:///system domstate "$NAME" 2>/dev/null | head -n1)
  printf '  libvirt says: %s\n' "${state:-no domain $NAME}"
  LAST_OUT=$out
  return 0
}

action_data() {
  cat <<XML
<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>$NAME</DEPLOY_ID>
<VM><ID>$VM_ID</ID><NAME>demo</NAME><TEMPLATE><VCPU>1</VCPU><MEMORY>64</MEMORY></TEMPLATE></VM>
<DATASTORE><ID>0</ID><TM_MAD>shared</TM_MAD></DATASTORE></VMM_DRIVER_ACTION_DATA>
XML
}

DOMAIN_XML="<domain type='kvm'><name>$NAME</name><description>onekvm demo</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<features><acpi/></features><devices><controller type='usb' model='none'/><memballoon model='none'/></devices></domain>"

echo "onekvm demo: VM $VM_ID ($NAME), a diskless domain sitting in its BIOS, remotes tree $REMOTES"
"$KVM/onekvm" --version

if ready deploy; then
  step deploy "$DOMAIN_XML" "$WORK/$VM_ID/deployment.0" localhost "$VM_ID" localhost
else
  printf '\n(deploy is not implemented yet: the VM is created with virsh create)\n'
  printf '%s' "$DOMAIN_XML" > "$WORK/domain.xml"
  virsh -c qemu:///system create "$WORK/domain.xml"
fi

step reboot "$(action_data)" "$NAME" localhost "$VM_ID" localhost
step reset "$(action_data)" "$NAME" localhost "$VM_ID" localhost
step reboot "$(action_data)" "$NAME-missing" localhost "$VM_ID" localhost
step cancel "$(action_data)" "$NAME" localhost "$VM_ID" localhost
step cancel "$(action_data)" "$NAME" localhost "$VM_ID" localhost
echo
echo "demo done"
