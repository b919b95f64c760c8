#!/usr/bin/env python3
"""UDP probes for the lab tests, run inside lab nodes with `hako lab exec`.

  recv PORT SECONDS [HOST HPORT]  (first send "hello" from PORT to HOST:HPORT, making a NAT binding)
                                print "ready", then "ADDR:PORT MESSAGE" per datagram until SECONDS pass
  send HOST PORT SPORT MESSAGE  send one datagram from source port SPORT
  echo PORT SECONDS             answer each datagram with the sender's "ADDR:PORT" (a reflector)
  ask HOST PORT SPORT SECONDS   send from SPORT, print the first answer (or "timeout", exit 1)
  ping HOST PORT SPORT SECONDS INTERVAL  send from SPORT every INTERVAL for SECONDS, then print
                                how many answers came
"""
import socket
import sys
import time


def bound(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    return s


def serve(port, seconds, answer, first=None):
    s = bound(port)
    if first:
        s.sendto(b"hello", (first[0], int(first[1])))
    print("ready", flush=True)
    end = time.monotonic() + float(seconds)
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data, (addr, sport) = s.recvfrom(2048)
        except socket.timeout:
            break
        print(f"{addr}:{sport} {data.decode(errors='replace')}", flush=True)
        if answer:
            s.sendto(f"{addr}:{sport}".encode(), (addr, sport))


def ping(host, port, sport, seconds, interval):
    s = bound(sport)
    answers = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.sendto(b"ping", (host, port))
        s.settimeout(interval)
        try:
            s.recv(2048)
            answers += 1
            time.sleep(max(0, interval - 0.01))
        except socket.timeout:
            pass
    return answers


def main(argv):
    cmd = argv[1]
    if cmd == "recv":
        serve(argv[2], argv[3], False, argv[4:6] if len(argv) > 5 else None)
    elif cmd == "echo":
        serve(argv[2], argv[3], True)
    elif cmd == "send":
        bound(argv[4]).sendto(argv[5].encode(), (argv[2], int(argv[3])))
    elif cmd == "ask":
        s = bound(argv[4])
        s.settimeout(float(argv[5]))
        s.sendto(b"ask", (argv[2], int(argv[3])))
        try:
            print(s.recv(2048).decode())
        except socket.timeout:
            print("timeout")
            return 1
    elif cmd == "ping":
        print(ping(argv[2], int(argv[3]), argv[4], float(argv[5]), float(argv[6])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
