"""Migration section of the benchmark: onekvm's migrate_local beside the bare `virsh migrate` it
stands for, between two more libvirt daemons started here in their own mount and UTS namespaces on
loopback TCP (tests/peer/peer.py; engineering-notes.md), one run. onekvm and the bare call each
move the VM from B to C and back: the two sides alternate, each in both directions, so that drift
and asymmetry hit both alike. As in live.py both run virsh through a wrapper that times each call
from inside; "own" is wall time minus time in virsh, "checks" onekvm's virsh calls other than the
migration itself. onekvm's calls: dominfo, domstate (destination), snapshot-list, migrate.

Usage: tests/bench/migrate.py [REMOTES_DIR] [ROUNDS]   (as root, libvirtd installed)
  MIGRATE_BENCH_ROUNDS: rounds when not given (7)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "peer")]
import benchlib  # noqa: E402
import peer  # noqa: E402

remotes, K = benchlib.staged(benchlib.argument(1, None))
ROUNDS = int(benchlib.argument(2, os.environ.get("MIGRATE_BENCH_ROUNDS", "7")))
DOM = f"onekvm-bench-migrate-{os.getpid()}"
t = benchlib.Timed("onekvm-bench-migrate.")
WORK = t.work
peers = []
checks = []
try:
    for n in ("b", "c"):
        peers.append(peer.start(f"onekvm-bench-{n}-{os.getpid()}", os.path.join(WORK, n), hostname=f"onekvm-bench-{n}"))
    BH, CH = (p["host"] for p in peers)
    with open(os.path.join(WORK, "kvmrc"), "w") as f:
        f.write('QEMU_PROTOCOL=qemu+tcp\nMIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"\n')
    t.env["ONEKVM_KVMRC"] = os.path.join(WORK, "kvmrc")
    xml = os.path.join(WORK, "dom.xml")
    with open(xml, "w") as f:
        f.write(f"""<domain type='kvm'><name>{DOM}</name><description>onekvm migrate bench</description>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='usb' model='none'/><memballoon model='none'/></devices></domain>
""")
    benchlib.run(["virsh", "-c", f"qemu+tcp://{BH}/system", "define", xml])
    benchlib.run(["virsh", "-c", f"qemu+tcp://{BH}/system", "start", DOM])
    DATA = f"<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><DEPLOY_ID>{DOM}</DEPLOY_ID><VM><ID>9</ID><TEMPLATE/></VM></VMM_DRIVER_ACTION_DATA>"

    def onekvm_move(src, dst):
        return lambda: t.run([os.path.join(K, "migrate_local"), DOM, dst, src, "9", src], DATA)

    def bare_move(src, dst):
        return lambda: t.run(["virsh", "-c", f"qemu+tcp://{src}/system", "migrate", "--live", "--migrateuri", "tcp://127.0.0.1",
                              "--persistent", "--undefinesource", "--domain", DOM, "--desturi", f"qemu+tcp://{dst}/system"])

    def after(series):
        # every call of onekvm's step but the longest (the migration)
        if series.startswith("onekvm"):
            durations = [e - s for s, e in t.calls]
            checks.append(sum(durations) - max(durations))

    # libvirt here is not symmetric (B -> C takes about 1 s longer than C -> B): each round has both
    # sides move the VM in both directions
    t.rounds([("onekvm.migrate_local", onekvm_move(BH, CH)), ("bare.migrate", bare_move(CH, BH)),
              ("bare.migrate", bare_move(BH, CH)), ("onekvm.migrate_local", onekvm_move(CH, BH))], ROUNDS, after)
    del checks[:2]

    ms = benchlib.median_ms
    one, bare = t.own["onekvm.migrate_local"], t.own["bare.migrate"]
    print(f"== onekvm migration benchmark ({ROUNDS} interleaved rounds, migrations each way, medians in ms; a 64 MiB diskless VM"
          f" between two libvirtd peers on loopback; load average {benchlib.load_average()})")
    benchlib.table([("migrate_local", f"{ms(t.wall['onekvm.migrate_local']):.1f}", f"{ms(t.wall['bare.migrate']):.1f}",
                     f"{ms(one):.1f}", f"{ms(bare):.1f}", f"{ms(one) - ms(bare):.1f}")],
                   ("action", "onekvm", "bare virsh", "onekvm own", "bare own", "overhead"))
    print(f"(the bare side is the one virsh migrate; onekvm first checks both hosts and the snapshots: 3 more virsh calls,"
          f" {ms(checks):.1f} ms;")
    print(" wall medians mix both directions, which differ by about 1 s here: own time is the figure to compare)")
finally:
    for p in peers:
        peer.stop(p)
    t.cleanup()
