#!/usr/bin/env python3
"""udp-ask.py HOST PORT MSG...: sends each MSG over UDP from a socket (a client port) of its
own, all before reading any answer, then prints each socket's answer on a line, in order.
Exits 1 if any answer is missing after 2 s. For network.bats's UDP port forwards."""
import socket
import sys

host, port, msgs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
socks = []
for msg in msgs:
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(msg.encode(), (host, port))
    socks.append(s)
try:
    for s in socks:
        print(s.recv(2048).decode())
except OSError:
    sys.exit(1)
