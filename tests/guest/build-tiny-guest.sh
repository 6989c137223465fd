#!/usr/bin/env bash
# Builds the tiny Linux guest the integration tests boot under libvirt/QEMU:
# Debian's cloud kernel (OUTDIR/vmlinuz) plus a busybox-only initramfs
# (OUTDIR/initrd.img) whose /init reacts to ACPI and reports hot-plug events
# on the serial console. See README.md next to this script for what it prints.
#
# Usage (as root, on Debian 12): build-tiny-guest.sh [OUTDIR]
# Idempotent: when OUTDIR already holds a build for the same kernel and the
# same version of this script, it only prints where the files are.
set -euo pipefail

OUTDIR=${1:-/var/cache/onekvm-tests/guest}
KERNEL_META=linux-image-cloud-amd64

# What /init loads, in this order; modprobe resolves the dependencies.
# virtio_pci/net/blk: the NICs and disks the tests hot-plug.
# virtio_balloon: lets `virsh setmem --live` change MemTotal.
# virtio_console: harmless, and lets a test add a virtio serial channel.
# button + evdev: the ACPI power button as /dev/input/event*, which is how
#   the guest notices `virsh shutdown` and `virsh reboot`.
# virtiofs (with fuse): a <filesystem> share, mounted only when the kernel
#   command line names its tag (onekvm.virtiofs=TAG).
GUEST_MODULES=(virtio_pci virtio_net virtio_blk virtio_console virtio_balloon
               button evdev virtiofs)

log() { echo "build-tiny-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, mknod)"

apt_updated=0
apt_update_once() {
  # A fresh machine starts with empty package lists, so nothing resolves
  # before the first update.
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt_updated=1
  fi
}

ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update_once
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# The meta package only depends on the current ABI's package; that versioned
# package is the one carrying vmlinuz and the modules.
resolve_kernel_pkg() {
  apt-cache depends --important "$KERNEL_META" 2>/dev/null |
    awk '$1 ~ /Depends:/ && $2 ~ /^linux-image-[0-9].*-cloud-amd64$/ { print $2; exit }'
}

ensure_pkgs busybox-static cpio kmod xz-utils gzip

kpkg=$(resolve_kernel_pkg || true)
if [ -z "$kpkg" ]; then
  apt_update_once
  kpkg=$(resolve_kernel_pkg || true)
fi
[ -n "$kpkg" ] || die "cannot resolve the package behind $KERNEL_META"
kpkg_version=$(apt-cache policy "$kpkg" | awk '/Candidate:/ { print $2; exit }')
kver=${kpkg#linux-image-}
qga_candidate() { apt-cache policy qemu-guest-agent | awk '/Candidate:/ { print $2; exit }'; }
qga_version=$(qga_candidate)
if [ -z "$qga_version" ] || [ "$qga_version" = "(none)" ]; then
  apt_update_once
  qga_version=$(qga_candidate)
fi
[ -n "$qga_version" ] && [ "$qga_version" != "(none)" ] ||
  die "apt knows no candidate for qemu-guest-agent"

# The stamp also covers this script, so a change to /init or to the module
# list rebuilds the initramfs without anyone having to clean OUTDIR.
script_sum=$(sha256sum "$0" | cut -d' ' -f1)
stamp_want="kernel=$kver package=$kpkg version=$kpkg_version qga=$qga_version script=$script_sum"
stamp="$OUTDIR/.stamp"

print_result() {
  echo "kernel:  $OUTDIR/vmlinuz ($kver)"
  echo "initrd:  $OUTDIR/initrd.img"
  echo "agent:   $OUTDIR/initrd-agent.img (initrd.img + qemu-guest-agent $qga_version)"
}

if [ -f "$stamp" ] && [ -f "$OUTDIR/vmlinuz" ] && [ -f "$OUTDIR/initrd.img" ] &&
   [ -f "$OUTDIR/initrd-agent.img" ] &&
   [ "$(cat "$stamp")" = "$stamp_want" ]; then
  log "up to date"
  print_result
  exit 0
fi

work=$(mktemp -d /tmp/onekvm-tiny-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# apt-get download drops privileges to _apt; letting it reach and own the
# directory avoids the "download is performed unsandboxed" warning.
mkdir "$work/dl"
if getent passwd _apt >/dev/null; then chmod 755 "$work"; chown _apt "$work/dl"; fi
log "downloading $kpkg $kpkg_version (not installed on this host)"
(cd "$work/dl" && apt-get download -qq "$kpkg=$kpkg_version")
deb=$(ls "$work"/dl/*.deb)
mkdir "$work/kroot"
dpkg-deb -x "$deb" "$work/kroot"
[ -f "$work/kroot/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $deb"

# The package ships no modules.dep (its postinst runs depmod), so make one
# inside the extracted tree and let modprobe order the dependencies.
depmod -b "$work/kroot" "$kver"
deps=$(
  for m in "${GUEST_MODULES[@]}"; do
    modprobe -d "$work/kroot" -S "$kver" --show-depends "$m" || exit 1
  done
) || die "a module of (${GUEST_MODULES[*]}) is missing from $kpkg"
# Lines are "insmod <path>" (or "builtin <name>", nothing to ship); shared
# dependencies such as virtio.ko come once, at their first position.
mapfile -t mod_paths < <(awk '$1 == "insmod" && !seen[$2]++ { print $2 }' <<< "$deps")

root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# The kernel opens /dev/console for init before /init can mount devtmpfs;
# without the node the guest's output would go nowhere.
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

# Modules go in flat and uncompressed: busybox insmod cannot be relied on to
# read .ko.xz/.ko.zst, and a flat list keeps /init free of dependency logic.
: > "$root/lib/modules/load-order"
for p in "${mod_paths[@]}"; do
  name=$(basename "$p")
  case "$name" in
    *.ko.xz)  name=${name%.xz};  xz -dc "$p" > "$root/lib/modules/$name" ;;
    *.ko.gz)  name=${name%.gz};  gzip -dc "$p" > "$root/lib/modules/$name" ;;
    *.ko.zst) name=${name%.zst}; ensure_pkgs zstd
              zstd -qdc "$p" > "$root/lib/modules/$name" ;;
    *.ko)     cp "$p" "$root/lib/modules/$name" ;;
    *)        die "unexpected module file $p" ;;
  esac
  echo "$name" >> "$root/lib/modules/load-order"
done

cat > "$root/init" <<'INIT'
#!/bin/sh
# PID 1 of the OneKvm test guest. Everything it prints for the tests starts
# with ONEKVM-GUEST- so they can grep the serial console log. It must never
# exit: the kernel panics when init dies.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
if ! mount -t devtmpfs devtmpfs /dev 2>/dev/null; then
  mount -t tmpfs -o mode=755 tmpfs /dev
  no_devtmpfs=1
fi

say() { echo "ONEKVM-GUEST-$*"; }

while read -r m; do
  insmod "/lib/modules/$m" 2>/dev/null || say "WARN insmod $m failed"
done < /lib/modules/load-order
# Without devtmpfs the input event nodes exist only once mdev makes them.
[ -n "${no_devtmpfs:-}" ] && mdev -s

busy=0 write_dev=''
virtiofs=''
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
  case "$arg" in
    onekvm.busy=1) busy=1 ;;
    onekvm.virtiofs=*) virtiofs=${arg#onekvm.virtiofs=} ;;
    onekvm.write=*) write_dev=${arg#onekvm.write=} ;;
  esac
done

# A virtiofs share: mount it and print the first line of each file at its top.
if [ -n "$virtiofs" ]; then
  mkdir -p /mnt
  if mount -t virtiofs "$virtiofs" /mnt; then
    for f in /mnt/*; do
      [ -f "$f" ] || continue
      read -r line < "$f"
      say "SHARE-FILE ${f##*/} $line"
    done
  else
    say "WARN cannot mount virtiofs $virtiofs"
  fi
fi

# --- state snapshots; builtins only, the loop runs every second under TCG ---

list_net() {
  for p in /sys/class/net/*; do
    n=${p##*/}
    case "$n" in lo|'*') ;; *) printf '%s ' "$n" ;; esac
  done
}

list_blk() {
  for p in /sys/block/*; do
    n=${p##*/}
    case "$n" in loop*|ram*|zram*|'*') ;; *) printf '%s ' "$n" ;; esac
  done
}

blk_size() { read -r s < "/sys/block/$1/size" 2>/dev/null && echo "$s"; }

mem_total() {
  while read -r k v _; do
    [ "$k" = MemTotal: ] && { echo "$v"; return; }
  done < /proc/meminfo
}

# Nothing in this guest runs udev, so hot-added CPUs and memory blocks stay
# offline until someone onlines them; doing it here makes `virsh setvcpus`
# and DIMM hot-plug visible as new totals.
online_cpus() {
  n=0
  for c in /sys/devices/system/cpu/cpu[0-9]*; do
    if [ -f "$c/online" ]; then
      read -r o < "$c/online"
      # Braces: a failed redirection reports before a plain 2>/dev/null applies,
      # and the write does fail while the kernel is ejecting that CPU.
      if [ "$o" = 0 ] && { echo 1 > "$c/online"; } 2>/dev/null; then o=1; fi
      [ "$o" = 1 ] && n=$((n + 1))
    else
      n=$((n + 1))   # the boot CPU has no online switch
    fi
  done
  echo "$n"
}

# Movable, because memory onlined into the normal zone can never be offlined
# again and the guest then rejects a DIMM detach.
online_memory() {
  for s in /sys/devices/system/memory/memory*/state; do
    [ -f "$s" ] || continue
    read -r st < "$s"
    [ "$st" = offline ] && { echo online_movable > "$s"; } 2>/dev/null
  done
}

contains() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

net_add() { read -r mac < "/sys/class/net/$1/address" 2>/dev/null; say "NET-ADD $1 ${mac:-}"; }
# Sizes live in size_<name> variables, so only names that are valid in a
# variable name get BLK-SIZE tracking (vda, sdb; not dm-0, which never
# appears in this guest anyway).
plain_name() { case "$1" in *[!a-z0-9]*) return 1 ;; esac; }
blk_add() {
  sz=$(blk_size "$1")
  say "BLK-ADD $1 $sz"
  if plain_name "$1"; then eval "size_$1=\$sz"; fi
}

# Prints what changed between two snapshots. Called once at boot with an empty
# "old" so the console also shows the devices the guest started with.
report() {
  old_net=$1 new_net=$2 old_blk=$3 new_blk=$4
  for x in $new_net; do contains "$old_net" "$x" || net_add "$x"; done
  for x in $old_net; do contains "$new_net" "$x" || say "NET-DEL $x"; done
  for x in $new_blk; do
    if contains "$old_blk" "$x"; then
      plain_name "$x" || continue
      was='' ; eval "was=\${size_$x:-}"
      now=$(blk_size "$x")
      if [ -n "$now" ] && [ "$now" != "$was" ]; then
        say "BLK-SIZE $x $now"
        eval "size_$x=$now"
      fi
    else
      blk_add "$x"
    fi
  done
  for x in $old_blk; do contains "$new_blk" "$x" || say "BLK-DEL $x"; done
}

net=$(list_net) blk=$(list_blk)
report "" "$net" "" "$blk"
mem=$(mem_total) cpus=$(online_cpus)
say "MEM $mem"
say "CPUS $cpus"

# onekvm.write=<dev>: a writer that keeps putting random 4 KiB blocks, each
# synced, at a moving offset in the first 8 MiB of /dev/<dev>. At power-off it
# is stopped, its last write synced, and the device's md5 printed (SUM line), so
# a test can check the image it ends up with byte for byte.
if [ -n "$write_dev" ]; then
  (
    n=0
    while [ ! -e /write.stop ]; do
      dd if=/dev/urandom of="/dev/$write_dev" bs=4096 count=1 seek=$((n % 2048)) conv=notrunc,fsync 2>/dev/null ||
        say "WARN write to $write_dev failed"
      n=$((n + 1))
    done
    say "WROTE $write_dev $n"
    : > /write.stopped
  ) &
  say "WRITING $write_dev"
fi
stop_writer() {
  [ -n "$write_dev" ] || return 0
  : > /write.stop
  while [ ! -e /write.stopped ]; do usleep 100000; done
  sync
  set -- $(md5sum "/dev/$write_dev")
  say "SUM $write_dev $1"
}

# One waiter per power button (QEMU's PIIX4 has one, other machines may have
# a second one); whichever sees an event powers off. poweroff -f calls
# reboot(2) directly, so it works from a child of PID 1 too.
for d in /sys/class/input/event*; do
  read -r name < "$d/device/name" 2>/dev/null || continue
  [ "$name" = "Power Button" ] || continue
  (
    # One struct input_event is 24 bytes; a failed read must not power off.
    if dd if="/dev/input/${d##*/}" of=/dev/null bs=24 count=1 2>/dev/null; then
      stop_writer
      say "POWEROFF"
      poweroff -f
    fi
    say "WARN cannot read /dev/input/${d##*/}"
  ) &
  have_button=1
done
[ -n "${have_button:-}" ] || say "WARN no ACPI power button; shutdown will not work"

if [ "$busy" = 1 ]; then
  ( while :; do :; done ) &
  say "BUSY on"
fi

# Extras that an initramfs appended to this one brings (the agent variant,
# initrd-agent.img): each runs once, before READY. The plain guest has none.
for h in /etc/onekvm-guest.d/*; do
  [ -x "$h" ] && "$h"
done

read -r up _ < /proc/uptime
read -r id < /proc/sys/kernel/random/boot_id
# The guest keeps nothing across a reset (no disk; QEMU's CMOS checksum is
# invalid, so the kernel's /dev/nvram refuses reads), so it cannot number its
# boots: tests count READY lines, and id= tells one boot from another.
say "READY id=$id uptime=$up"

while :; do
  sleep 1
  online_memory
  new_net=$(list_net) new_blk=$(list_blk)
  # Also when the name lists are equal: report() catches size changes.
  report "$net" "$new_net" "$blk" "$new_blk"
  net=$new_net blk=$new_blk
  new_mem=$(mem_total) new_cpus=$(online_cpus)
  [ "$new_mem" = "$mem" ] || { say "MEM $new_mem"; mem=$new_mem; }
  [ "$new_cpus" = "$cpus" ] || { say "CPUS $new_cpus"; cpus=$new_cpus; }
done
INIT
chmod 755 "$root/init"

# --- the agent variant: an extra initramfs appended to the plain one ---
# The kernel unpacks concatenated archives in order, so initrd-agent.img is
# initrd.img followed by this archive: Debian's qemu-ga with the libraries it
# links, a hook /init runs before READY, and a stand-in nvidia-smi. The plain
# initrd.img stays exactly as it was for the tests that need no agent.
agent="$work/agent"
mkdir -p "$work/qga" "$agent"/{usr/sbin,usr/bin,sbin,etc/onekvm-guest.d,lib64}
if getent passwd _apt >/dev/null; then chown _apt "$work/qga"; fi
log "downloading qemu-guest-agent $qga_version (not installed on this host)"
(cd "$work/qga" && apt-get download -qq "qemu-guest-agent=$qga_version")
dpkg-deb -x "$(ls "$work"/qga/*.deb)" "$work/qga/root"
cp "$work/qga/root/usr/sbin/qemu-ga" "$agent/usr/sbin/qemu-ga"
# The libraries come from this host (same Debian release as the package);
# the package's own dependencies say which ones must be present.
ensure_pkgs libc6 libglib2.0-0 libnuma1 libudev1 liburing2
libs=$(ldd "$agent/usr/sbin/qemu-ga" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }')
[ -n "$libs" ] || die "ldd found no libraries for qemu-ga"
for l in $libs; do
  mkdir -p "$agent$(dirname "$l")"
  cp -L "$l" "$agent$l"
done
if ldd "$agent/usr/sbin/qemu-ga" | grep -q 'not found'; then
  die "qemu-ga needs a library this host lacks: $(ldd "$agent/usr/sbin/qemu-ga" | grep 'not found')"
fi
# guest-set-time (virsh domtime --sync) runs /sbin/hwclock; busybox has one.
ln -s ../bin/busybox "$agent/sbin/hwclock"
# guest-get-osinfo reads os-release.
cat > "$agent/etc/os-release" <<'OSREL'
NAME="OneKvm tiny test guest"
ID=onekvm-tiny
VERSION_ID=1.0
PRETTY_NAME="OneKvm tiny test guest 1.0"
OSREL

cat > "$agent/etc/onekvm-guest.d/qemu-ga" <<'HOOK'
#!/bin/sh
# Starts qemu-ga on the virtio-serial port named org.qemu.guest_agent.0.
# Nothing runs udev here, so the port is found by its name in sysfs and the
# usual /dev/virtio-ports/ link is made by hand.
say() { echo "ONEKVM-GUEST-$*"; }
for p in /sys/class/virtio-ports/*; do
  read -r name < "$p/name" 2>/dev/null || continue
  [ "$name" = org.qemu.guest_agent.0 ] || continue
  dev=/dev/${p##*/}
  mkdir -p /dev/virtio-ports /var/run /run/qemu-ga
  ln -sf "$dev" "/dev/virtio-ports/$name"
  # PATH: what guest-exec finds by name (busybox applets, nvidia-smi).
  PATH=/bin:/sbin:/usr/bin:/usr/sbin qemu-ga -m virtio-serial -p "$dev" \
    -t /run/qemu-ga </dev/null >/dev/console 2>&1 &
  say "AGENT $dev pid=$!"
  exit 0
done
say "WARN no virtio-serial port named org.qemu.guest_agent.0; qemu-ga not started"
HOOK
chmod 755 "$agent/etc/onekvm-guest.d/qemu-ga"

# What `nvidia-smi --query-gpu=a,b --format=csv,noheader,nounits` prints on a
# host with two GPUs: one line per GPU, values in the order asked, ", "
# between them. Fields this stand-in does not know print [N/A], as the real
# one does for unsupported fields.
cat > "$agent/usr/bin/nvidia-smi" <<'SMI'
#!/bin/sh
fields='' csv=0
for a in "$@"; do
  case "$a" in
    --query-gpu=*) fields=${a#--query-gpu=} ;;
    --format=csv*) csv=1 ;;
  esac
done
if [ -z "$fields" ] || [ "$csv" != 1 ]; then
  echo "stand-in nvidia-smi: only --query-gpu=... --format=csv,noheader,nounits" >&2
  exit 2
fi
for gpu in 0 1; do
  line='' sep=''
  for f in $(echo "$fields" | tr ',' ' '); do
    case "$gpu:$f" in
      0:gpu_uuid|0:uuid) v=GPU-3f1e9c52-7a4b-4c1d-9e2f-0b8a6d5c4e31 ;;
      1:gpu_uuid|1:uuid) v=GPU-8c2d4e6f-1a3b-4d5c-8e7f-9a0b1c2d3e4f ;;
      0:utilization.gpu) v=37 ;;
      1:utilization.gpu) v=58 ;;
      0:utilization.memory) v=12 ;;
      1:utilization.memory) v=20 ;;
      0:power.draw) v=71.52 ;;
      1:power.draw) v=102.30 ;;
      0:memory.free) v=15234 ;;
      1:memory.free) v=8120 ;;
      *:name) v="NVIDIA L40S" ;;
      *) v='[N/A]' ;;
    esac
    line="$line$sep$v" sep=', '
  done
  echo "$line"
done
SMI
chmod 755 "$agent/usr/bin/nvidia-smi"

mkdir -p "$OUTDIR"
# Write under temporary names and rename, so a test never picks up half a file
# and an interrupted build is redone on the next run (no stamp yet).
rm -f "$stamp"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
   cpio --null -o -H newc --owner 0:0 --quiet) | gzip -9n > "$OUTDIR/initrd.img.tmp"
(cd "$agent" && find . -print0 | LC_ALL=C sort -z |
   cpio --null -o -H newc --owner 0:0 --quiet) | gzip -9n > "$work/agent.cpio.gz"
cat "$OUTDIR/initrd.img.tmp" "$work/agent.cpio.gz" > "$OUTDIR/initrd-agent.img.tmp"
cp "$work/kroot/boot/vmlinuz-$kver" "$OUTDIR/vmlinuz.tmp"
mv -f "$OUTDIR/initrd.img.tmp" "$OUTDIR/initrd.img"
mv -f "$OUTDIR/initrd-agent.img.tmp" "$OUTDIR/initrd-agent.img"
mv -f "$OUTDIR/vmlinuz.tmp" "$OUTDIR/vmlinuz"
chmod 644 "$OUTDIR/vmlinuz" "$OUTDIR/initrd.img" "$OUTDIR/initrd-agent.img"
echo "$stamp_want" > "$stamp"
log "built for $kver"
print_result
