"""Load section of the benchmark (issue 17): 15 actions at once (one_vmm_exec's default thread
count) on 15 VMs of one host, repeated 20 times; every action must succeed, and onekvm's
overhead per action at 15 at once should stay within 2x its overhead when the same actions run
one at a time. Printed side by side, in one run, with the bare virsh calls of the same actions.

The action mix: each VM goes through deploy, save, restore and shutdown (CANCEL_NO_ACPI destroy),
the 15 VMs in step: a repetition is 15 deploys at once, then 15 saves, 15 restores, 15 shutdowns.
That is what fills oned's 15 driver threads on one host: a burst of instantiations (a service,
a scheduler pass), a suspend or resume of many VMs, a termination burst. They are also the
actions that start and end QEMU processes and write checkpoints, the heaviest work a host does
for the driver. Attach/detach arrive one VM at a time and polling is no driver action any more
(the probes of monitord), so neither is what 15 threads wait on. The domains are diskless 64 MiB
VMs with no OS (QEMU starts, saves and restores them without a guest), named
onekvm-bench-load-<pid>-<n>; nothing else is touched.

Times, as lifecycle.py measures them: each VM runs its own timing virsh wrapper, so a step's
"own" time is its wall time minus its time inside virsh, and the overhead is onekvm's own time
minus the bare side's for the same calls (the wrapper's and the bench's own start-ups are paid
by both). The bare side runs the same calls without onekvm, at once and one at a time alike.
The two sides alternate per repetition so that load drifts hit both.

Usage: tests/bench/load.py [REMOTES_DIR] [REPEATS]   (as root, libvirtd running)
  LOAD_BENCH_VMS (15): VMs, i.e. actions at once; REPEATS (LOAD_BENCH_REPEATS, 20): repetitions at
  once per side; LOAD_BENCH_SINGLE (2): repetitions one at a time per side (each is VMS actions
  of each kind, so 2 give 30 samples per action).
Exits non-zero when any action failed; the 2x goal is printed as met or not met (a busy host
stretches the CPU part of every action alike, so that figure is for a quiet host).
"""

import os
import shutil
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

remotes, kvm = benchlib.staged(benchlib.argument(1, None))
REPEATS = int(benchlib.argument(2, os.environ.get("LOAD_BENCH_REPEATS", "20")))
VMS = int(os.environ.get("LOAD_BENCH_VMS", "15"))
SINGLE = int(os.environ.get("LOAD_BENCH_SINGLE", "2"))
ACTIONS = ("deploy", "save", "restore", "shutdown")
V = ["virsh", "--connect", benchlib.URI]
PID = os.getpid()


class Vm:
    """One VM of the host: its own timing wrapper (so its virsh time is its own), deployment file and
    checkpoint, and the two sides' steps for it."""

    def __init__(self, n):
        self.id = 4300 + n
        self.name = f"onekvm-bench-load-{PID}-{n}"
        self.t = benchlib.Timed(f"onekvm-bench-load-{n}.")
        work = self.t.work
        vmdir = os.path.join(work, "datastores", "0", str(self.id))
        os.makedirs(vmdir)
        self.ckpt, self.dep = os.path.join(vmdir, "checkpoint"), os.path.join(vmdir, f"deployment.0")
        self.xml = benchlib.diskless_domain(self.name, "onekvm load bench")
        self.xml_file = os.path.join(work, "domain.xml")
        with open(self.xml_file, "w") as f:
            f.write(self.xml)
        with open(os.path.join(work, "kvmrc"), "w") as f:
            f.write("CANCEL_NO_ACPI=yes\nSYNC_TIME=no\n")
        self.t.env["ONEKVM_KVMRC"] = os.path.join(work, "kvmrc")
        self.data = (f"<VMM_DRIVER_ACTION_DATA><VM><ID>{self.id}</ID></VM>"
                     "<DATASTORE><TM_MAD>shared</TM_MAD></DATASTORE></VMM_DRIVER_ACTION_DATA>")
        self.steps = {"onekvm": dict(zip(ACTIONS, (self.onekvm_deploy, self.onekvm_save, self.onekvm_restore, self.onekvm_shutdown))),
                      "bare": dict(zip(ACTIONS, (self.bare_deploy, self.bare_save, self.bare_restore, self.bare_shutdown)))}

    def may_fail(self, argv):
        benchlib.run(argv, env=self.t.env, check=False, cpu=self.t._cpu)

    # the calls each action makes, call for call (as lifecycle.py)
    def bare_deploy(self):
        self.may_fail([*V, "domstate", self.name])
        shutil.copyfile(self.xml_file, self.dep)
        self.t.run([*V, "create", "--file", self.dep])
        self.t.run([*V, "--readonly", "domuuid", "--domain", self.name])

    def bare_save(self):
        self.t.run([*V, "save", "--domain", self.name, "--file", self.ckpt])

    def bare_restore(self):
        self.may_fail([*V, "domstate", self.name])
        saved = self.t.run([*V, "save-image-dumpxml", "--file", self.ckpt, "--security-info"])
        path = os.path.join(self.t.work, "saved.xml")
        with open(path, "wb") as f:
            f.write(saved)
        self.t.run([*V, "restore", "--file", self.ckpt, "--xml", path])
        self.t.run([*V, "domstate", self.name])
        os.unlink(self.ckpt)

    def bare_shutdown(self):
        self.t.run([*V, "--readonly", "dumpxml", "--domain", self.name])
        self.t.run([*V, "destroy", self.name])
        self.may_fail([*V, "domstate", self.name])

    def onekvm_deploy(self):
        self.t.run([os.path.join(kvm, "deploy"), self.dep, "localhost", str(self.id), "localhost"], self.xml)

    def onekvm_save(self):
        self.t.run([os.path.join(kvm, "save"), self.name, self.ckpt, "localhost", str(self.id), "localhost"], self.data)

    def onekvm_restore(self):
        self.t.run([os.path.join(kvm, "restore"), self.ckpt, "localhost", self.name, str(self.id), "localhost"], self.data)

    def onekvm_shutdown(self):
        self.t.run([os.path.join(kvm, "shutdown"), self.name, "localhost", str(self.id), "localhost"], self.data)

    def reset(self):
        """After a failed action: the VM back to no domain and no checkpoint, so the next repetition starts clean."""
        benchlib.virsh("destroy", self.name, check=False)
        if os.path.exists(self.ckpt):
            os.unlink(self.ckpt)


vms = [Vm(n) for n in range(VMS)]
failures = []  # (side, mode, action, vm, sentence)
attempts = {"onekvm": 0, "bare": 0}
lock = threading.Lock()


def step(vm, side, mode, action):
    """One action of one VM, timed into vm.t's series "<side>.<mode>.<action>"; a failure is counted, not raised."""
    with lock:
        attempts[side] += 1
    try:
        vm.t.step(f"{side}.{mode}.{action}", vm.steps[side][action])
        return True
    except Exception as e:  # noqa: BLE001 - a failed action is a figure of this bench
        with lock:
            failures.append((side, mode, action, vm.name, str(e).strip().splitlines()[0] if str(e).strip() else repr(e)))
        return False


def repetition(side, at_once):
    """The four actions on every VM: all VMs at once per action (threads released together), or one at a
    time. A VM whose action failed skips the rest of the cycle and is reset."""
    ok = {vm.name: True for vm in vms}
    for action in ACTIONS:
        if at_once:
            gate = threading.Barrier(len(vms))

            def one(vm):
                gate.wait()
                if ok[vm.name]:
                    ok[vm.name] = step(vm, side, "many", action)
            threads = [threading.Thread(target=one, args=(vm,)) for vm in vms]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        else:
            for vm in vms:
                if ok[vm.name]:
                    ok[vm.name] = step(vm, side, "one", action)
    for vm in vms:
        if not ok[vm.name]:
            vm.reset()


def series(side, mode, action, kind):
    """All VMs' samples of one series (kind: own or wall), in seconds."""
    out = []
    for vm in vms:
        out += getattr(vm.t, kind).get(f"{side}.{mode}.{action}", [])
    return out


def inside(side, mode, action):
    return [w - o for w, o in zip(series(side, mode, action, "wall"), series(side, mode, action, "own"))]


try:
    load_start = benchlib.load_average()
    started = time.perf_counter()
    # one unmeasured repetition warms the page cache and libvirtd
    repetition("bare", at_once=True)
    for vm in vms:
        vm.t.wall.clear()
        vm.t.own.clear()
        vm.t.cpu.clear()
    failures.clear()
    attempts.update(onekvm=0, bare=0)
    for _ in range(SINGLE):
        for side in ("onekvm", "bare"):
            repetition(side, at_once=False)
    many_started = time.perf_counter()
    rep_walls = {"onekvm": [], "bare": []}
    for n in range(REPEATS):
        for side in ("onekvm", "bare"):
            s = time.perf_counter()
            repetition(side, at_once=True)
            rep_walls[side].append(time.perf_counter() - s)
        print(f"  repetition {n + 1}/{REPEATS}: onekvm {rep_walls['onekvm'][-1]:.1f} s, bare {rep_walls['bare'][-1]:.1f} s,"
              f" load {benchlib.load_average()}, failures so far {len(failures)}", flush=True)
    total = time.perf_counter() - started

    ms = benchlib.median_ms
    print(f"load: {VMS} VMs, {VMS} actions at once x {REPEATS} repetitions per side, and {SINGLE} repetitions one at a time"
          f" ({VMS * SINGLE} samples per action); medians in ms")
    print(f"  load average at start {load_start}, at end {benchlib.load_average()}; {total:.0f} s in all"
          f" ({time.perf_counter() - many_started:.0f} s of it at once)")
    rows, one_all, many_all = [], [], []
    for action in ACTIONS:
        o1, b1 = ms(series("onekvm", "one", action, "own")), ms(series("bare", "one", action, "own"))
        om, bm = ms(series("onekvm", "many", action, "own")), ms(series("bare", "many", action, "own"))
        one_all.append(o1 - b1)
        many_all.append(om - bm)
        rows.append((action, f"{o1:.1f}", f"{b1:.1f}", f"{o1 - b1:+.1f}", f"{om:.1f}", f"{bm:.1f}", f"{om - bm:+.1f}",
                     f"{(om - bm) / (o1 - b1):.2f}" if o1 - b1 > 0 else "n/a", f"{om / o1:.2f}"))
    o1, om = sum(one_all), sum(many_all)
    rows.append(("cycle (sum)", "", "", f"{o1:+.1f}", "", "", f"{om:+.1f}", f"{om / o1:.2f}" if o1 > 0 else "n/a", ""))
    print("own time (wall minus inside virsh) and overhead (onekvm own minus bare own):")
    benchlib.table(rows, ("action", "1: onekvm own", "1: bare own", "1: overhead", f"{VMS}: onekvm own", f"{VMS}: bare own",
                          f"{VMS}: overhead", "overhead ratio", "own ratio"))
    rows = []
    for action in ACTIONS:
        rows.append((action, f"{ms(series('onekvm', 'one', action, 'wall')):.1f}", f"{ms(series('bare', 'one', action, 'wall')):.1f}",
                     f"{ms(inside('bare', 'one', action)):.1f}", f"{ms(series('onekvm', 'many', action, 'wall')):.1f}",
                     f"{ms(series('bare', 'many', action, 'wall')):.1f}", f"{ms(inside('bare', 'many', action)):.1f}"))
    print("wall time and bare virsh's time inside virsh:")
    benchlib.table(rows, ("action", "1: onekvm wall", "1: bare wall", "1: bare in virsh", f"{VMS}: onekvm wall",
                          f"{VMS}: bare wall", f"{VMS}: bare in virsh"))
    print(f"a repetition at once (4 x {VMS} actions): onekvm {statistics.median(rep_walls['onekvm']):.2f} s,"
          f" bare {statistics.median(rep_walls['bare']):.2f} s (medians)")
    # Two readings of "overhead per action" that a run queue does not stretch. 15 processes at once on a few cores
    # wait for CPU in every part of their run, so the own wall time above grows with the queue whatever onekvm does.
    # CPU: the CPU seconds of onekvm and every program it ran (virsh, the wrappers), minus the bare side's for the
    # same action; what the host pays per action, at once or not. Batch: how much later a burst of VMS actions ends
    # with onekvm than bare, per action; what oned's 15 threads wait.
    rows, cpu_one, cpu_many = [], [], []
    for action in ACTIONS:
        c1 = ms(series("onekvm", "one", action, "cpu")) - ms(series("bare", "one", action, "cpu"))
        cm = ms(series("onekvm", "many", action, "cpu")) - ms(series("bare", "many", action, "cpu"))
        cpu_one.append(c1)
        cpu_many.append(cm)
        rows.append((action, f"{ms(series('onekvm', 'one', action, 'cpu')):.1f}", f"{ms(series('bare', 'one', action, 'cpu')):.1f}",
                     f"{c1:+.1f}", f"{ms(series('onekvm', 'many', action, 'cpu')):.1f}", f"{ms(series('bare', 'many', action, 'cpu')):.1f}",
                     f"{cm:+.1f}", f"{cm / c1:.2f}" if c1 > 0 else "n/a"))
    c1, cm = sum(cpu_one), sum(cpu_many)
    cpu_ratio = cm / c1 if c1 > 0 else float("inf")
    rows.append(("cycle (sum)", "", "", f"{c1:+.1f}", "", "", f"{cm:+.1f}", f"{cpu_ratio:.2f}" if c1 > 0 else "n/a"))
    print("CPU time (user + system of the action's processes) and its overhead (onekvm minus bare):")
    benchlib.table(rows, ("action", "1: onekvm CPU", "1: bare CPU", "1: overhead", f"{VMS}: onekvm CPU", f"{VMS}: bare CPU",
                          f"{VMS}: overhead", "overhead ratio"))
    batch = (statistics.median(rep_walls["onekvm"]) - statistics.median(rep_walls["bare"])) * 1000 / (len(ACTIONS) * VMS)
    single = o1 / len(ACTIONS)
    batch_ratio = batch / single if single > 0 else float("inf")
    print(f"a burst of {VMS} at once ends {batch:+.1f} ms per action later with onekvm than bare; one at a time an action"
          f" adds {single:+.1f} ms (own-time overhead, mean of the four): ratio {batch_ratio:.2f}")
    onekvm_failures = sum(1 for f in failures if f[0] == "onekvm")
    print(f"failures: onekvm {onekvm_failures} of {attempts['onekvm']} actions, bare {len(failures) - onekvm_failures} of {attempts['bare']}")
    for f in failures[:10]:
        print(f"  {f[0]} {f[1]} {f[2]} {f[3]}: {f[4]}")
    ratio = om / o1 if o1 > 0 else float("inf")
    print(f"goal: overhead per action at {VMS} at once within 2x one at a time:"
          f" own wall time {ratio:.2f} {'met' if ratio <= 2 else 'not met'},"
          f" CPU time {cpu_ratio:.2f} {'met' if cpu_ratio <= 2 else 'not met'},"
          f" burst per action {batch_ratio:.2f} {'met' if batch_ratio <= 2 else 'not met'};"
          f" every action succeeds: {'met' if not failures else 'not met'}")
    if failures:
        sys.exit("load: actions failed")
finally:
    for vm in vms:
        benchlib.virsh("destroy", vm.name, check=False)
        vm.t.cleanup()
