"""The foundation's figures: reboot/reset through onekvm vs bare virsh, size and peak RSS."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
remotes = sys.argv[1]
binary = os.path.join(remotes, "vmm", "kvm", "onekvm")
name = f"onekvm-bench-{os.getpid()}"

xml = f"""<domain type='kvm'><name>{name}</name><description>onekvm bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='usb' model='none'/><memballoon model='none'/></devices></domain>"""

with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
    f.write(xml)
    xml_file = f.name

print(f"== onekvm foundation benchmark ({RUNS} interleaved runs each, medians; libvirtd {benchlib.URI})")
benchlib.virsh("create", xml_file)
try:
    rows = []
    for action in ("reboot", "reset"):
        times = benchlib.interleaved([
            ("onekvm", [os.path.join(remotes, "vmm", "kvm", action), name, "localhost", "0", "localhost"]),
            ("virsh", ["virsh", "--connect", benchlib.URI, action, name]),
        ], RUNS)
        onekvm, bare = benchlib.median_ms(times["onekvm"]), benchlib.median_ms(times["virsh"])
        paired = benchlib.median_ms([o - b for o, b in zip(times["onekvm"], times["virsh"])])
        rows.append((action, f"{onekvm:.1f} ms", f"{bare:.1f} ms", f"{onekvm - bare:+.1f} ms", f"{paired:+.1f} ms"))
    benchlib.table(rows, ("action", "onekvm (entry)", "bare virsh", "overhead", "paired"))
    print("(paired: the median of each round's difference, which a load drift between rounds does not move)")
finally:
    benchlib.virsh("destroy", name, check=False)
    os.unlink(xml_file)

# onekvm alone: virsh replaced by /bin/true, so the time and memory are onekvm's own
fake_dir = tempfile.mkdtemp(prefix="onekvm-bench-")
os.symlink("/bin/true", os.path.join(fake_dir, "virsh"))
env = dict(benchlib.ENV, PATH=fake_dir + ":" + benchlib.ENV["PATH"])
# the bash stub that the native entry replaced, beside the same binary, for comparison
os.symlink(os.path.abspath(binary), os.path.join(fake_dir, "onekvm"))
bash_stub = os.path.join(fake_dir, "reboot")
with open(bash_stub, "w") as f:
    f.write('#!/bin/bash\nexec -a "$0" "${0%/*}/onekvm" "$@"\n')
os.chmod(bash_stub, 0o755)
rss = []
entry, stub, direct, true_times = [], [], [], []
for _ in range(RUNS):
    t, r, _ = benchlib.run([os.path.join(remotes, "vmm", "kvm", "reboot"), "one-0"], env=env)
    entry.append(t)
    rss.append(r)
    t, _, _ = benchlib.run([bash_stub, "one-0"], env=env)
    stub.append(t)
    t, _, _ = benchlib.run([binary, "reboot", "one-0"], env=env)
    direct.append(t)
    t, _, _ = benchlib.run(["/bin/true"], env=env)
    true_times.append(t)
print()
print(f"onekvm's own cost (virsh = /bin/true): shipped entry {benchlib.median_ms(entry):.1f} ms, "
      f"bash exec -a stub {benchlib.median_ms(stub):.1f} ms, binary called directly {benchlib.median_ms(direct):.1f} ms, "
      f"/bin/true {benchlib.median_ms(true_times):.1f} ms")
print(f"binary size: {os.path.getsize(binary) / 1e6:.2f} MB ({os.path.getsize(binary)} bytes; target <= 10 MB, as StartupImageSpecs)")
print(f"peak RSS of onekvm reboot: {max(rss) / 1024:.1f} MB (median {sorted(rss)[len(rss) // 2] / 1024:.1f} MB; target <= 30 MB)")
for leftover in ("virsh", "onekvm", "reboot"):
    os.unlink(os.path.join(fake_dir, leftover))
os.rmdir(fake_dir)
