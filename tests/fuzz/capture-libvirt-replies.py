#!/usr/bin/env python3
"""Captures the libvirt daemon's replies to CONNECT_GET_ALL_DOMAIN_STATS (remote procedure 344), as virsh
receives them on libvirt's read-only socket, for tests/fuzz-corpus/libvirt-reply/ and the unit specs of
Libvirt/DomainStatsReply: virsh runs under strace, the bytes it reads from the socket are put back together
and each whole reply message (its length word included) is written out.

usage: tests/fuzz/capture-libvirt-replies.py OUT_FILE [virsh domstats arguments...]
  e.g. capture-libvirt-replies.py /tmp/one.bin --state --interface --block one-42
"""

import re
import struct
import subprocess
import sys
import tempfile

out_file, args = sys.argv[1], sys.argv[2:]
with tempfile.NamedTemporaryFile(prefix="onekvm-capture-", suffix=".strace") as trace:
    subprocess.run(["strace", "-f", "-e", "trace=connect,read", "-xx", "-s", "67108864", "-o", trace.name,
                    "virsh", "--connect", "qemu:///system", "--readonly", "domstats", *args],
                   check=True, stdout=subprocess.DEVNULL)
    lines = open(trace.name, encoding="ascii").read().splitlines()

fd, stream, pending = None, bytearray(), {}
for line in lines:
    connect = re.match(r'\d+ +connect\((\d+), \{sa_family=AF_UNIX, sun_path="([^"]*)"', line)
    if connect and bytes.fromhex(connect.group(2).replace("\\x", "")).endswith(b"sock-ro"):
        fd = connect.group(1)
        continue
    # virsh's threads interleave: a read may be cut in two ("<unfinished ...>", then "<... read resumed>")
    unfinished = re.match(r'(\d+) +read\((\d+), +<unfinished', line)
    if unfinished:
        pending[unfinished.group(1)] = unfinished.group(2)
        continue
    read = re.match(r'\d+ +read\((\d+), "((?:\\x[0-9a-f]{2})*)"', line)
    resumed = re.match(r'(\d+) +<\.\.\. read resumed>"((?:\\x[0-9a-f]{2})*)"', line)
    read_fd, data = (read.group(1), read.group(2)) if read else (pending.pop(resumed.group(1), None), resumed.group(2)) if resumed else (None, "")
    if fd is not None and read_fd == fd:
        stream += bytes.fromhex(data.replace("\\x", ""))

replies = []
while len(stream) >= 28:
    length = struct.unpack(">I", stream[:4])[0]
    message, stream = bytes(stream[:length]), stream[length:]
    prog, vers, proc, kind = struct.unpack(">IIiI", message[4:20])
    if prog == 0x20008086 and proc == 344 and kind == 1:
        replies.append(message)
if len(replies) != 1:
    sys.exit(f"capture: expected one statistics reply, found {len(replies)}")
with open(out_file, "wb") as f:
    f.write(replies[0])
print(f"capture: {out_file}: {len(replies[0])} bytes")
