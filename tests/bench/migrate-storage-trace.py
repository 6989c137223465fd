"""Where the time of each move of tests/bench/migrate-storage.py goes: runs that bench with wrappers that also log each
timed call's argv, then prints, per move, every call in start order with the gap before it (time outside any call,
what the bench counts as "own") and its length. Overlapping calls (run together) show a gap of 0.

Usage: tests/bench/migrate-storage-trace.py [REMOTES_DIR] [ROUNDS] [SIDE]   (SIDE: onekvm (default) or bare)
"""

import os
import runpy
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "peer")]
import benchlib  # noqa: E402

side = sys.argv[3] if len(sys.argv) > 3 else "onekvm"
trace = tempfile.mkstemp(prefix="onekvm-bench-trace.")[1]
# the bench's wrapper, plus one line per call: start, end, the program and its arguments
benchlib.WRAPPER = benchlib.WRAPPER.replace("exit $rc", 'echo "${{s/./}} ${{e/./}} ${{0##*/}} $*" >>' + trace + "\nexit $rc")
step = benchlib.Timed.step


def traced_step(self, series, action, *args):
    with open(trace, "a") as f:
        f.write(f"STEP {series} {time.time() * 1e6:.0f}\n")
    step(self, series, action, *args)
    with open(trace, "a") as f:
        f.write(f"END {series} {time.time() * 1e6:.0f}\n")


benchlib.Timed.step = traced_step
sys.argv = [os.path.join(HERE, "migrate-storage.py")] + sys.argv[1:3]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open(trace) as f:
        lines = f.read().splitlines()
    os.unlink(trace)
    move = None
    for line in lines:
        word = line.split(" ", 3)
        if word[0] == "STEP":
            move = {"series": word[1], "start": int(word[2]), "calls": []}
        elif word[0] == "END" and move:
            if move["series"].startswith(side):
                print(f"== {move['series']}: wall {(int(word[2]) - move['start']) / 1000:.1f} ms")
                covered, own = move["start"], 0
                for s, e, what in sorted(move["calls"]):
                    gap = max(0, s - covered)
                    own += gap
                    print(f"  gap {gap / 1000:7.1f}  call {(e - s) / 1000:9.1f}  {what[:140]}")
                    covered = max(covered, e)
                own += int(word[2]) - covered
                print(f"  gap {(int(word[2]) - covered) / 1000:7.1f}  (end)  own {own / 1000:.1f} ms")
            move = None
        elif move:
            move["calls"].append((int(word[0]), int(word[1]), word[2] + " " + (word[3] if len(word) > 3 else "")))
