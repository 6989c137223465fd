#!/usr/bin/env bash
# Installs and starts what the integration tests need on a fresh Debian machine
# (run as root): libvirtd with the QEMU driver, QEMU, and the packaging tools.
# Idempotent: a second run only checks that libvirtd answers.
set -euo pipefail

need_pkgs=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
           qemu-system-x86 qemu-utils busybox-static lintian rpm fakeroot
           rsync hyperfine cpio xz-utils kmod ovmf swtpm swtpm-tools
           sudo qemu-system-common openssh-server libsqlite3-dev sqlite3 python3
           libglib2.0-0 libnuma1 libudev1 liburing2)  # qemu-ga of the agent guest links them
# qemu-system-common: /usr/lib/qemu/virtiofsd (Debian 12 has no separate virtiofsd package)
# libsqlite3-dev: the static SQLite the binary links (the metric history); sqlite3: the specs read it back
# python3: tests/peer/peer.py (the second libvirtd of the migration specs) and tests/bench/

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "hypervisor: installing ${missing[*]}"
  # a fresh machine starts with empty package lists
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package that creates the qemu user is not installed; libvirtd
# refuses to start without it.
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent group kvm >/dev/null || groupadd -r kvm
getent passwd libvirt-qemu >/dev/null ||
  useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

conf=/etc/libvirt/qemu.conf
if ! grep -q '^# onekvm-tests' "$conf" 2>/dev/null; then
  printf '# onekvm-tests\nuser = "root"\ngroup = "root"\ndynamic_ownership = 0\nremember_owner = 0\n' >> "$conf"
fi
mkdir -p /var/run/libvirt /var/lib/libvirt /var/log/libvirt

if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d
  pgrep -x libvirtd >/dev/null || /usr/sbin/libvirtd -d
  for _ in $(seq 1 50); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
virsh -c qemu:///system version >/dev/null
echo "hypervisor: libvirtd answers on qemu:///system"
