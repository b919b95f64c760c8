#!/usr/bin/env python3
"""A probe agent for the NAT conformance test, run in one lab member with `hako lab exec`.

It reads one JSON request per line on stdin and answers each with one JSON line on stdout:
{"op": NAME, ...arguments} -> {"ok": RESULT} or {"error": TEXT}. The driver
(nat-conformance.py) holds one agent per member and sequences the probes across them, so every
measurement is a plain conversation: this side sends, that side says what it saw.

Sockets are kept by name between requests. Every wait is bounded by the request's timeout.
"""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

socks = {}
IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_MTU = 10, 2, 14  # <linux/in.h>; not all Pythons name them


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def udp_socket(port, reuse=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    return s


def op_udp_bind(name, port):
    socks[name] = udp_socket(port)
    return True


def op_udp_send(name, host, port, data):
    socks[name].sendto(data.encode(), (host, port))
    return True


def op_udp_recv(name, token, timeout):
    """The first datagram on socket NAME that contains TOKEN: [addr, port, length], or None."""
    s = socks[name]
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data, (addr, port) = s.recvfrom(65536)
        except socket.timeout:
            break
        if token.encode() in data:
            return [addr, port, len(data), data.decode(errors="replace")]
    return None


def op_udp_connect(name, port, host, hport):
    s = udp_socket(port)
    s.connect((host, hport))
    socks[name] = s
    return True


def op_udp_refused(name, data, timeout):
    """Send on connected socket NAME and wait: "refused" when an ICMP error came back."""
    s = socks[name]
    s.send(data.encode())
    s.settimeout(timeout)
    try:
        s.recv(65536)
        return "answer"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"


def op_udp_df(name, size, timeout):
    """Send SIZE bytes with DF on connected socket NAME; the path MTU it learns, or None."""
    s = socks[name]
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            s.send(b"d" * size)
        except OSError as e:
            if e.errno == 90:  # EMSGSIZE: the ICMP "fragmentation needed" came back
                return s.getsockopt(socket.IPPROTO_IP, IP_MTU)
        time.sleep(0.05)
    return None


def op_close(name):
    socks.pop(name).close()
    return True


def op_udp_frags(host, port, sport, token, size, reverse):
    """One UDP datagram of SIZE bytes (TOKEN first) in two IP fragments, the last one first if
    REVERSE. The UDP checksum is 0 (none), which IPv4 allows and NATs keep."""
    payload = token.encode() + b"f" * (size - len(token))
    udp = struct.pack("!HHHH", sport, port, 8 + size, 0) + payload
    ident = os.getpid() & 0xFFFF
    cut = 1480
    parts = [(0, udp[:cut], 0x2000), (cut // 8, udp[cut:], 0)]
    if reverse:
        parts.reverse()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for offset, data, more in parts:
        # Version/IHL, TOS, total length and checksum (the kernel fills both in), id, flags and
        # offset, TTL, UDP, source (0: the kernel's), destination.
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, more | offset, 64,
                          socket.IPPROTO_UDP, 0, b"\0" * 4, socket.inet_aton(host))
        raw.sendto(hdr + data, (host, 0))
        time.sleep(0.02)
    raw.close()
    return True


def icmp_packet(kind, ident, seq, token):
    body = struct.pack("!HH", ident, seq) + token.encode()
    head = struct.pack("!BBH", kind, 0, 0)
    return struct.pack("!BBH", kind, 0, checksum(head + body)) + body


def op_icmp_open(name):
    socks[name] = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    return True


def op_icmp_send(name, host, kind, ident, token):
    socks[name].sendto(icmp_packet(kind, ident, 1, token), (host, 0))
    return True


def op_icmp_recv(name, kind, token, timeout):
    """The first ICMP message of type KIND carrying TOKEN: [source, identifier], or None."""
    s = socks[name]
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            pkt, (addr, _) = s.recvfrom(65536)
        except socket.timeout:
            break
        icmp = pkt[(pkt[0] & 0x0F) * 4:]
        if icmp[0] == kind and token.encode() in icmp[8:]:
            return [addr, struct.unpack("!H", icmp[4:6])[0]]
    return None


def op_tcp_listen(name, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    socks[name] = s
    return True


def op_tcp_accept(name, token, timeout):
    """Accept on listener NAME until a connection sends TOKEN: [peer addr, port, what it sent]."""
    s = socks[name]
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            c, (addr, port) = s.accept()
        except socket.timeout:
            break
        c.settimeout(max(0.1, end - time.monotonic()))
        try:
            data = c.recv(4096)
        except (socket.timeout, OSError):
            data = b""
        c.close()
        if token.encode() in data:
            return [addr, port, data.decode(errors="replace")]
    return None


def op_tcp_connect(name, port, host, hport, data, timeout):
    """Connect from PORT (0: any) and send DATA: "ok", "refused" or "timeout"."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    try:
        s.connect((host, hport))
        s.sendall(data.encode())
    except ConnectionRefusedError:
        s.close()
        return "refused"
    except (socket.timeout, OSError):
        s.close()
        return "timeout"
    socks[name] = s
    return "ok"


def op_tcp_start(name, port, host, hport):
    """Start a connection from PORT and return at once: its SYN is on the way."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    try:
        s.connect((host, hport))
    except BlockingIOError:
        pass
    socks[name] = s
    return True


def op_tcp_finish(name, data, timeout):
    """Wait for the connection NAME started to complete, then send DATA: "ok", "refused" or
    "timeout"."""
    s = socks[name]
    _, w, _ = select.select([], [s], [], timeout)
    if not w:
        return "timeout"
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        return "refused" if err == 111 else os.strerror(err)
    s.setblocking(True)
    s.sendall(data.encode())
    return "ok"


def op_tcp_recv(name, token, timeout):
    s = socks[name]
    s.settimeout(timeout)
    got = b""
    try:
        while token.encode() not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, OSError):
        pass
    return token.encode() in got


def op_syn_sniff(name, port):
    """Start watching (before netfilter) for TCP SYNs to PORT; op_syn_seen reports them."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    socks[name] = s
    return True


def op_syn_seen(name, port, timeout):
    """The source [addr, port] of the first SYN to PORT seen by sniffer NAME, or None."""
    s = socks[name]
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            frame = s.recv(65536)
        except socket.timeout:
            break
        ip = frame[14:]
        if ip[9] != socket.IPPROTO_TCP:
            continue
        tcp = ip[(ip[0] & 0x0F) * 4:]
        sport, dport = struct.unpack("!HH", tcp[:4])
        flags = tcp[13]
        if dport == port and flags & 0x02 and not flags & 0x10:
            return [socket.inet_ntoa(ip[12:16]), sport]
    return None


def op_run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return [p.returncode, p.stdout + p.stderr]


def main():
    ops = {k[3:]: v for k, v in globals().items() if k.startswith("op_")}
    print(json.dumps({"ok": "ready"}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        op = ops[req.pop("op")]
        try:
            answer = {"ok": op(**req)}
        except Exception as e:  # the driver reports it with the request that failed
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
