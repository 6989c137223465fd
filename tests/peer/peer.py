#!/usr/bin/env python3
"""A second hypervisor on this machine, for the migration specs and benchmarks: the one place it is set up.

A peer is a libvirtd (with its virtlogd) in its own mount and UTS namespaces: private
/var/{run,lib,log,cache}/libvirt and /etc/libvirt (a copy of this host's), its own host
name and host UUID (libvirt refuses to migrate to a host with its own UUID), listening on
loopback TCP without auth (engineering-notes.md, "Two hypervisor hosts").

  plain peer:       libvirtd on 127.0.0.1:<free port>; oned's host argument is "127.0.0.1:<port>".
  --own-host:       a host that is really another host for the driver (engineering-notes.md,
                    "A destination that is really another host"): an /etc/hosts line gives
                    it a name on a free 127.x.y.z address, where its libvirtd (16509) and an
                    sshd started in its namespaces listen, so qemu+tcp://<name>/system and
                    `ssh <name>` reach the same host; ssh uses a generated key and known_hosts
                    through an /etc/ssh/ssh_config.d drop-in for that name only.
  --datastore-root: a private directory (<dir>/datastores) bind-mounted over that path in
                    its namespaces, so it never sees this host's VM files there.

usage:
  peer.py start --name NAME --dir DIR [--hostname H] [--own-host] [--datastore-root PATH] [--owner PID]
      starts it, waits until virsh (and ssh) answer, prints its description as JSON (also
      kept in DIR/peer.json); exit 1 with the reason on stderr when it does not come up.
  peer.py stop DIR
      removes its domains, stops its daemons, removes its /etc/hosts line and ssh drop-in.
  peer.py restart DIR [--down SECONDS] [--crash]
      restarts its libvirtd the way an operator or a package upgrade does: SIGTERM, SECONDS
      without a daemon, then a new libvirtd in the same namespaces (its domains' QEMUs run on;
      the new daemon reconnects to them). Prints the description with the new pid once virsh answers.
      --crash: SIGKILL instead of SIGTERM (a daemon that crashed, and systemd starting it again).
  --freeze-hook (start): a libvirt qemu hook in the peer's /etc/libvirt that stops (SIGSTOP) a
      domain's QEMU as it is started (libvirt's "started" hook: before a restore or an incoming
      migration loads anything) when the file /run/libvirt/onekvm-freeze-<domain> exists in the
      peer (DIR/run/onekvm-freeze-<domain> here), and removes that file: a spec that restarts the
      daemon then meets libvirt's job in progress for certain.

The /etc/hosts line and the drop-in name their owner (--owner, default the caller's pid):
every start first removes the lines, drop-ins and daemons of peers whose owner is dead
(a crashed run), and those the earlier bash and C# set-ups left with their pid.
Importable: start(...) returns the description, stop(description or dir) undoes it.
"""

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

HOSTS = "/etc/hosts"
SSH_DROP_INS = "/etc/ssh/ssh_config.d"
LOCK = "/run/lock/onekvm-peer.lock"
TAG = "# onekvm peer"
LIBVIRT_PORT = 16509
ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C", "HOME": os.environ.get("HOME", "/root")}
# what the earlier set-ups tagged their lines with (the bench's bash, the specs' C#): cleaned alike
LEGACY = (re.compile(r"# onekvm integration specs, pid (\d+)$"), re.compile(r"# onekvm bench (\d+)$"))
OWNED = re.compile(re.escape(TAG) + r" (\S+) owner (\d+) dir (\S+)$")


def _run(argv, check=True, timeout=120):
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=ENV, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    return done


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_time(pid):
    """The process's start time in clock ticks (field 22 of /proc/PID/stat): with the pid, who it is."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # a zombie has ended already (its parent, maybe not us, has not reaped it yet)
    return int(fields[19]) if len(fields) > 19 and fields[0] != "Z" else None


def _can_bind(address, port):
    with socket.socket() as s:
        try:
            s.bind((address, port))
            return True
        except OSError:
            return False


def _free_port(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _locked():
    """Peers started at once (two in one fixture, other runs) take addresses and edit /etc/hosts one at a time."""
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _rewrite_hosts(keep):
    """Keeps the /etc/hosts lines keep(line) accepts; rewritten in place (it may be a bind mount rename cannot replace)."""
    with open(HOSTS) as f:
        lines = f.read().splitlines(keepends=True)
    kept = [l for l in lines if keep(l.rstrip("\n"))]
    if len(kept) != len(lines):
        with open(HOSTS, "r+") as f:
            f.write("".join(kept))
            f.truncate()
    return [l for l in lines if l not in kept]


def _stale_owner(line):
    """The dead owner's pid of an /etc/hosts line or drop-in first line a peer wrote, else None."""
    m = OWNED.search(line)
    pid = int(m.group(2)) if m else next((int(x.group(1)) for x in (r.search(line) for r in LEGACY) if x), None)
    return pid if pid is not None and not _alive(pid) else None


def _remove_stale():
    """What peers of dead owners left: their /etc/hosts lines, drop-ins and, when still running, their daemons."""
    removed = _rewrite_hosts(lambda l: _stale_owner(l) is None)
    stale_names = {l.split()[1] for l in removed if len(l.split()) > 1}
    for name in os.listdir(SSH_DROP_INS) if os.path.isdir(SSH_DROP_INS) else []:
        path = os.path.join(SSH_DROP_INS, name)
        try:
            with open(path) as f:
                first = f.readline().rstrip("\n")
        except OSError:
            continue
        if _stale_owner(first) is not None or name[:-len(".conf")] in stale_names:
            m = OWNED.search(first)
            with contextlib.suppress(OSError, ValueError):
                _stop_daemons(_load(m.group(3)) if m else {})
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _free_loopback_address():
    with open(HOSTS) as f:
        named = {l.split()[0] for l in f if l.strip() and not l.lstrip().startswith("#")}
    for _ in range(200):
        address = f"127.0.{random.randint(1, 249)}.{random.randint(2, 249)}"
        if address not in named and _can_bind(address, LIBVIRT_PORT):
            return address
    raise RuntimeError("no free loopback address for a peer host")


def _write_ssh(peer, tag):
    d = peer["directory"]
    host_key, client_key = os.path.join(d, "host_key"), os.path.join(d, "id_ed25519")
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", peer["name"], "-f", host_key])
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "onekvm-peer", "-f", client_key])
    shutil.copyfile(client_key + ".pub", os.path.join(d, "authorized_keys"))
    port, name, address = peer["ssh"]["port"], peer["name"], peer["address"]
    known = f"{name},{address}" if port == 22 else f"[{name}]:{port},[{address}]:{port}"
    with open(host_key + ".pub") as f:
        kind, key = f.read().split()[:2]
    with open(peer["ssh"]["known_hosts"], "w") as f:
        f.write(f"{known} {kind} {key}\n")
    with open(peer["sshd_config"], "w") as f:
        f.write(f"ListenAddress {address}:{port}\nHostKey {host_key}\nPidFile {peer['sshd_pid_file']}\n"
                f"AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 100\nSubsystem sftp internal-sftp\n")
    # ssh as root ignores $HOME for its configuration: a drop-in for this host name only
    with open(peer["ssh"]["config"], "w") as f:
        f.write(f"{tag}\nHost {name}\n    Port {port}\n    User root\n    IdentityFile {client_key}\n    IdentitiesOnly yes\n"
                f"    UserKnownHostsFile {peer['ssh']['known_hosts']}\n    StrictHostKeyChecking yes\n")


def _inside(directory, hostname, datastore_root):
    """Runs in the new namespaces (unshare execs it): mounts, host name, sshd, virtlogd, then becomes libvirtd.
    Their output goes to the peer's log (this process's stdout and stderr)."""
    def checked(*argv):
        subprocess.run(argv, stdin=subprocess.DEVNULL, env=ENV, check=True)
    for d in ("run", "lib", "log", "cache"):
        checked("mount", "--bind", os.path.join(directory, d), f"/var/{d}/libvirt")
    checked("mount", "--bind", os.path.join(directory, "etc"), "/etc/libvirt")
    if datastore_root:
        checked("mount", "--bind", os.path.join(directory, "datastores"), datastore_root)
    socket.sethostname(hostname)
    if os.path.exists(os.path.join(directory, "sshd_config")):
        os.makedirs("/run/sshd", exist_ok=True)
        checked("/usr/sbin/sshd", "-f", os.path.join(directory, "sshd_config"))
    # pid files default to /run: the peer's go to its own run directory
    checked("virtlogd", "-d", "-p", "/var/run/libvirt/virtlogd-peer.pid")
    os.execvpe("libvirtd", ["libvirtd", "--listen", "-p", "/var/run/libvirt/libvirtd-peer.pid"], ENV)


def _answers(peer):
    if _run(["virsh", "--connect", peer["uri"], "version"], check=False, timeout=30).returncode != 0:
        return False
    return not peer["own_host"] or _run(["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", peer["name"], "true"],
                                        check=False, timeout=30).returncode == 0


FREEZE_HOOK = """#!/bin/sh
# peer.py --freeze-hook: stops the QEMU of a domain that is started while its flag file exists
cat >/dev/null
flag="/var/run/libvirt/onekvm-freeze-$1"
if [ "$2" = started ] && [ -e "$flag" ]; then
  kill -STOP "$(cat "/var/run/libvirt/qemu/$1.pid")"
  rm -f "$flag"
fi
exit 0
"""


def start(name, directory, hostname=None, own_host=False, datastore_root=None, owner=None, freeze_hook=False):
    """Starts a peer (see the module's text) and returns its description once virsh (and ssh) answer."""
    directory = os.path.abspath(directory)
    owner = owner or os.getpid()
    tag = f"{TAG} {name} owner {owner} dir {directory}"
    for d in ("run", "lib", "log", "cache", "datastores"):
        os.makedirs(os.path.join(directory, d), exist_ok=True)
    if os.path.exists(os.path.join(directory, "etc")):
        shutil.rmtree(os.path.join(directory, "etc"))
    _run(["cp", "-a", "/etc/libvirt", os.path.join(directory, "etc")])
    if freeze_hook:
        hooks = os.path.join(directory, "etc", "hooks")
        os.makedirs(hooks, exist_ok=True)
        with open(os.path.join(hooks, "qemu"), "w") as f:
            f.write(FREEZE_HOOK)
        os.chmod(os.path.join(hooks, "qemu"), 0o755)
    peer = {"name": name, "hostname": hostname or name, "directory": directory, "owner": owner, "own_host": own_host,
            "log": os.path.join(directory, "libvirtd.log"), "datastore_root": datastore_root,
            "datastore": os.path.join(directory, "datastores") if datastore_root else None,
            "virtlogd_pid_file": os.path.join(directory, "run", "virtlogd-peer.pid"),
            "sshd_config": None, "sshd_pid_file": None, "hosts_line": None, "ssh": None}
    try:
        with _locked():
            _remove_stale()
            if own_host:
                address = _free_loopback_address()
                peer.update(address=address, port=LIBVIRT_PORT, host=name, uri=f"qemu+tcp://{name}/system",
                            sshd_config=os.path.join(directory, "sshd_config"), sshd_pid_file=os.path.join(directory, "sshd.pid"),
                            hosts_line=f"{address} {name} {tag}")
                # 22 unless a host sshd listens on every address: then another port, which the drop-in names
                ssh_port = 22 if _can_bind(address, 22) else _free_port(address)
                peer["ssh"] = {"port": ssh_port, "identity": os.path.join(directory, "id_ed25519"),
                               "known_hosts": os.path.join(directory, "known_hosts"),
                               "config": os.path.join(SSH_DROP_INS, name + ".conf")}
                peer["ssh"]["options"] = ["-p", str(ssh_port), "-l", "root", "-i", peer["ssh"]["identity"], "-o", "IdentitiesOnly=yes",
                                          "-o", f"UserKnownHostsFile={peer['ssh']['known_hosts']}", "-o", "StrictHostKeyChecking=yes"]
                _write_ssh(peer, tag)
                with open(HOSTS, "a") as f:
                    f.write(peer["hosts_line"] + "\n")
                listen = f'listen_addr = "{address}"\n'
            else:
                port = _free_port("127.0.0.1")
                peer.update(address="127.0.0.1", port=port, host=f"127.0.0.1:{port}", uri=f"qemu+tcp://127.0.0.1:{port}/system")
                listen = f'tcp_port = "{port}"\nlisten_addr = "127.0.0.1"\n'
        with open(os.path.join(directory, "etc", "libvirtd.conf"), "a") as f:
            f.write(f'\nlisten_tls = 0\nlisten_tcp = 1\n{listen}auth_tcp = "none"\nhost_uuid = "{uuid.uuid4()}"\n')
        # incoming migrations listen on a port of a range of its own: every libvirtd's allocator starts at 49152 and
        # knows only its own QEMUs, so peers (and other runs' peers) migrating at once collided there ("Address already in use")
        base = random.randrange(49216, 60000, 64)
        peer["migration_ports"] = [base, base + 63]
        with open(os.path.join(directory, "etc", "qemu.conf"), "a") as f:
            f.write(f"\nmigration_port_min = {base}\nmigration_port_max = {base + 63}\n")
        with open(peer["log"], "ab") as log:
            # unshare execs python, which execs libvirtd: this pid is the daemon and the namespaces' anchor
            proc = subprocess.Popen(["unshare", "--mount", "--uts", "--propagation", "private", sys.executable, "-I", "-S", "-B",
                                     os.path.abspath(__file__), "_inside", directory, peer["hostname"], datastore_root or ""],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=ENV, start_new_session=True)
        peer["pid"] = proc.pid
        peer["pids"] = {"libvirtd": proc.pid}
        peer["start_times"] = {"libvirtd": _start_time(proc.pid)}
        _save(peer)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _answers(peer):
                for daemon in ("virtlogd", "sshd"):
                    pid = _read_pid(peer.get(f"{daemon}_pid_file"))
                    if pid:
                        peer["pids"][daemon], peer["start_times"][daemon] = pid, _start_time(pid)
                _save(peer)
                return peer
            time.sleep(0.2)
        failure = f"exited with {proc.returncode}" if proc.poll() is not None else "does not answer after 60 s"
        with open(peer["log"], errors="replace") as f:
            tail = "".join(f.readlines()[-5:]).strip()
        raise RuntimeError(f"the peer {name} ({peer['uri']}{', and ssh' if own_host else ''}) {failure}; see {peer['log']}: {tail}")
    except BaseException:
        # nothing of a peer that did not come up stays: its daemons, hosts line and drop-in go
        stop(peer)
        raise


def _save(peer):
    with open(os.path.join(peer["directory"], "peer.json"), "w") as f:
        json.dump(peer, f, indent=1)


def _load(peer_or_dir):
    if isinstance(peer_or_dir, dict):
        return peer_or_dir
    with open(os.path.join(peer_or_dir, "peer.json")) as f:
        return json.load(f)


def _read_pid(pid_file):
    try:
        with open(pid_file) as f:
            return int(f.read().strip())
    except (OSError, ValueError, TypeError):
        return None


def _terminate(pid, start_time, wait, first=signal.SIGTERM):
    """SIGTERM (or `first`) to pid when it is still the process started then; waits `wait` s, then SIGKILL."""
    if not pid or start_time is None or _start_time(pid) != start_time:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first)
    deadline = time.monotonic() + wait
    while _start_time(pid) == start_time and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _start_time(pid) == start_time:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def stop(peer_or_dir):
    """Removes the peer's domains, stops its daemons (which ends the namespaces), removes its hosts line and drop-in."""
    peer = _load(peer_or_dir)
    pid = peer.get("pid")
    if pid and _start_time(pid) == peer.get("start_times", {}).get("libvirtd"):
        listed = _run(["virsh", "--connect", peer["uri"], "list", "--all", "--name"], check=False, timeout=60)
        for domain in listed.stdout.decode().split():
            _run(["virsh", "--connect", peer["uri"], "destroy", domain], check=False)
            if _run(["virsh", "--connect", peer["uri"], "undefine", "--snapshots-metadata", "--nvram", domain], check=False).returncode:
                _run(["virsh", "--connect", peer["uri"], "undefine", domain], check=False)
    # sshd's pid file: a spec may have restarted it since
    sshd = _read_pid(peer.get("sshd_pid_file"))
    if sshd:
        peer.setdefault("pids", {})["sshd"], peer.setdefault("start_times", {})["sshd"] = sshd, _start_time(sshd)
    _stop_daemons(peer)
    with _locked():
        if peer.get("ssh"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(peer["ssh"]["config"])
        if peer.get("hosts_line"):
            _rewrite_hosts(lambda l: l != peer["hosts_line"])


def restart(peer_or_dir, down=0.0, crash=False):
    """Stops the peer's libvirtd (SIGTERM, SIGKILL after 60 s; SIGKILL at once with `crash`), waits `down` s, starts another in the same
    namespaces (entered through virtlogd, which stays) and returns the description once virsh answers."""
    peer = _load(peer_or_dir)
    anchor = peer["pids"]["virtlogd"]
    if _start_time(anchor) != peer["start_times"]["virtlogd"]:
        raise RuntimeError(f"the peer {peer['name']} has no virtlogd left to enter its namespaces through")
    _terminate(peer["pid"], peer["start_times"]["libvirtd"], 60, signal.SIGKILL if crash else signal.SIGTERM)
    time.sleep(down)
    with open(peer["log"], "ab") as log:
        # nsenter execs libvirtd (no --fork for mount and UTS namespaces): this pid is the daemon
        proc = subprocess.Popen(["nsenter", "-t", str(anchor), "-m", "-u", "--", "libvirtd", "--listen", "-p",
                                 "/var/run/libvirt/libvirtd-peer.pid"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=ENV, start_new_session=True)
    peer["pid"] = peer["pids"]["libvirtd"] = proc.pid
    peer["start_times"]["libvirtd"] = _start_time(proc.pid)
    _save(peer)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if _answers(peer):
            return peer
        time.sleep(0.1)
    raise RuntimeError(f"the peer {peer['name']}'s libvirtd did not come back; see {peer['log']}")


def _stop_daemons(peer):
    for daemon in ("sshd", "libvirtd", "virtlogd"):
        _terminate(peer.get("pids", {}).get(daemon), peer.get("start_times", {}).get(daemon), 20)
    # virtlogd when it was not known yet (a peer that never answered)
    pid = _read_pid(peer.get("virtlogd_pid_file"))
    if pid and pid != peer.get("pids", {}).get("virtlogd"):
        _terminate(pid, _start_time(pid), 5)


def main(argv):
    if argv[:1] == ["_inside"]:
        try:
            _inside(argv[1], argv[2], argv[3] or None)
        except subprocess.CalledProcessError as e:
            print(f"peer.py: {' '.join(e.cmd)} failed with exit {e.returncode}", file=sys.stderr)
            return 1
        return 0
    parser = argparse.ArgumentParser(prog="peer.py", description="a second libvirtd for migrations (see the file's text)")
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("start")
    s.add_argument("--name", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--hostname")
    s.add_argument("--own-host", action="store_true")
    s.add_argument("--datastore-root")
    s.add_argument("--owner", type=int, default=os.getppid())
    s.add_argument("--freeze-hook", action="store_true")
    t = commands.add_parser("stop")
    t.add_argument("dir")
    r = commands.add_parser("restart")
    r.add_argument("dir")
    r.add_argument("--down", type=float, default=0.0)
    r.add_argument("--crash", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(json.dumps(start(args.name, args.dir, args.hostname, args.own_host, args.datastore_root, args.owner,
                                   args.freeze_hook)))
        elif args.command == "restart":
            print(json.dumps(restart(args.dir, args.down, args.crash)))
        else:
            stop(args.dir)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"peer.py {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
