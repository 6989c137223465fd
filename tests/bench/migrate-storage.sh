#!/usr/bin/env bash
# Storage migration section of the benchmark: onekvm's migrate of a VM whose system
# datastore is not shared, beside the bare commands a person would type for it, in one
# run. Two peer hosts B and C are started here, each really another host for the driver
# (engineering-notes.md, "A destination that is really another host"): its own host name
# (a 127.x.y.z line in /etc/hosts), a libvirtd and an sshd listening there, and its own
# datastore (a private directory bind-mounted over the datastore path in its mount
# namespace). Both sides run on the source host (nsenter into its namespaces) and move
# the same VM (128 MiB RAM, a 1 GiB qcow2 disk with 256 MiB written, a context-like file):
#   onekvm: vmm/kvm/migrate DOM DST SRC 9 SRC with the action data (SHARED=NO)
#   bare:   ssh DST 'mkdir -p DIR && qemu-img create -f qcow2 DIR/disk.0 1G';
#           rsync -aS --exclude=/disk.0 DIR/ DST:DIR/;
#           virsh migrate --live --copy-storage-all --migrate-disks vda DOM qemu+tcp://DST/system
# Each round moves the VM C -> B -> C twice, once by each side, alternating; after each move
# the source's directory is removed (what the TM driver's postmigrate does), untimed.
# Reported: wall time; "own" = wall time minus the time inside virsh, ssh, rsync, qemu-img
# and realpath (wrappers time each call; overlapping calls count once); and the bytes the
# destination's disk image takes (allocated) beside the source's.
#
# Usage: tests/bench/migrate-storage.sh [REMOTES_DIR] [ROUNDS]   (as root; libvirtd, sshd, rsync installed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REMOTES=$(cd "${1:-$ROOT/dist/remotes}" && pwd)
ROUNDS=${2:-${MIGRATE_STORAGE_BENCH_ROUNDS:-3}}
K="$REMOTES/vmm/kvm"
export LANG=C PATH=/usr/bin:/bin:/usr/sbin:/sbin

[ -x "$K/onekvm" ] || { echo "no staged binary in $K: run ./build.sh" >&2; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "migrate-storage.sh: sshd is not installed (openssh-server)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/onekvm-bench-storage.XXXXXX)
DS="$WORK/ds"          # the datastores path; each peer has its own files behind it
VMID=9
DIR="$DS/0/$VMID"
DOM=onekvm-bench-storage-$$
real_virsh=$(command -v virsh)
mkdir -p "$DS/0"

free_address() {
  local a
  for _ in $(seq 100); do
    a="127.0.$((RANDOM % 240 + 1)).$((RANDOM % 240 + 2))"
    grep -q "^$a[[:space:]]" /etc/hosts && continue
    python3 -c "import socket; s = socket.socket(); s.bind(('$a', 16509)); s.close()" 2>/dev/null && { echo "$a"; return; }
  done
  return 1
}

# peer NAME: prints its host name; its namespaces' pid is in $WORK/NAME/libvirtd.pid
peer() {
  local name="onekvm-bench-$1-$$" dir="$WORK/$1" addr port known
  addr=$(free_address)
  # 22 unless a host sshd listens on every address
  port=$(python3 -c "import socket
s = socket.socket()
try: s.bind(('$addr', 22)); print(22)
except OSError: s.bind(('$addr', 0)); print(s.getsockname()[1])")
  mkdir -p "$dir"/{run,lib,log,cache,ds/0}
  cp -a /etc/libvirt "$dir/etc"
  printf '\nlisten_tls = 0\nlisten_tcp = 1\nlisten_addr = "%s"\nauth_tcp = "none"\nhost_uuid = "%s"\n' \
    "$addr" "$(cat /proc/sys/kernel/random/uuid)" >>"$dir/etc/libvirtd.conf"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  [ -f "$WORK/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$WORK/id"
  cp "$WORK/id.pub" "$dir/authorized_keys"
  if [ "$port" = 22 ]; then known="$name,$addr"; else known="[$name]:$port,[$addr]:$port"; fi
  echo "$known $(cut -d' ' -f1,2 "$dir/host_key.pub")" >>"$WORK/known_hosts"
  printf 'ListenAddress %s:%s\nHostKey %s\nPidFile %s\nAuthorizedKeysFile %s\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n' \
    "$addr" "$port" "$dir/host_key" "$dir/sshd.pid" "$dir/authorized_keys" >"$dir/sshd_config"
  printf 'Host %s\n  Port %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n' \
    "$name" "$port" "$WORK/id" "$WORK/known_hosts" >"/etc/ssh/ssh_config.d/$name.conf"
  echo "$addr $name # onekvm bench $$" >>/etc/hosts
  unshare --mount --uts --propagation private bash -c '
    set -e
    for d in run lib log cache; do mount --bind "$1/$d" /var/$d/libvirt; done
    mount --bind "$1/etc" /etc/libvirt
    mount --bind "$1/ds" "$3"
    hostname "$2"
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$1/sshd_config"
    virtlogd -d -p /var/run/libvirt/virtlogd-peer.pid
    exec libvirtd --listen -p /var/run/libvirt/libvirtd-peer.pid' peer "$dir" "$name" "$DS" \
    </dev/null >"$dir/libvirtd.log" 2>&1 &
  echo $! >"$dir/libvirtd.pid"
  for _ in $(seq 150); do
    "$real_virsh" -c "qemu+tcp://$name/system" version >/dev/null 2>&1 && ssh -o BatchMode=yes "$name" true 2>/dev/null && break
    sleep 0.2
  done
  "$real_virsh" -c "qemu+tcp://$name/system" version >/dev/null
  echo "$name"
}

cleanup() {
  for p in b c; do
    local dir="$WORK/$p" name="onekvm-bench-$p-$$"
    "$real_virsh" -c "qemu+tcp://$name/system" destroy "$DOM" >/dev/null 2>&1 || true
    for f in "$dir/sshd.pid" "$dir/libvirtd.pid" "$dir/run/virtlogd-peer.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    rm -f "/etc/ssh/ssh_config.d/$name.conf"
  done
  # /etc/hosts may be a bind mount: rewritten in place, other lines kept
  grep -v "# onekvm bench $$\$" /etc/hosts >"$WORK/hosts" || true
  cat "$WORK/hosts" >/etc/hosts
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

B=$(peer b)
C=$(peer c)
pid_of() { cat "$WORK/$([ "$1" = "$B" ] && echo b || echo c)/libvirtd.pid"; }
own_dir() { echo "$WORK/$([ "$1" = "$B" ] && echo b || echo c)/ds/0/$VMID"; }

source "$(dirname "${BASH_SOURCE[0]}")/benchlib.sh"
# every program either side runs is timed from inside, like virsh
install_timed_wrappers virsh ssh rsync qemu-img realpath
# own = wall - union of the timed calls (rsync runs ssh inside its own interval)
step() {
  local _series=$1 _t0 _t1 _inside
  shift
  : >"$WORK/inside"
  _t0=$(now_us)
  if ! "$@" >"$WORK/out" 2>"$WORK/err"; then
    echo "$(basename "$0"): $* failed:" >&2; cat "$WORK/err" >&2; exit 1
  fi
  _t1=$(now_us)
  _inside=$(sort -n "$WORK/inside" | awk '{ if ($1 > end) { s += end - start; start = $1; end = $2 } else if ($2 > end) end = $2 }
    END { print s + end - start }')
  echo $(( _t1 - _t0 )) >>"$WORK/$_series.wall"
  echo $(( _t1 - _t0 - _inside )) >>"$WORK/$_series.own"
}

# the VM, on C
cdir=$(own_dir "$C")
mkdir -p "$cdir"
qemu-img create -q -f qcow2 "$cdir/disk.0" 1G
qemu-io -f qcow2 -c "write -P 0x5a 0 256M" "$cdir/disk.0" >/dev/null
head -c 372736 /dev/urandom >"$cdir/disk.1"   # a context-ISO-sized read-only file
cat >"$WORK/dom.xml" <<XML
<domain type='kvm'><name>$DOM</name><description>onekvm storage migration bench</description>
<memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$DIR/disk.0'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='$DIR/disk.1'/><target dev='hdc' bus='ide'/><readonly/></disk>
</devices></domain>
XML
cp "$WORK/dom.xml" "$cdir/deployment.0"
"$real_virsh" -c "qemu+tcp://$C/system" create "$WORK/dom.xml" >/dev/null
DATA="<VMM_DRIVER_ACTION_DATA><HOST>x</HOST><DEPLOY_ID>$DOM</DEPLOY_ID><DISK_TARGET_PATH>$DIR</DISK_TARGET_PATH><VM><ID>$VMID</ID><TEMPLATE/></VM><DATASTORE><ID>0</ID><TM_MAD>ssh</TM_MAD><BASE_PATH>$DS/0</BASE_PATH><TEMPLATE><SHARED>NO</SHARED></TEMPLATE></DATASTORE></VMM_DRIVER_ACTION_DATA>"

onekvm_move() {
  printf 'LIBVIRT_URI=qemu+tcp://%s/system\nQEMU_PROTOCOL=qemu+tcp\n' "$1" >"$WORK/kvmrc.$1"
  nsenter -t "$(pid_of "$1")" -m -u -- env PATH="$PATH" ONEKVM_KVMRC="$WORK/kvmrc.$1" "$K/migrate" "$DOM" "$2" "$1" "$VMID" "$1" <<<"$DATA"
}
bare_move() {
  nsenter -t "$(pid_of "$1")" -m -u -- env PATH="$PATH" bash -c '
    set -e
    ssh "$2" "mkdir -p $3 && qemu-img create -q -f qcow2 $3/disk.0 1073741824"
    rsync -a -S --exclude=/disk.0 "$3/" "$2:$3/"
    virsh -c "qemu+tcp://$1/system" migrate --live --copy-storage-all --migrate-disks vda "$4" "qemu+tcp://$2/system"' \
    bare "$1" "$2" "$DIR" "$DOM"
}
# after a move: what the destination's image takes, then the source's directory goes (as postmigrate)
settle() {
  du -B1 "$(own_dir "$2")/disk.0" | cut -f1 >>"$WORK/$3.bytes"
  rm -rf "$(own_dir "$1")"
}
src_bytes=$(du -B1 "$cdir/disk.0" | cut -f1)
round() {
  step onekvm.migrate onekvm_move "$C" "$B"; settle "$C" "$B" onekvm
  step bare.migrate bare_move "$B" "$C"; settle "$B" "$C" bare
  step bare.migrate bare_move "$C" "$B"; settle "$C" "$B" bare
  step onekvm.migrate onekvm_move "$B" "$C"; settle "$B" "$C" onekvm
}
for _ in $(seq "$ROUNDS"); do round; done

one=$(median <"$WORK/onekvm.migrate.wall"); bare=$(median <"$WORK/bare.migrate.wall")
one_own=$(median <"$WORK/onekvm.migrate.own"); bare_own=$(median <"$WORK/bare.migrate.own")
echo "== onekvm storage migration benchmark ($ROUNDS rounds, $((ROUNDS * 2)) moves each side, medians; 128 MiB VM, 1 GiB qcow2 with 256 MiB written, not shared, between two peer hosts)"
printf '%-16s %10s %10s %10s %10s %16s\n' side "wall ms" "own ms" "dest bytes" "src bytes" "wall vs bare"
printf '%-16s %10s %10s %10s %10s %15s%%\n' "onekvm migrate" "$(ms "$one")" "$(ms "$one_own")" "$(median <"$WORK/onekvm.bytes")" "$src_bytes" \
  "$(awk -v a="$one" -v b="$bare" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')"
printf '%-16s %10s %10s %10s %10s %16s\n' "bare commands" "$(ms "$bare")" "$(ms "$bare_own")" "$(median <"$WORK/bare.bytes")" "$src_bytes" ""
echo "(wall in ms per move: onekvm $(tr '\n' ' ' <"$WORK/onekvm.migrate.wall" | awk '{ for (i = 1; i <= NF; i++) printf "%.0f ", $i / 1000 }')," \
  "bare $(tr '\n' ' ' <"$WORK/bare.migrate.wall" | awk '{ for (i = 1; i <= NF; i++) printf "%.0f ", $i / 1000 }'))"
