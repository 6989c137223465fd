"""Lifecycle section of the benchmark: median wall time of onekvm's deploy, save, restore and
shutdown (the CANCEL_NO_ACPI=yes destroy path, so no guest OS is needed) beside the bare virsh
calls each action makes, in one run. The two sides alternate in every round so that load drifts
hit both alike.

QEMU's own time (create, save, destroy) varies by hundreds of ms on a busy host, far more than the
driver adds. So both sides run virsh through the same wrapper, which times each virsh call from
inside; "own" is a run's wall time minus its time inside virsh, and the overhead is onekvm's own
time minus the bare side's (the wrapper's start-up is paid alike by both and cancels out).

Usage: tests/bench/lifecycle.py [REMOTES_DIR] [ROUNDS]   (as root, libvirtd running)
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

remotes, kvm = benchlib.staged(benchlib.argument(1, None))
ROUNDS = int(benchlib.argument(2, "25"))
name = f"onekvm-bench-lc-{os.getpid()}"
t = benchlib.Timed("onekvm-bench-lifecycle.")
work = t.work
vmdir = os.path.join(work, "datastores", "0", "4242")
os.makedirs(vmdir)
ckpt, dep = os.path.join(vmdir, "checkpoint"), os.path.join(vmdir, "deployment.0")
domain_xml = benchlib.diskless_domain(name)
with open(os.path.join(work, "domain.xml"), "w") as f:
    f.write(domain_xml)
# only what the measured paths read: the destroy path for shutdown, no clock sync
with open(os.path.join(work, "kvmrc"), "w") as f:
    f.write("CANCEL_NO_ACPI=yes\nSYNC_TIME=no\n")
t.env["ONEKVM_KVMRC"] = os.path.join(work, "kvmrc")
data = "<VMM_DRIVER_ACTION_DATA><VM><ID>4242</ID></VM><DATASTORE><TM_MAD>shared</TM_MAD></DATASTORE></VMM_DRIVER_ACTION_DATA>"
V = ["virsh", "--connect", benchlib.URI]


def may_fail(argv):
    benchlib.run(argv, env=t.env, check=False)


# what each action runs, call for call (see the actions' sources)
def bare_deploy():
    may_fail([*V, "domstate", name])
    shutil.copyfile(os.path.join(work, "domain.xml"), dep)
    t.run([*V, "create", "--file", dep])
    t.run([*V, "--readonly", "domuuid", "--domain", name])


def bare_save():
    t.run([*V, "save", "--domain", name, "--file", ckpt])


def bare_restore():
    may_fail([*V, "domstate", name])
    saved = t.run([*V, "save-image-dumpxml", "--file", ckpt, "--security-info"])
    with open(os.path.join(work, "saved.xml"), "wb") as f:
        f.write(saved)
    t.run([*V, "restore", "--file", ckpt, "--xml", os.path.join(work, "saved.xml")])
    t.run([*V, "domstate", name])
    os.unlink(ckpt)


def bare_shutdown():
    t.run([*V, "--readonly", "dumpxml", "--domain", name])
    t.run([*V, "destroy", name])
    may_fail([*V, "domstate", name])


def onekvm_deploy():
    t.run([os.path.join(kvm, "deploy"), dep, "localhost", "4242", "localhost"], domain_xml)


def onekvm_save():
    t.run([os.path.join(kvm, "save"), name, ckpt, "localhost", "4242", "localhost"], data)


def onekvm_restore():
    t.run([os.path.join(kvm, "restore"), ckpt, "localhost", name, "4242", "localhost"], data)


def onekvm_shutdown():
    t.run([os.path.join(kvm, "shutdown"), name, "localhost", "4242", "localhost"], data)


# the floor under every action: start, read kvmrc, one virsh call, log a line, exit
def onekvm_floor():
    t.run([os.path.join(kvm, "shutdown"), name + "-missing", "localhost", "4242", "localhost"], data)


def bare_floor():
    may_fail([*V, "--readonly", "dumpxml", "--domain", name + "-missing"])


ACTIONS = ("deploy", "save", "restore", "shutdown", "floor")
SIDES = {"onekvm": (onekvm_deploy, onekvm_save, onekvm_restore, onekvm_shutdown, onekvm_floor),
         "bare": (bare_deploy, bare_save, bare_restore, bare_shutdown, bare_floor)}
try:
    # one unmeasured round warms the page cache and libvirtd
    for action in SIDES["bare"][:4]:
        action()
    for _ in range(ROUNDS):
        for side, actions in SIDES.items():
            for action, run in zip(ACTIONS, actions):
                t.step(f"{side}.{action}", run)

    ms = benchlib.median_ms
    print(f"lifecycle: medians over {ROUNDS} rounds, ms (load average: {benchlib.load_average()})")
    labels = {"shutdown": "shutdown (CANCEL_NO_ACPI destroy)", "floor": "floor (shutdown of a missing VM)"}
    rows = []
    for action in ACTIONS:
        oo, bo = ms(t.own[f"onekvm.{action}"]), ms(t.own[f"bare.{action}"])
        rows.append((labels.get(action, action), f"{ms(t.wall[f'onekvm.{action}']):.1f}", f"{ms(t.wall[f'bare.{action}']):.1f}",
                     f"{oo:.1f}", f"{bo:.1f}", f"{oo - bo:+.1f}", f"{benchlib.paired_ms(t.own[f'onekvm.{action}'], t.own[f'bare.{action}']):+.1f}"))
    benchlib.table(rows, ("action", "onekvm", "bare virsh", "onekvm own", "bare own", "overhead", "paired"))
    print("(paired: the median of each round's own-time difference, which a load drift between rounds does not move)")
finally:
    benchlib.virsh("destroy", name, check=False)
    t.cleanup()
