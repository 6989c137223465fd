"""The benchmark's one helper library: run and time a command (never through a shell), time the
programs a step runs from inside, medians, paired differences, tables."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

URI = "qemu:///system"
ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C", "HOME": os.environ.get("HOME", "/root")}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(argv, stdin=b"", env=None, check=True, cpu=None):
    """Runs argv (no shell); returns (seconds, peak RSS in KiB of the process and its children, (rc, out, err)).
    cpu: a list to which the CPU seconds (user + system) of the process and the children it waited for are appended."""
    if isinstance(stdin, str):
        stdin = stdin.encode()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or ENV)
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read())) for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    try:
        proc.stdin.write(stdin)
    except BrokenPipeError:
        pass
    proc.stdin.close()
    for r in readers:
        r.join()
    # wait4 rather than Popen.wait: it also returns the child's resource usage
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err[0].decode(errors='replace')}")
    return elapsed, usage.ru_maxrss, (proc.returncode, out[0], err[0])


def output(argv, env=None):
    """stdout of a command that must succeed, as text."""
    return run(argv, env=env)[2][1].decode()


def virsh(*args, check=True):
    return run(["virsh", "--connect", URI, *args], check=check)


def interleaved(variants, runs, before=None):
    """Times each variant `runs` times, alternating between them; returns name -> list of seconds."""
    times = {name: [] for name, _ in variants}
    for _ in range(runs):
        for name, argv in variants:
            if before:
                before()
            elapsed, _, _ = run(argv)
            times[name].append(elapsed)
    return times


def median_ms(values):
    return statistics.median(values) * 1000


def paired_ms(a, b):
    """The median of the per-round differences a[n] - b[n] (seconds in, ms out): rounds alternate the two
    sides, so a load drift between rounds cancels in each pair."""
    return median_ms([x - y for x, y in zip(a, b)])


def diskless_domain(name, description=None):
    """A 64 MiB diskless domain without ACPI (shutdown takes the destroy path), no guest OS to boot."""
    text = f"<description>{description}</description>\n  " if description else ""
    return f"""<domain type='kvm'>
  <name>{name}</name>
  {text}<memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def table(rows, header):
    widths = [max(len(str(r[i])) for r in list(rows) + [header]) for i in range(len(header))]
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)).rstrip())
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def staged(remotes):
    """The staged remotes tree (argument, else dist/remotes) and its vmm/kvm directory; exits when there is no binary."""
    remotes = os.path.abspath(remotes or os.path.join(ROOT, "dist", "remotes"))
    kvm = os.path.join(remotes, "vmm", "kvm")
    if not os.access(os.path.join(kvm, "onekvm"), os.X_OK):
        sys.exit(f"no staged binary in {kvm}: run ./build.sh")
    return remotes, kvm


def argument(index, default):
    return sys.argv[index] if len(sys.argv) > index and sys.argv[index] else default


# A wrapper per timed program, first in PATH: it appends "start end" (us) of the real program's run to the
# inside log. bash, not Python: a Python start per call (10-20 ms) would swamp what is measured; bash's
# (about 2 ms) is paid alike by both sides of a comparison and cancels out.
WRAPPER = """#!/bin/bash
s=$EPOCHREALTIME
{real} "$@"
rc=$?
e=$EPOCHREALTIME
echo "${{s/./}} ${{e/./}}" >>{log}
exit $rc
"""


class Timed:
    """Steps whose programs (virsh, and whatever else is named) are timed from inside.

    QEMU's and the guest's own time vary far more than a driver adds, so both sides of a comparison run
    the same wrappers; a step's "own" time is its wall time minus the time inside the wrapped programs
    (overlapping calls, as ssh inside rsync, count once). Series are lists of seconds per step."""

    def __init__(self, prefix, programs=("virsh",)):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.inside = os.path.join(self.work, "inside")
        bindir = os.path.join(self.work, "bin")
        os.makedirs(bindir)
        for prog in programs:
            real = shutil.which(prog, path=ENV["PATH"])
            if not real:
                sys.exit(f"{prog} is not installed")
            path = os.path.join(bindir, prog)
            with open(path, "w") as f:
                f.write(WRAPPER.format(real=real, log=self.inside))
            os.chmod(path, 0o755)
        self.env = dict(ENV, PATH=bindir + ":" + ENV["PATH"])
        self.wall, self.own, self.cpu, self.calls = {}, {}, {}, []
        self._cpu = []

    def run(self, argv, stdin=b"", env=None):
        """A command of a step, through the wrappers (env: added variables); fails the bench when it fails."""
        return run(argv, stdin, dict(self.env, **(env or {})), cpu=self._cpu)[2][1]

    def step(self, series, action, *args):
        """Runs action(*args) (commands through self.run), appends its wall and own time to `series`;
        self.calls keeps its timed calls ((start, end) in seconds, in start order) until the next step."""
        with open(self.inside, "w"):
            pass
        self._cpu.clear()
        start = time.time()
        action(*args)
        end = time.time()
        with open(self.inside) as f:
            self.calls = sorted((int(s) / 1e6, int(e) / 1e6) for s, e in (line.split() for line in f if line.strip()))
        inside, covered = 0.0, None
        for s, e in self.calls:
            if covered is None or s > covered[1]:
                if covered:
                    inside += covered[1] - covered[0]
                covered = [s, e]
            else:
                covered[1] = max(covered[1], e)
        if covered:
            inside += covered[1] - covered[0]
        self.wall.setdefault(series, []).append(end - start)
        self.own.setdefault(series, []).append(end - start - inside)
        self.cpu.setdefault(series, []).append(sum(self._cpu))

    def rounds(self, steps, count, after=None):
        """One unmeasured round (it warms the page cache and libvirtd), then `count` measured ones, each running
        the (series, action) steps in order; after(series) runs after each step, untimed."""
        for n in range(count + 1):
            for series, action in steps:
                self.step(series, action)
                if after:
                    after(series)
            if n == 0:
                for series, _ in steps:
                    self.wall.pop(series, None)
                    self.own.pop(series, None)
                    self.cpu.pop(series, None)

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)
