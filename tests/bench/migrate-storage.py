"""Storage migration section of the benchmark: onekvm's migrate of a VM whose system datastore is not
shared, beside the bare commands a person would type for it, in one run. Two peer hosts B and C are
started here (tests/peer/peer.py --own-host), each really another host for the driver
(engineering-notes.md, "A destination that is really another host"): its own host name (a 127.x.y.z
line in /etc/hosts), a libvirtd and an sshd listening there, and its own datastore (a private
directory bind-mounted over the datastore path in its mount namespace). Both sides move the same VM
(128 MiB RAM, a 1 GiB qcow2 disk with 256 MiB written, a context-like file) as the source host:
  onekvm: vmm/kvm/migrate DOM DST SRC 9 SRC with the action data (SHARED=NO), run in the source's
          namespaces (nsenter)
  bare:   ssh DST 'mkdir -p DIR && qemu-img create -f qcow2 DIR/disk.0 1G';
          rsync -aS --exclude=/disk.0 DIR/ DST:DIR/ (in the source's namespaces, nsenter: it reads
          the source's files; so each side pays one nsenter);
          virsh migrate --live --copy-storage-all --migrate-disks vda DOM qemu+tcp://DST/system
Each round moves the VM C -> B -> C twice, once by each side, alternating; after each move the
source's directory is removed (what the TM driver's postmigrate does), untimed.
Reported: wall time; "own" = wall time minus the time inside virsh, ssh, rsync, qemu-img and realpath
(wrappers time each call; overlapping calls count once); and the bytes the destination's disk image
takes (allocated) beside the source's.

Usage: tests/bench/migrate-storage.py [REMOTES_DIR] [ROUNDS]   (as root; libvirtd, sshd, rsync installed)
  MIGRATE_STORAGE_BENCH_ROUNDS: rounds when not given (3)
"""

import os
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "peer")]
import benchlib  # noqa: E402
import peer  # noqa: E402

remotes, K = benchlib.staged(benchlib.argument(1, None))
ROUNDS = int(benchlib.argument(2, os.environ.get("MIGRATE_STORAGE_BENCH_ROUNDS", "3")))
if not os.access("/usr/sbin/sshd", os.X_OK):
    sys.exit("migrate-storage.py: sshd is not installed (openssh-server)")
# every program either side runs is timed from inside, like virsh
t = benchlib.Timed("onekvm-bench-storage.", ("virsh", "ssh", "rsync", "qemu-img", "realpath"))
WORK = t.work
DS = os.path.join(WORK, "ds")  # the datastores path; each peer has its own files behind it
VMID = "9"
DIR = os.path.join(DS, "0", VMID)
DOM = f"onekvm-bench-storage-{os.getpid()}"
os.makedirs(os.path.join(DS, "0"))
hosts = {}


def own_dir(host):
    return os.path.join(hosts[host]["datastore"], "0", VMID)


def inside(host, argv, stdin=b"", env=None):
    """A command in the host's namespaces (it sees that host's datastore)."""
    return t.run(["nsenter", "-t", str(hosts[host]["pid"]), "-m", "-u", "--", *argv], stdin, env)


def allocated(path):
    return os.stat(path).st_blocks * 512


try:
    for n in ("b", "c"):
        p = peer.start(f"onekvm-bench-{n}-{os.getpid()}", os.path.join(WORK, n), own_host=True, datastore_root=DS)
        hosts[p["name"]] = p
    B, C = hosts
    for p in hosts.values():
        os.makedirs(os.path.join(p["datastore"], "0"), exist_ok=True)

    # the VM, on C
    cdir = own_dir(C)
    os.makedirs(cdir)
    benchlib.run(["qemu-img", "create", "-q", "-f", "qcow2", os.path.join(cdir, "disk.0"), "1G"])
    benchlib.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 256M", os.path.join(cdir, "disk.0")])
    with open(os.path.join(cdir, "disk.1"), "wb") as f:
        f.write(os.urandom(372736))  # a context-ISO-sized read-only file
    dom_xml = f"""<domain type='kvm'><name>{DOM}</name><description>onekvm storage migration bench</description>
<memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{DIR}/disk.0'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='{DIR}/disk.1'/><target dev='hdc' bus='ide'/><readonly/></disk>
</devices></domain>
"""
    for path in (os.path.join(WORK, "dom.xml"), os.path.join(cdir, "deployment.0")):
        with open(path, "w") as f:
            f.write(dom_xml)
    benchlib.run(["virsh", "-c", hosts[C]["uri"], "create", os.path.join(WORK, "dom.xml")])
    DATA = (f"<VMM_DRIVER_ACTION_DATA><HOST>x</HOST><DEPLOY_ID>{DOM}</DEPLOY_ID><DISK_TARGET_PATH>{DIR}</DISK_TARGET_PATH>"
            f"<VM><ID>{VMID}</ID><TEMPLATE/></VM><DATASTORE><ID>0</ID><TM_MAD>ssh</TM_MAD><BASE_PATH>{DS}/0</BASE_PATH>"
            "<TEMPLATE><SHARED>NO</SHARED></TEMPLATE></DATASTORE></VMM_DRIVER_ACTION_DATA>")
    for h in hosts:
        with open(os.path.join(WORK, f"kvmrc.{h}"), "w") as f:
            f.write(f"LIBVIRT_URI=qemu+tcp://{h}/system\nQEMU_PROTOCOL=qemu+tcp\n")

    def onekvm_move(src, dst):
        inside(src, [os.path.join(K, "migrate"), DOM, dst, src, VMID, src], DATA, {"ONEKVM_KVMRC": os.path.join(WORK, f"kvmrc.{src}")})

    def bare_move(src, dst):
        t.run(["ssh", dst, f"mkdir -p {DIR} && qemu-img create -q -f qcow2 {DIR}/disk.0 1073741824"])
        inside(src, ["rsync", "-a", "-S", "--exclude=/disk.0", DIR + "/", f"{dst}:{DIR}/"])
        t.run(["virsh", "-c", f"qemu+tcp://{src}/system", "migrate", "--live", "--copy-storage-all", "--migrate-disks", "vda",
               DOM, f"qemu+tcp://{dst}/system"])

    src_bytes = allocated(os.path.join(cdir, "disk.0"))
    dest_bytes = {"onekvm": [], "bare": []}
    for _ in range(ROUNDS):
        for side, move, src, dst in (("onekvm", onekvm_move, C, B), ("bare", bare_move, B, C), ("bare", bare_move, C, B),
                                     ("onekvm", onekvm_move, B, C)):
            t.step(f"{side}.migrate", move, src, dst)
            # after a move: what the destination's image takes, then the source's directory goes (as postmigrate)
            dest_bytes[side].append(allocated(os.path.join(own_dir(dst), "disk.0")))
            shutil.rmtree(own_dir(src))

    ms = benchlib.median_ms
    one, bare = ms(t.wall["onekvm.migrate"]), ms(t.wall["bare.migrate"])
    print(f"== onekvm storage migration benchmark ({ROUNDS} rounds, {ROUNDS * 2} moves each side, medians; 128 MiB VM, 1 GiB qcow2"
          f" with 256 MiB written, not shared, between two peer hosts; load average {benchlib.load_average()})")
    benchlib.table([("onekvm migrate", f"{one:.1f}", f"{ms(t.own['onekvm.migrate']):.1f}", int(statistics.median(dest_bytes["onekvm"])), src_bytes,
                     f"{(one - bare) * 100 / bare:+.1f}%"),
                    ("bare commands", f"{bare:.1f}", f"{ms(t.own['bare.migrate']):.1f}", int(statistics.median(dest_bytes["bare"])), src_bytes, "")],
                   ("side", "wall ms", "own ms", "dest bytes", "src bytes", "wall vs bare"))
    print(f"(wall in ms per move: onekvm {' '.join(f'{w * 1000:.0f}' for w in t.wall['onekvm.migrate'])},"
          f" bare {' '.join(f'{w * 1000:.0f}' for w in t.wall['bare.migrate'])})")
finally:
    for p in hosts.values():
        peer.stop(p)
    t.cleanup()
