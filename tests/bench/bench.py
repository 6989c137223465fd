#!/usr/bin/env python3
"""./build.sh bench: onekvm beside bare virsh, in one run, on this machine's libvirtd.

usage: tests/bench/bench.py <staged remotes dir>
Prints median wall times (interleaved runs), onekvm's overhead, the binary size and onekvm's peak
RSS (foundation.py), then each action family's section: every other <family>.py beside this file
(guestagent, lifecycle, live, load, migrate-storage, migrate, monitor), each also runnable alone with the
remotes directory as its first argument.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOT_FAMILIES = {"bench.py", "benchlib.py", "foundation.py"}


def main(remotes):
    remotes = os.path.abspath(remotes)
    families = sorted(f for f in os.listdir(HERE) if f.endswith(".py") and f not in NOT_FAMILIES)
    failed = []
    for n, script in enumerate(["foundation.py", *families]):
        if n:
            print(flush=True)
        if subprocess.run([sys.executable, "-I", "-S", "-B", os.path.join(HERE, script), remotes], check=False).returncode:
            failed.append(script)
    if failed:
        sys.exit(f"bench: {', '.join(failed)} failed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench.py <staged remotes dir>")
    main(sys.argv[1])
