#!/usr/bin/env python3
"""udp-sink.py LOG ADDR:PORT...: binds a UDP socket to each ADDR:PORT, writes LOG.ready once all
are bound, then appends "ADDR:PORT DATA" to LOG for every datagram, flushed at once. Runs until
killed. For tests that must see what reached an address (or prove that nothing did)."""
import select
import socket
import sys

log, binds = sys.argv[1], sys.argv[2:]
socks = {}
for spec in binds:
    addr, port = spec.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    socks[s] = spec
open(log + ".ready", "w").close()
with open(log, "a") as out:
    while True:
        for s in select.select(list(socks), [], [])[0]:
            data = s.recv(2048).rstrip(b"\0")
            out.write(f"{socks[s]} {data.decode(errors='replace')}\n")
            out.flush()
