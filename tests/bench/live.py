"""Live actions section of the benchmark: median wall time of onekvm's attach_disk, detach_disk,
attach_nic and detach_nic beside the bare virsh calls each makes, in one run; the two sides
alternate in every round so that load drifts hit both alike.

QEMU's and the guest's own time vary far more than the driver adds, so both sides run virsh
through the same wrapper, which times each virsh call from inside: "own" is a run's wall time
minus its time inside virsh, and the overhead is onekvm's own time minus the bare side's (the
wrapper's start is paid alike by both and cancels).

Disk: a qcow2 on a SCSI target of a diskless domain (QEMU completes a SCSI unplug without a
guest). NIC: an ethernet NIC of the tiny test guest, which releases it. The virsh calls:
attach_disk (SCSI) = attach-device; detach_disk = detach-disk + dumpxml; attach_nic = dumpxml +
attach-device; detach_nic = dumpxml + detach-device + dumpxml. Upstream's scripts spend about
250-300 ms above virsh for these.

Usage: tests/bench/live.py [REMOTES_DIR] [ROUNDS]   (as root, libvirtd running)
  LIVE_BENCH_ROUNDS: rounds when not given (25); LIVE_BENCH_NIC=0 skips the NIC part (it boots
  the tiny test guest, 5-60 s); ONEKVM_GUEST_DIR: the tiny guest (/var/cache/onekvm-tests/guest)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

remotes, K = benchlib.staged(benchlib.argument(1, None))
ROUNDS = int(benchlib.argument(2, os.environ.get("LIVE_BENCH_ROUNDS", "25")))
GUEST_DIR = os.environ.get("ONEKVM_GUEST_DIR", "/var/cache/onekvm-tests/guest")
pid = os.getpid()
DISKLESS, GUEST = f"onekvm-bench-live-{pid}", f"onekvm-bench-guest-{pid}"
t = benchlib.Timed("onekvm-bench-live.")
WORK = t.work
V = ["virsh", "--connect", benchlib.URI]


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def bare_attach(domain, xml):
    t.run([*V, "attach-device", domain, xml])


def bare_read_attach(domain, xml):
    t.run([*V, "dumpxml", domain])
    t.run([*V, "attach-device", domain, xml])


def bare_detach_disk(domain, target):
    t.run([*V, "detach-disk", domain, target])
    t.run([*V, "dumpxml", domain])


def bare_detach_device(domain, xml):
    t.run([*V, "dumpxml", domain])
    t.run([*V, "detach-device", domain, xml])
    t.run([*V, "dumpxml", domain])


def action_data(domain, inner):
    return (f"<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>{domain}</DEPLOY_ID><VM><ID>9</ID><TEMPLATE>{inner}"
            "<VCPU>1</VCPU><VMID>9</VMID></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>")


def onekvm(action, *args, stdin):
    return lambda: t.run([os.path.join(K, action), *args], stdin)


try:
    # --- disk on a diskless domain ---
    diskless_xml = write("diskless.xml", f"""<domain type='kvm'><name>{DISKLESS}</name><description>onekvm live bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/><controller type='scsi' model='virtio-scsi'/></devices></domain>
""")
    benchlib.virsh("create", diskless_xml)
    disk = os.path.join(WORK, "disk.1")
    benchlib.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "16M"])
    disk_data = action_data(DISKLESS, "<DISK><ATTACH>YES</ATTACH><DISK_ID>1</DISK_ID><TARGET>sdb</TARGET><TYPE>FILE</TYPE>"
                                      "<DRIVER>qcow2</DRIVER></DISK>")
    # what onekvm hands libvirt for that disk with the shipped kvmrc
    disk_xml = write("disk.xml", f"""<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' discard='unmap'/><source file='{disk}'/><target dev='sdb'/><address type='drive' controller='0' bus='0' target='1' unit='0'/></disk>
""")
    t.rounds([("attach_disk.onekvm", onekvm("attach_disk", DISKLESS, disk, "sdb", "1", "b64", "9", "localhost", stdin=disk_data)),
            ("detach_disk.onekvm", onekvm("detach_disk", DISKLESS, disk, "sdb", "1", "9", "localhost", stdin=disk_data)),
            ("attach_disk.bare", lambda: bare_attach(DISKLESS, disk_xml)),
            ("detach_disk.bare", lambda: bare_detach_disk(DISKLESS, "sdb"))], ROUNDS)
    rows = ["attach_disk", "detach_disk"]

    # --- NIC on the tiny guest ---
    if os.environ.get("LIVE_BENCH_NIC", "1") != "0" and os.path.isfile(os.path.join(GUEST_DIR, "vmlinuz")):
        console = os.path.join(WORK, "console")
        guest_xml = write("guest.xml", f"""<domain type='qemu'><name>{GUEST}</name><description>onekvm live bench</description>
<memory unit='MiB'>256</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>{GUEST_DIR}/vmlinuz</kernel><initrd>{GUEST_DIR}/initrd.img</initrd>
<cmdline>console=ttyS0 quiet no_timer_check</cmdline></os>
<features><acpi/></features><on_poweroff>destroy</on_poweroff>
<devices><controller type='usb' model='none'/><serial type='file'><source path='{console}'/><target port='0'/></serial>
<video><model type='none'/></video><memballoon model='none'/></devices></domain>
""")
        benchlib.virsh("create", guest_xml)

        def booted():
            try:
                with open(console, errors="replace") as f:
                    return "ONEKVM-GUEST-READY" in f.read()
            except OSError:
                return False
        for _ in range(360):
            if booted():
                break
            time.sleep(0.5)
        if not booted():
            sys.exit("live.py: the tiny guest did not boot")
        mac = f"02:6f:6b:be:{pid >> 8 & 255:02x}:{pid & 255:02x}"
        nic_data = action_data(GUEST, f"<NIC><ATTACH>YES</ATTACH><NIC_ID>0</NIC_ID><MAC>{mac}</MAC><MODEL>virtio</MODEL></NIC>")
        nic_xml = write("nic.xml", f"<interface type='ethernet'><mac address='{mac}'/><model type='virtio'/></interface>\n")
        t.rounds([("attach_nic.onekvm", onekvm("attach_nic", GUEST, mac, "", "virtio", "dummy", "", "9", "localhost", stdin=nic_data)),
                ("detach_nic.onekvm", onekvm("detach_nic", GUEST, mac, "9", "localhost", stdin=nic_data)),
                ("attach_nic.bare", lambda: bare_read_attach(GUEST, nic_xml)),
                ("detach_nic.bare", lambda: bare_detach_device(GUEST, nic_xml))], ROUNDS)
        rows += ["attach_nic", "detach_nic"]

    ms = benchlib.median_ms
    print(f"== onekvm live actions benchmark ({ROUNDS} interleaved rounds each, medians in ms; libvirtd {benchlib.URI};"
          f" load average {benchlib.load_average()})")
    benchlib.table([(r, f"{ms(t.wall[r + '.onekvm']):.1f}", f"{ms(t.wall[r + '.bare']):.1f}", f"{ms(t.own[r + '.onekvm']):.1f}",
                     f"{ms(t.own[r + '.bare']):.1f}", f"{ms(t.own[r + '.onekvm']) - ms(t.own[r + '.bare']):.1f}",
                     f"{benchlib.paired_ms(t.own[r + '.onekvm'], t.own[r + '.bare']):.1f}") for r in rows],
                   ("action", "onekvm", "bare virsh", "onekvm own", "bare own", "overhead", "paired"))
    print("(own: wall time outside virsh; overhead = onekvm own - bare own, including onekvm's entry program;")
    print(" paired: the median of each round's own-time difference, which a load drift between rounds does not move)")
finally:
    for d in (DISKLESS, GUEST):
        benchlib.virsh("destroy", d, check=False)
    t.cleanup()
