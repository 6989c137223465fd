"""Guest agent benchmark: vm_monitor for 50 domains, 10 of them the tiny guest with qemu-ga
(initrd-agent.img), without and with the agent keys (guestagent.conf enabled, upstream's default
command, one VM with an NVIDIA device in its metadata).

usage: tests/bench/guestagent.py <staged remotes dir> [guest dir]
  BENCH_RUNS (default 15): interleaved runs per figure
  guest dir: the second argument, else ONEKVM_GUEST_DIR, else /var/cache/onekvm-tests/guest
  goal: with agent keys < 2x without
"""

import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

URI = benchlib.URI
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TOTAL, WITH_AGENT = 50, 10
remotes = os.path.abspath(sys.argv[1])
guest_dir = benchlib.argument(2, os.environ.get("ONEKVM_GUEST_DIR", "/var/cache/onekvm-tests/guest"))

work = tempfile.mkdtemp(prefix="onekvm-bench-agent-")
pid = os.getpid()
ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": os.environ.get("HOME", "/root"), "ONEKVM_RUN_DIR": work}
CONF = """:enabled: true
:commands:
  :vm_qemu_ping: one-$vm_id '{"execute":"guest-ping"}' --timeout 5
"""


def run(argv):
    elapsed, _, (_, out, _) = benchlib.run(argv, env=ENV)
    return elapsed, out


def tree(with_conf):
    """A copy of the staged tree; the probe finds guestagent.conf beside it."""
    root = os.path.join(work, "with" if with_conf else "without", "remotes")
    shutil.copytree(remotes, root, symlinks=True)
    if with_conf:
        os.makedirs(os.path.join(root, "etc/im/kvm-probes.d"), exist_ok=True)
        with open(os.path.join(root, "etc/im/kvm-probes.d/guestagent.conf"), "w") as f:
            f.write(CONF)
    return os.path.join(root, "im/kvm-probes.d/vm/monitor/vm_monitor")


domains = []


def create(index, agent):
    name = f"one-{970_000_000 + pid % 10_000 * 100 + index}"
    if agent:
        gpu = "<metadata><one:vm xmlns:one='http://opennebula.org/xmlns/libvirt/1.0'><one:pci_devices>10de:26b9:0302</one:pci_devices></one:vm></metadata>" if index == 0 else ""
        xml = f"""<domain type='qemu'><name>{name}</name><description>onekvm bench pid={pid}</description>{gpu}
<memory unit='MiB'>192</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>{guest_dir}/vmlinuz</kernel><initrd>{guest_dir}/initrd-agent.img</initrd>
<cmdline>console=ttyS0 quiet no_timer_check</cmdline></os><features><acpi/></features><clock offset='utc'/>
<devices><controller type='usb' model='none'/><video><model type='none'/></video><memballoon model='virtio'/>
<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices></domain>"""
    else:
        xml = f"""<domain type='qemu'><name>{name}</name><description>onekvm bench pid={pid}</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='virtio'/></devices></domain>"""
    path = os.path.join(work, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    run(["virsh", "--connect", URI, "create", path])
    domains.append(name)
    return name


def answers(name):
    done = subprocess.run(["virsh", "--connect", URI, "qemu-agent-command", name, '{"execute":"guest-ping"}', "--timeout", "5"],
                          capture_output=True, check=False)
    return done.returncode == 0


ms = benchlib.median_ms


try:
    agents = [create(i, True) for i in range(WITH_AGENT)]
    for i in range(WITH_AGENT, TOTAL):
        create(i, False)
    deadline = time.time() + 600
    waiting = set(agents)
    while waiting and time.time() < deadline:
        waiting = {a for a in waiting if not answers(a)}
        time.sleep(2)
    if waiting:
        raise RuntimeError(f"{len(waiting)} guest agents never answered")
    time.sleep(5)
    without, with_keys = tree(False), tree(True)
    _, out = run([with_keys, "kvm", "0", "bench-host"])
    keys = sum(1 for line in out.decode().splitlines() if "VM_QEMU_PING" in base64.b64decode(line.split('MONITOR="')[1].split('"')[0]).decode())
    plain, agent = [], []
    for _ in range(RUNS):
        plain.append(run([without, "kvm", "0", "bench-host"])[0])
        agent.append(run([with_keys, "kvm", "0", "bench-host"])[0])
    ratios = [a / p for a, p in zip(agent, plain)]
    print(f"== vm_monitor, {TOTAL} domains, {WITH_AGENT} with qemu-ga (TCG tiny guest), {RUNS} interleaved runs, median (best)")
    print(f"without agent keys : {ms(plain):.0f} ms (best {min(plain) * 1000:.0f})")
    print(f"with agent keys    : {ms(agent):.0f} ms (best {min(agent) * 1000:.0f}); {keys} VMs report VM_QEMU_PING")
    print(f"ratio (median of pairs): {statistics.median(ratios):.2f}  goal < 2.00  load average {os.getloadavg()[0]:.1f}")
finally:
    for name in domains:
        subprocess.run(["virsh", "--connect", URI, "destroy", name], capture_output=True, check=False)
    shutil.rmtree(work, ignore_errors=True)
