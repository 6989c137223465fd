"""Monitoring benchmark: the vm_monitor probe beside the bare virsh calls for the same data and
beside upstream's Ruby probe, for 1, 10, 50 and 100 domains (BENCH_COUNTS), in one run; then, at
1 domain, where the probe's time goes beside the one-call floor.

usage: tests/bench/monitor.py <staged remotes dir>
  BENCH_RUNS (default 15): interleaved runs per figure
  ONEKVM_UPSTREAM_SRC (default /tmp/up/src): an extracted OpenNebula source tree; upstream's probe
    is run from there when ruby and ruby-sqlite3 are installed (nothing of it is part of this
    repository), else its figure is cited.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

URI = benchlib.URI
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
UPSTREAM_RUNS = int(os.environ.get("BENCH_UPSTREAM_RUNS", "3"))
UPSTREAM_SRC = os.environ.get("ONEKVM_UPSTREAM_SRC", "/tmp/up/src")
COUNTS = tuple(int(c) for c in os.environ.get("BENCH_COUNTS", "1,10,50,100").split(","))
HOST = "bench-host"

remotes = sys.argv[1]
work = tempfile.mkdtemp(prefix="onekvm-bench-monitor-")
# a copy of the tree with a forecast.conf that turns history and both forecasts on (upstream's shipped file
# turns the far one off); the far forecast runs in each VM's own time slot, as upstream's does
subprocess.run(["cp", "-a", remotes + "/.", os.path.join(work, "remotes")], check=True)
remotes = os.path.join(work, "remotes")
os.makedirs(os.path.join(remotes, "etc/im/kvm-probes.d"), exist_ok=True)
with open(os.path.join(remotes, "etc/im/kvm-probes.d/forecast.conf"), "w") as f:
    f.write("virtualmachine:\n  db_retention: 2\n  forecast:\n    enabled: true\n    period: 5\n    lookback: 60\n"
            "  forecast_far:\n    enabled: true\n    period: 2880\n    lookback: 10080\n")
monitor_probe = os.path.join(remotes, "im/kvm-probes.d/vm/monitor/vm_monitor")
state_probe = os.path.join(remotes, "im/kvm-probes.d/vm/status/vm_state")
poll_action = os.path.join(remotes, "vmm/kvm/poll")
upstream_probe = os.path.join(UPSTREAM_SRC, "im_mad/remotes/kvm-probes.d/vm/monitor/poll.rb")
real_virsh = shutil.which("virsh")

run_dir = os.path.join(work, "run")
wrapper_dir = os.path.join(work, "bin")
calls_log = os.path.join(work, "virsh-calls")
os.makedirs(run_dir)
os.makedirs(wrapper_dir)
# a virsh that counts itself: the figure "virsh processes per poll" comes from here
with open(os.path.join(wrapper_dir, "virsh"), "w") as f:
    f.write(f"#!/bin/sh\necho x >> '{calls_log}'\nexec '{real_virsh}' \"$@\"\n")
os.chmod(os.path.join(wrapper_dir, "virsh"), 0o755)
shim = os.path.join(work, "rubylib")
os.makedirs(shim)
# upstream's probe requires this file of an OpenNebula install; empty is enough here
open(os.path.join(shim, "load_opennebula_paths.rb"), "w").close()

BASE_ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": os.environ.get("HOME", "/root"), "ONEKVM_RUN_DIR": run_dir,
            "ONEKVM_METRICS_DIR": os.path.join(work, "one_db")}
COUNTING_ENV = dict(BASE_ENV, PATH=wrapper_dir + ":" + BASE_ENV["PATH"], RUBYLIB=shim)
# the probes read the statistics from libvirt's socket; this makes them run virsh as before (kvmrc or environment)
FORCE_VIRSH = {"ONEKVM_LIBVIRT_CLIENT": "virsh"}
os.makedirs(os.path.join(work, "run-virsh-path"))
# vm_monitor through virsh, beside the native one in the same runs: a state directory of its own (a shared one
# would hold the other's sample younger than 1 s)
VIRSH_PATH_ENV = dict(BASE_ENV, ONEKVM_RUN_DIR=os.path.join(work, "run-virsh-path"),
                      ONEKVM_METRICS_DIR=os.path.join(work, "one_db-virsh-path"), **FORCE_VIRSH)


def peak_rss_kib(argv):
    """One run under GNU time: the peak RSS of the process or of a child it waited for (its virsh), whichever is larger."""
    out = os.path.join(work, "rss")
    run(["/usr/bin/time", "-f", "%M", "-o", out, *argv])
    with open(out) as f:
        return int(f.read().split()[-1])


def run(argv, env=BASE_ENV, stdin=b""):
    """One timed run; a failure is retried twice: on a shared host a call over every domain fails now and then
    when another user's domain goes away under it ("Unable to read from monitor"), which says nothing of the probe."""
    for attempt in range(3):
        try:
            elapsed, _, (_, out, _) = benchlib.run(argv, stdin, env)
            return elapsed, out
        except RuntimeError as e:
            if attempt == 2:
                raise
            print(f"monitor: retried: {e}".rstrip(), file=sys.stderr)


def counted(argv, stdin=b""):
    """Runs argv once with the counting virsh; returns (seconds, virsh processes, stdout)."""
    if os.path.exists(calls_log):
        os.unlink(calls_log)
    elapsed, out = run(argv, COUNTING_ENV, stdin)
    with open(calls_log) if os.path.exists(calls_log) else open(os.devnull) as f:
        return elapsed, len(f.readlines()), out


def virsh(*args):
    return ["virsh", "--connect", URI, "--readonly", *args]


ms = benchlib.median_ms


def figure(values):
    """Median and best: other domains being created or destroyed lock libvirtd's domain list now and then."""
    return f"{ms(values):.0f} ms (best {min(values) * 1000:.0f})"


pid = os.getpid()
domains = []


def create(index):
    # diskless, with a NIC and a virtio balloon as OpenNebula deploys them (their groups cost domstats time);
    # under TCG the BIOS finds nothing to boot and halts: idle domains, a quiet machine to measure on
    name = f"one-{800_000_000 + pid % 10_000 * 10_000 + index}"
    xml = f"""<domain type='qemu'><name>{name}</name><description>onekvm bench pid={pid}</description>
<memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><bootmenu enable='no'/></os><features><acpi/></features>
<devices><controller type='usb' model='none'/>
<interface type='ethernet'><model type='virtio'/><rom enabled='no'/></interface>
<memballoon model='virtio'/></devices></domain>"""
    path = os.path.join(work, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    run(["virsh", "--connect", URI, "create", path])
    domains.append(name)


def upstream_available():
    if not (shutil.which("ruby") and os.path.exists(upstream_probe)):
        return False
    return subprocess.run(["ruby", "-e", "require 'sqlite3'"], capture_output=True, check=False).returncode == 0


def tree_with(name, forecast_conf):
    """Another copy of the tree (the probe reads forecast.conf beside itself) with that forecast.conf."""
    root = os.path.join(work, name)
    subprocess.run(["cp", "-a", remotes + "/.", root], check=True)
    with open(os.path.join(root, "etc/im/kvm-probes.d/forecast.conf"), "w") as f:
        f.write(forecast_conf)
    return os.path.join(root, "im/kvm-probes.d/vm/monitor/vm_monitor")


def one_vm_split(probe, own_call, times):
    """Where vm_monitor's time goes at 1 domain, beside the floor: each part measured as the difference of two
    interleaved variants (medians of the pairs), the probe's virsh replaced by a stub replaying its output."""
    stub_dir = os.path.join(work, "stub")
    os.makedirs(stub_dir)
    replay, empty = os.path.join(work, "domstats.out"), os.path.join(work, "empty.out")
    with open(replay, "wb") as f:
        f.write(run(own_call)[1])
    open(empty, "w").close()
    stubs = {}
    for kind, source in (("replay", replay), ("empty", empty)):
        stubs[kind] = os.path.join(stub_dir, kind, "virsh")
        os.makedirs(os.path.dirname(stubs[kind]))
        with open(stubs[kind], "w") as f:
            f.write(f"#!/bin/sh\nexec cat '{source}'\n")
        os.chmod(stubs[kind], 0o755)
    env = {kind: dict(BASE_ENV, PATH=os.path.dirname(stub) + ":" + BASE_ENV["PATH"], **FORCE_VIRSH) for kind, stub in stubs.items()}
    unusable = os.path.join(work, "not-a-directory")
    open(unusable, "w").close()
    no_forecast = tree_with("remotes-no-forecast", "virtualmachine:\n  db_retention: 2\n  forecast:\n    enabled: false\n"
                                                   "  forecast_far:\n    enabled: false\n")
    variants = {
        "probe": (probe, BASE_ENV),                          # its statistics from libvirt's socket
        "probe via virsh": (probe, dict(BASE_ENV, **FORCE_VIRSH)),
        "stub": (probe, env["replay"]),                      # history and forecasts on, virsh replayed
        "stub, no forecasts": ([no_forecast, *probe[1:]], env["replay"]),
        "stub, no history": (probe, dict(env["replay"], ONEKVM_METRICS_DIR=os.path.join(unusable, "one_db"))),
        "stub, no domain": (probe, env["empty"]),
    }
    # each variant keeps its own state (CPU samples) and history directories from one run to the next, as a node's
    # probe does between polls: shared ones would be reset by the variant that reports no domain, and every run of the
    # next variant would be a first poll with its 0.5 s CPU sample
    for index, (name, (argv, variant_env)) in enumerate(variants.items()):
        own = os.path.join(work, f"split-{index}")
        os.makedirs(os.path.join(own, "run"))
        variant_env = dict(variant_env, ONEKVM_RUN_DIR=os.path.join(own, "run"))
        if variant_env["ONEKVM_METRICS_DIR"] == BASE_ENV["ONEKVM_METRICS_DIR"]:
            variant_env["ONEKVM_METRICS_DIR"] = os.path.join(own, "one_db")
        variants[name] = (argv, variant_env)
    last = 0.0
    for argv, variant_env in variants.values():  # one warm-up poll each: the first poll takes its own CPU sample
        time.sleep(max(0.0, 1.1 - (time.perf_counter() - last)))
        run(argv, variant_env)
        last = time.perf_counter()
    t = {name: [] for name in [*variants, "replay alone", "its virsh call"]}
    for _ in range(RUNS):
        for name, (argv, variant_env) in variants.items():
            # spaced as the monitor daemon would: a sample younger than 1 s would make the probe take its own
            time.sleep(max(0.0, 1.1 - (time.perf_counter() - last)))
            t[name].append(run(argv, variant_env)[0])
            last = time.perf_counter()
        t["replay alone"].append(run([stubs["replay"], "domstats"])[0])
        t["its virsh call"].append(run(own_call)[0])
    pair = benchlib.paired_ms
    start = ms([e - r for e, r in zip(t["stub, no domain"], t["replay alone"])])
    call = pair(t["probe"], t["stub"]) + ms(t["replay alone"])
    virsh_call = pair(t["probe via virsh"], t["stub"]) + ms(t["replay alone"])
    history = pair(t["stub"], t["stub, no history"])
    forecasts = pair(t["stub"], t["stub, no forecasts"])
    rest = pair(t["stub, no history"], t["stub, no domain"])
    return [
        ("vm_monitor (history and forecasts on)", f"{ms(t['probe']):.1f}", "measured: its statistics from libvirt's socket"),
        ("vm_monitor through virsh", f"{ms(t['probe via virsh']):.1f}", "measured: ONEKVM_LIBVIRT_CLIENT=virsh"),
        ("floor: virsh domstats --list-active", f"{ms(times['floor']):.1f}", f"measured in the main rows: ratio {ms(times['probe']) / ms(times['floor']):.2f}"),
        ("  process start", f"{start:.1f}", "probe with a virsh stub reporting no domain, minus the stub alone: entry, runtime, kvmrc, forecast.conf"),
        ("  its statistics call", f"{call:.1f}", "probe minus probe with a virsh stub replaying the call's output, plus the stub"),
        ("  (through virsh)", f"{virsh_call:.1f}", f"the same with the probe through virsh; the bare virsh call: {ms(t['its virsh call']):.1f}"),
        ("  history and forecasts", f"{history:.1f}", "stub run minus stub run with the history directory unusable (one WARN, no file)"),
        ("    of which forecasts", f"{forecasts:.1f}", "stub run minus stub run with both forecasts off"),
        ("  the rest for 1 VM", f"{rest:.1f}", "stub run without history minus stub run with no domain: /proc, samples, *_BW, output"),
        ("  sum of the parts", f"{start + call + history + rest:.1f}", "beside vm_monitor's median above"),
    ]


def reset_samples():
    for f in os.listdir(run_dir):
        os.unlink(os.path.join(run_dir, f))


one_db_before = set(os.listdir("/var/tmp/one_db")) if os.path.isdir("/var/tmp/one_db") else None
have_upstream = upstream_available()
print(f"== onekvm monitoring benchmark (libvirtd {URI}; {RUNS} interleaved runs per figure: median (best);"
      f" diskless TCG domains with a NIC and a virtio balloon, halted in the BIOS)")
rows, state_rows, medians, peak_rss, split = [], [], [], [], []
stopped = None
try:
    for count in COUNTS:
        while len(domains) < count:
            create(len(domains))
        time.sleep(5)  # let the new BIOSes halt: booting domains slow every QMP answer down

        probe = [monitor_probe, "kvm", "0", HOST]
        reset_samples()
        first, first_calls, out = counted(probe)
        reported = out.decode().count("VM = [")
        time.sleep(1.1)
        steady_calls = counted(probe)[1]
        last_probe = time.perf_counter()

        # the one-call floor: every statistic of every running domain in one virsh process
        floor = virsh("domstats", "--list-active")
        own_call = virsh("domstats", "--state", "--interface", "--block", "--nowait", "--list-active")
        times = {"probe": [], "via virsh": [], "floor": [], "own": []}
        for _ in range(RUNS):
            # a sample younger than 1 s is not used (it is a concurrent probe's): space the probes as a monitor daemon would
            time.sleep(max(0.0, 1.1 - (time.perf_counter() - last_probe)))
            times["probe"].append(run(probe)[0])
            times["via virsh"].append(run(probe, VIRSH_PATH_ENV)[0])
            # spaced from the later of the two: each one's previous sample must be over 1 s old
            last_probe = time.perf_counter()
            times["floor"].append(run(floor)[0])
            times["own"].append(run(own_call)[0])

        upstream = "-"
        if have_upstream:
            up = [counted(["ruby", upstream_probe, "kvm", "0", HOST]) for _ in range(UPSTREAM_RUNS)]
            up_ms = ms([u[0] for u in up])
            upstream = f"{up_ms:.0f} ms, {up[0][1]} virsh ({up_ms / ms(times['probe']):.0f}x slower)"
        medians.append((count, ms(times["probe"]), ms(times["floor"])))
        peak_rss.append(peak_rss_kib(probe) if os.path.exists("/usr/bin/time") else 0)
        rows.append((count, reported, figure(times["probe"]), figure(times["via virsh"]), steady_calls, f"{first * 1000:.0f} ms / {first_calls}",
                     figure(times["floor"]), f"{ms(times['probe']) / ms(times['floor']):.2f}",
                     figure(times["own"]), upstream))
        # a long run (100 domains, upstream's probe) prints each row's figures as it goes, the tables at the end
        print(f"monitor: {count} domains: vm_monitor {figure(times['probe'])}, floor {figure(times['floor'])}, "
              f"upstream {upstream}", file=sys.stderr, flush=True)

        if count == 1:
            split = one_vm_split(probe, own_call, times)

        state = {"probe": [], "bare": []}
        for _ in range(RUNS):
            state["probe"].append(run([state_probe, "kvm", "0", HOST])[0])
            state["bare"].append(run(virsh("domstats", "--state", "--nowait", "--list-active"))[0])
        poll = {"poll": [], "bare": []}
        for _ in range(RUNS):
            poll["poll"].append(run([poll_action, domains[0], HOST, "0", HOST])[0])
            poll["bare"].append(run(virsh("domstats", "--state", "--interface", "--block", "--nowait", domains[0]))[0])
            time.sleep(1.1)
        state_rows.append((count, figure(state["probe"]), figure(state["bare"]), figure(poll["poll"]), figure(poll["bare"])))
except RuntimeError as e:
    # what was measured before is still printed below
    stopped = f"stopped at {count} domains: {e}"
    print(f"monitor: {stopped}", file=sys.stderr)
finally:
    for name in domains:
        subprocess.run(["virsh", "--connect", URI, "destroy", name], capture_output=True, check=False)
    shutil.rmtree(work, ignore_errors=True)
    # upstream's probe writes a metrics database per VM under /var/tmp/one_db
    if have_upstream and os.path.isdir("/var/tmp/one_db"):
        if one_db_before is None:
            shutil.rmtree("/var/tmp/one_db", ignore_errors=True)
        else:
            for f in set(os.listdir("/var/tmp/one_db")) - one_db_before:
                os.unlink(os.path.join("/var/tmp/one_db", f))


table = benchlib.table


print()
table(rows, ("domains", "reported", "vm_monitor", "vm_monitor via virsh", "virsh/poll", "first poll / virsh", "floor", "ratio (medians)",
             "its virsh call", "upstream poll.rb (median)"))
print()
print("vm_monitor: with the metric history (SQLite, one file per VM) and the near and far forecasts on;"
      " its statistics from libvirt's socket (no virsh process)")
print("vm_monitor via virsh: the same with ONEKVM_LIBVIRT_CLIENT=virsh (one virsh process per poll)")
print("floor: one bare virsh call with every statistic of every running domain: domstats --list-active")
print("its virsh call: the one domstats vm_monitor makes (no cpu-total, no balloon: CPU and memory come from /proc)")
print("first poll: no samples yet, so one short CPU sample (0.5 s) for all domains")
if not have_upstream:
    print("upstream poll.rb: not run here (needs ruby, ruby-sqlite3 and ONEKVM_UPSTREAM_SRC); measured before on this")
    print("       machine: 13.5 s and 157 virsh processes for 52 domains")
if len(medians) > 1:
    def slope(points):
        n = len(points)
        mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
        return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    print(f"per extra domain (least squares over {', '.join(str(m[0]) for m in medians)}):"
          f" vm_monitor {slope([(c, p) for c, p, _ in medians]):.2f} ms, floor {slope([(c, f) for c, _, f in medians]):.2f} ms")
print(f"peak RSS (vm_monitor or its virsh, whichever is larger), by domain count: {', '.join(f'{r / 1024:.1f}' for r in peak_rss)} MB")
if split:
    print()
    print(f"at 1 domain, where vm_monitor's time goes ({RUNS} interleaved runs of each variant, ms: medians of the pairs'"
          f" differences; load average {benchlib.load_average()})")
    table(split, ("part", "ms", "how"))
print()
table(state_rows, ("domains", "vm_state", "bare domstats --state", "poll (1 domain)", "bare domstats (1 domain)"))
if stopped:
    sys.exit(f"monitor: {stopped}")
