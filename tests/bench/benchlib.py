"""Shared pieces of the benchmark scripts: run a command, time it, report medians."""

import os
import statistics
import subprocess
import threading
import time

URI = "qemu:///system"
ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C", "HOME": os.environ.get("HOME", "/root")}


def run(argv, stdin=b"", env=None, check=True):
    """Runs argv (no shell); returns (seconds, peak RSS in KiB of the process and its children, (rc, out, err))."""
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
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err[0].decode(errors='replace')}")
    return elapsed, usage.ru_maxrss, (proc.returncode, out[0], err[0])


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


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
