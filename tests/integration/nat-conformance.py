#!/usr/bin/env python3
"""Measures hako's lab NATs against RFC 4787 (UDP), RFC 5382 (TCP) and RFC 5508 (ICMP) and
writes the table docs/nat-conformance.md is made of.

  nat-conformance.py lab NAME [KEY=VALUE...]       print the lab file (KEYs go to every [Nat])
  nat-conformance.py measure HAKO MAIN_LAB KEYS_LAB OUT.md

MAIN_LAB and KEYS_LAB are up already (nat-conformance.bats makes them with `lab`):
the nine NATs of every Mapping x Filtering pair, with hako's defaults in MAIN_LAB and with
UdpTimeout=3s and Hairpin=yes in KEYS_LAB (short timeouts make refresh measurable in seconds).
Each NAT n<C> has its inside network l<C> with hosts a<C> and b<C>; the outside network inet has
two servers, s1 and s2. Every member runs nat-agent.py; this program sequences the probes.

Exit status: 0 when every MUST holds for every column whose definition requires it, 1 otherwise
(the failures are printed), 2 when a probe could not run at all.
"""
import json
import subprocess
import sys
import threading
import time

EXT = "100.64.0.{}"  # n<C>'s external address
S1, S2 = "100.64.1.1", "100.64.1.2"
INSIDE_A, INSIDE_B = "10.0.{}.10", "10.0.{}.11"
QUIET = 0.5  # how long a probe waits before calling a datagram "not delivered"

# The columns: (heading, the [Nat] keys, mapping, filtering). The classic names are Type=.
COLUMNS = [
    ("full cone", "Type=full-cone", "EIM", "EIF"),
    ("restricted cone", "Type=restricted-cone", "EIM", "ADF"),
    ("port-restricted cone", "Type=port-restricted-cone", "EIM", "APDF"),
    ("symmetric", "Type=symmetric", "APDM", "APDF"),
    ("ADM-EIF", None, "ADM", "EIF"),
    ("ADM-ADF", None, "ADM", "ADF"),
    ("ADM-APDF", None, "ADM", "APDF"),
    ("APDM-EIF", None, "APDM", "EIF"),
    ("APDM-ADF", None, "APDM", "ADF"),
]
WORDS = {"EIM": "endpoint-independent", "ADM": "address-dependent", "APDM": "address-and-port-dependent",
         "EIF": "endpoint-independent", "ADF": "address-dependent", "APDF": "address-and-port-dependent"}


def lab_file(name, keys):
    out = [f"[Lab]\nName={name}\n[Network inet]\nSubnet=100.64.0.0/16\n",
           f"[Node s1]\nNetwork=inet\nAddress={S1}\n[Node s2]\nNetwork=inet\nAddress={S2}\n"]
    for c, (_, typ, m, f) in enumerate(COLUMNS, 1):
        how = typ if typ else f"Mapping={WORDS[m]}\nFiltering={WORDS[f]}"
        out.append(f"[Network l{c}]\nSubnet=10.0.{c}.0/24\n"
                   f"[Nat n{c}]\nInside=l{c}\nOutside=inet\nOutsideAddress={EXT.format(c)}\n{how}\n{keys}"
                   f"[Node a{c}]\nNetwork=l{c}\nAddress={INSIDE_A.format(c)}\n"
                   f"[Node b{c}]\nNetwork=l{c}\nAddress={INSIDE_B.format(c)}\n")
    return "".join(out)


class ProbeError(Exception):
    pass


class Agent:
    def __init__(self, hako, lab, node, script):
        self.where = f"{lab}/{node}"
        self.p = subprocess.Popen([hako, "lab", "exec", lab, node, "python3", script],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()

    def ready(self):
        self._answer("start")

    def _answer(self, what):
        line = self.p.stdout.readline()
        if not line:
            raise ProbeError(f"{self.where}: the agent ended during {what}")
        reply = json.loads(line)
        if "error" in reply:
            raise ProbeError(f"{self.where}: {what}: {reply['error']}")
        return reply["ok"]

    def __getattr__(self, op):
        def call(**kw):
            with self.lock:
                self.p.stdin.write(json.dumps({"op": op, **kw}) + "\n")
                self.p.stdin.flush()
                return self._answer(f"{op} {kw}")
        return call

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


class Lab:
    def __init__(self, hako, name, script):
        self.hako, self.name = hako, name
        names = ["s1", "s2"] + [f"{x}{c}" for c in range(1, len(COLUMNS) + 1) for x in "abn"]
        self.m = {n: Agent(hako, name, n, script) for n in names}
        for a in self.m.values():
            a.ready()
        for s in ("s1", "s2"):
            self.m[s].udp_bind(name="u3478", port=3478)
            self.m[s].tcp_listen(name="t3478", port=3478)
        self.m["s1"].udp_bind(name="u3479", port=3479)
        self.m["s1"].udp_bind(name="u5060", port=5060)
        self.m["s1"].tcp_listen(name="t21", port=21)
        self.m["s1"].tcp_listen(name="t3480", port=3480)
        self.m["s1"].icmp_open(name="icmp")
        self.m["s2"].icmp_open(name="icmp")
        self.serial = 0
        self.tcp_check = {}

    def __getitem__(self, node):
        return self.m[node]

    def token(self):
        self.serial += 1
        return f"<{self.name}-{self.serial}>"

    def port(self):
        self.serial += 1
        return 20000 + self.serial

    def close(self):
        for a in self.m.values():
            a.stop()


# Probes. Each takes the lab and the column number and returns what it saw. ------------------

def udp_mapped(lab, src, sock, server, sport):
    """SRC sends from socket SOCK to SERVER:SPORT; the server says from where it came."""
    t = lab.token()
    host = S1 if server == "s1" else S2
    src.udp_send(name=sock, host=host, port=sport, data=t)
    seen = lab[server].udp_recv(name=f"u{sport}", token=t, timeout=3)
    if not seen:
        raise ProbeError(f"{lab.name}: a datagram to {server}:{sport} did not arrive")
    return (seen[0], seen[1])


def fresh_udp(lab, node, port=None):
    port = port or lab.port()
    name = f"u{port}"
    lab[node].udp_bind(name=name, port=port)
    return name, port


def mapping(lab, c):
    a = lab[f"a{c}"]
    sock, _ = fresh_udp(lab, f"a{c}")
    e1 = udp_mapped(lab, a, sock, "s1", 3478)
    e2 = udp_mapped(lab, a, sock, "s1", 3479)
    e3 = udp_mapped(lab, a, sock, "s2", 3478)
    a.close(name=sock)
    kind = "EIM" if e1 == e2 == e3 else "ADM" if e1 == e2 else "APDM"
    return kind, e1[0] == e3[0]


def delivered(lab, node, sock, sender, ssock, to):
    t = lab.token()
    lab[sender].udp_send(name=ssock, host=to[0], port=to[1], data=t)
    return lab[node].udp_recv(name=sock, token=t, timeout=QUIET)


def filtering(lab, c):
    a = f"a{c}"
    sock, _ = fresh_udp(lab, a)
    e = udp_mapped(lab, lab[a], sock, "s1", 3478)
    other_port = delivered(lab, a, sock, "s1", "u3479", e)
    other_host = delivered(lab, a, sock, "s2", "u3478", e)
    lab[a].close(name=sock)
    return "EIF" if other_host else "ADF" if other_port else "APDF"


def udp_pooling(lab, c):
    return "yes" if mapping(lab, c)[1] else "no"


def udp_mapping(lab, c):
    return mapping(lab, c)[0]


def no_overloading(lab, c):
    port = lab.port()
    ea = udp_mapped(lab, lab[f"a{c}"], fresh_udp(lab, f"a{c}", port)[0], "s1", 3478)
    eb = udp_mapped(lab, lab[f"b{c}"], fresh_udp(lab, f"b{c}", port)[0], "s1", 3478)
    return "yes" if ea != eb else "no"


def port_range(lab, c):
    low = udp_mapped(lab, lab[f"a{c}"], fresh_udp(lab, f"a{c}", 999)[0], "s1", 3478)
    high = udp_mapped(lab, lab[f"a{c}"], fresh_udp(lab, f"a{c}")[0], "s1", 3478)
    return "yes" if low[1] < 1024 and high[1] >= 1024 else "no"


def parity(lab, c):
    """16 ports of both parities, each used by a and then by b (so b's collides)."""
    kept = True
    for _ in range(16):
        port = lab.port()
        ea = udp_mapped(lab, lab[f"a{c}"], fresh_udp(lab, f"a{c}", port)[0], "s1", 3478)
        eb = udp_mapped(lab, lab[f"b{c}"], fresh_udp(lab, f"b{c}", port)[0], "s1", 3478)
        kept = kept and ea[1] % 2 == port % 2 and eb[1] % 2 == port % 2
    return "yes" if kept else "no"


def deterministic(lab, c):
    first = (mapping(lab, c), filtering(lab, c))
    same = all((mapping(lab, c), filtering(lab, c)) == first for _ in range(2))
    return "yes" if same else "no"


def hairpin(lab, c):
    sock, _ = fresh_udp(lab, f"a{c}")
    ea = udp_mapped(lab, lab[f"a{c}"], sock, "s1", 3478)
    bsock, _ = fresh_udp(lab, f"b{c}")
    seen = delivered(lab, f"a{c}", sock, f"b{c}", bsock, ea)
    if not seen:
        return "no"
    return "yes" if seen[0] == EXT.format(c) else "from the inside address"


def no_alg(lab, c):
    ip = INSIDE_A.format(c)
    sock, port = fresh_udp(lab, f"a{c}")
    t = lab.token()
    sip = f"INVITE sip:x@{ip}:{port} SIP/2.0\r\nContact: <sip:x@{ip}:{port}>\r\nc=IN IP4 {ip}\r\n{t}"
    lab[f"a{c}"].udp_send(name=sock, host=S1, port=5060, data=sip)
    seen = lab["s1"].udp_recv(name="u5060", token=t, timeout=3)
    t2 = lab.token()
    ftp = f"PORT {ip.replace('.', ',')},78,32\r\n{t2}"
    lab[f"a{c}"].tcp_connect(name="ftp", port=0, host=S1, hport=21, data=ftp, timeout=3)
    got = lab["s1"].tcp_accept(name="t21", token=t2, timeout=3)
    lab[f"a{c}"].close(name="ftp")
    return "yes" if seen and seen[3] == sip and got and got[2] == ftp else "no"


def icmp_keeps_mapping(lab, c):
    """An ICMP port unreachable for one of the mapping's flows, then the mapping is used again."""
    a = lab[f"a{c}"]
    sock, _ = fresh_udp(lab, f"a{c}")
    e = udp_mapped(lab, a, sock, "s1", 3478)
    a.udp_send(name=sock, host=S1, port=9, data="closed")
    time.sleep(0.2)  # the error is on its way back; nothing to wait for on this side
    back = delivered(lab, f"a{c}", sock, "s1", "u3478", e)
    again = udp_mapped(lab, a, sock, "s1", 3478)
    return "yes" if back and again == e else "no"


def icmp_error_in(lab, c):
    a = lab[f"a{c}"]
    a.udp_connect(name="refused", port=lab.port(), host=S1, hport=9)
    r = a.udp_refused(name="refused", data="x", timeout=2)
    a.close(name="refused")
    return "yes" if r == "refused" else "no"


def icmp_error_out(lab, c):
    """s1 writes to a mapping whose inside socket is gone; a's port unreachable must reach s1."""
    s1 = lab["s1"]
    sport = 3500 + c
    s1.udp_bind(name=f"u{sport}", port=sport)
    sock, _ = fresh_udp(lab, f"a{c}")
    e = udp_mapped(lab, lab[f"a{c}"], sock, "s1", sport)
    lab[f"a{c}"].close(name=sock)
    s1.close(name=f"u{sport}")
    s1.udp_connect(name="out", port=sport, host=e[0], hport=e[1])
    r = s1.udp_refused(name="out", data="x", timeout=2)
    s1.close(name="out")
    return "yes" if r == "refused" else "no"


def path_mtu(lab, c):
    n = lab[f"n{c}"]
    n.run(argv=["ip", "link", "set", "dev", "inet", "mtu", "1280"])
    a = lab[f"a{c}"]
    a.udp_connect(name="df", port=lab.port(), host=S1, hport=3478)
    mtu = a.udp_df(name="df", size=1400, timeout=3)
    a.close(name="df")
    n.run(argv=["ip", "link", "set", "dev", "inet", "mtu", "1500"])
    return "yes" if mtu == 1280 else "no"


def fragments(lab, c):
    a = lab[f"a{c}"]
    sock, _ = fresh_udp(lab, f"a{c}")
    e = udp_mapped(lab, a, sock, "s1", 3478)
    ok = True
    for reverse in (False, True):
        t = lab.token()
        lab["s1"].udp_frags(host=e[0], port=e[1], sport=3478, token=t, size=2000, reverse=reverse)
        seen = a.udp_recv(name=sock, token=t, timeout=2)
        ok = ok and bool(seen) and seen[2] == 2000
    a.close(name=sock)
    return "yes" if ok else "no"


def nat_check_tcp(lab, c):
    """`hako lab nat-check --proto=tcp` from a<C>: (mapping, filtering, hairpinning), run once."""
    if c not in lab.tcp_check:
        lab.tcp_check[c] = run_nat_check_tcp(lab, c)
    return lab.tcp_check[c]


def run_nat_check_tcp(lab, c):
    r = subprocess.run([lab.hako, "lab", "nat-check", lab.name, f"a{c}", "--proto=tcp", "--lifetime-max=0"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise ProbeError(f"nat-check {lab.name} a{c}: {r.stdout}{r.stderr}")
    fields = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    short = {v: k for k, v in WORDS.items() if k.endswith("M")}
    shortf = {v: k for k, v in WORDS.items() if k.endswith("F")}
    return (short[fields["mapping"].split("(")[0].strip()], shortf[fields["filtering"].strip()],
            fields["hairpinning"].strip())


def tcp_mapping(lab, c):
    return nat_check_tcp(lab, c)[0]


def tcp_filtering(lab, c):
    return nat_check_tcp(lab, c)[1]


def tcp_hairpin(lab, c):
    return nat_check_tcp(lab, c)[2]


def tcp_peer(lab, node, port, server):
    t = lab.token()
    r = lab[node].tcp_connect(name="conn", port=port, host=S1 if server == "s1" else S2, hport=3478,
                              data=t, timeout=3)
    seen = lab[server].tcp_accept(name="t3478", token=t, timeout=3)
    if r == "ok":
        lab[node].close(name="conn")
    if not seen:
        raise ProbeError(f"{lab.name}: a connection from {node} to {server} failed: {r}")
    return (seen[0], seen[1])


def tcp_no_overloading(lab, c):
    port = lab.port()
    return "yes" if tcp_peer(lab, f"a{c}", port, "s1") != tcp_peer(lab, f"b{c}", port, "s1") else "no"


SIMOPEN_PORTS = "41000-41099"


def simultaneous_open(lab, c):
    """a's SYN passes the NAT and is dropped at s1 (a rule in s1 drops bare SYNs to 41000-41099),
    then s1 connects to the mapping its sniffer saw: the NAT sees SYNs from both sides."""
    a, s1 = lab[f"a{c}"], lab["s1"]
    dport = 41000 + c
    s1.syn_sniff(name="sniff", port=dport)
    a.tcp_start(name="so", port=lab.port(), host=S1, hport=dport)
    e = s1.syn_seen(name="sniff", port=dport, timeout=3)
    s1.close(name="sniff")
    if not e:
        return "no"
    s1.tcp_start(name="so", port=dport, host=e[0], hport=e[1])
    t1, t2 = lab.token(), lab.token()
    ra = a.tcp_finish(name="so", data=t1, timeout=5)
    rs = s1.tcp_finish(name="so", data=t2, timeout=5)
    ok = ra == rs == "ok" and s1.tcp_recv(name="so", token=t1, timeout=2) and a.tcp_recv(name="so", token=t2, timeout=2)
    a.close(name="so")
    s1.close(name="so")
    return "yes" if ok else "no"


def conntrack_timeouts(lab, c, port):
    r = subprocess.run([lab.hako, "lab", "conntrack", lab.name, f"n{c}"], capture_output=True, text=True,
                       timeout=30)
    found = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0] == "tcp" and f"sport={port} " in line + " ":
            found[f[3]] = int(f[2])
    return found


def tcp_timeouts(lab, c):
    """The established and the transitory idle timeouts of connections through n<C>."""
    a = lab[f"a{c}"]
    est = lab.port()
    t = lab.token()
    a.tcp_connect(name="est", port=est, host=S1, hport=3480, data=t, timeout=3)
    lab["s1"].tcp_accept(name="t3480", token=t, timeout=3)  # closes its end: a's is half-closed
    syn = lab.port()
    a.tcp_start(name="syn", port=syn, host=S1, hport=41050 + c)  # dropped at s1: stays SYN_SENT
    time.sleep(0.3)  # s1's FIN and a's SYN cross the NAT
    states = conntrack_timeouts(lab, c, est) | conntrack_timeouts(lab, c, syn)
    a.close(name="est")
    a.close(name="syn")
    return states


def yes_if(holds, detail):
    """ "yes" or "no"; what a "no" is made of goes to stderr, the table keeps one word."""
    if not holds:
        print(f"nat-conformance: {detail}", file=sys.stderr)
    return "yes" if holds else "no"


def tcp_established_timeout(lab, c):
    # a sent data and s1 closed: the entry is past ESTABLISHED; measure a fresh idle one.
    a = lab[f"a{c}"]
    port = lab.port()
    a.tcp_start(name="idle", port=port, host=S1, hport=3478)
    a.tcp_finish(name="idle", data="", timeout=3)
    states = conntrack_timeouts(lab, c, port)
    a.close(name="idle")
    return yes_if(states.get("ESTABLISHED", 0) + 1 >= 7440, f"n{c}'s conntrack timeouts: {states}")


def tcp_transitory_timeout(lab, c):
    states = tcp_timeouts(lab, c)
    transitory = [v for k, v in states.items() if k != "ESTABLISHED"]
    # What is left of the timeout, read within a second of the last packet.
    return yes_if(transitory and min(transitory) + 1 >= 240, f"n{c}'s conntrack timeouts: {states}")


def unsolicited_syn(lab, c):
    """s2 connects to a port of n<C> that nothing maps: no answer for 6 s (RFC 5382 REQ-4)."""
    return lab.unsolicited[c]


def start_unsolicited(lab):
    for c in range(1, len(COLUMNS) + 1):
        lab["s2"].tcp_start(name=f"syn{c}", port=0, host=EXT.format(c), hport=33333)


def finish_unsolicited(lab):
    lab.unsolicited = {}
    for c in range(1, len(COLUMNS) + 1):
        r = lab["s2"].tcp_finish(name=f"syn{c}", data="", timeout=0.01)
        lab["s2"].close(name=f"syn{c}")
        lab.unsolicited[c] = "yes" if r == "timeout" else "no"


def icmp_query(lab, c):
    a = lab[f"a{c}"]
    a.icmp_open(name="ping")
    t = lab.token()
    a.icmp_send(name="ping", host=S1, kind=8, ident=0x4200 + c, token=t)
    back = a.icmp_recv(name="ping", kind=0, token=t, timeout=2)
    a.close(name="ping")
    return "yes" if back else "no"


def icmp_id_independent(lab, c):
    a = lab[f"a{c}"]
    a.icmp_open(name="ping")
    ids = []
    for server, host in (("s1", S1), ("s2", S2)):
        t = lab.token()
        a.icmp_send(name="ping", host=host, kind=8, ident=0x4300 + c, token=t)
        seen = lab[server].icmp_recv(name="icmp", kind=8, token=t, timeout=2)
        ids.append(seen and seen[1])
    a.close(name="ping")
    return "yes" if ids[0] is not None and ids[0] == ids[1] else "no"


# Measurements that wait: set up at the start, checked after the time the RFC names. ----------

class Idle:
    """A UDP mapping left idle; check() says whether it still works both ways."""

    def __init__(self, lab, c):
        self.lab, self.c = lab, c
        self.sock, _ = fresh_udp(lab, f"a{c}")
        self.e = udp_mapped(lab, lab[f"a{c}"], self.sock, "s1", 3478)
        self.since = time.monotonic()

    def check(self):
        lab = self.lab
        back = delivered(lab, f"a{self.c}", self.sock, "s1", "u3478", self.e)
        again = udp_mapped(lab, lab[f"a{self.c}"], self.sock, "s1", 3478)
        return "yes" if back and again == self.e else "no"


class IdlePing:
    """An ICMP query left idle; check() has s1 answer it late."""

    def __init__(self, lab, c):
        self.lab, self.c = lab, c
        a = lab[f"a{c}"]
        a.icmp_open(name="late")
        t = lab.token()
        a.icmp_send(name="late", host=S1, kind=8, ident=0x4400 + c, token=t)
        self.seen = lab["s1"].icmp_recv(name="icmp", kind=8, token=t, timeout=2)
        self.since = time.monotonic()

    def check(self):
        if not self.seen:
            return "no"
        t = self.lab.token()
        self.lab["s1"].icmp_send(name="icmp", host=EXT.format(self.c), kind=0, ident=self.seen[1], token=t)
        back = self.lab[f"a{self.c}"].icmp_recv(name="late", kind=0, token=t, timeout=2)
        return "yes" if back else "no"


def refresh(lab, outbound):
    """UdpTimeout=3s: for 7 s only one direction sends, then the mapping is used again, to the
    server and (for endpoint-independent mappings) to a new destination."""
    n = len(COLUMNS)
    idle = {c: Idle(lab, c) for c in range(1, n + 1)}
    for _ in range(7):
        time.sleep(1)
        for c, m in idle.items():
            if outbound:
                lab[f"a{c}"].udp_send(name=m.sock, host=S1, port=3478, data="keep")
            else:
                lab["s1"].udp_send(name="u3478", host=m.e[0], port=m.e[1], data="keep")
    result = {}
    for c, m in idle.items():
        _, _, mapping_kind, filtering_kind = COLUMNS[c - 1]
        # A new peer first: a's own packets to it would open ADF and APDF filters.
        new_peer = filtering_kind != "EIF" or delivered(lab, f"a{c}", m.sock, "s2", "u3478", m.e)
        kept = m.check() == "yes"
        again = udp_mapped(lab, lab[f"a{c}"], m.sock, "s2", 3478)
        same = mapping_kind != "EIM" or again == m.e
        result[c] = "yes" if new_peer and kept and same else "no"
    return result


# The table. -------------------------------------------------------------------------------
# (RFC, requirement, level, what is measured, probe, lab, the columns that must pass, note)

ALL = lambda col: True  # noqa: E731
EIM_ONLY = lambda col: col[2] == "EIM"  # noqa: E731

ROWS = [
    ("4787", "REQ-1", "MUST", "endpoint-independent mapping", udp_mapping, "main", EIM_ONLY,
     "the measured mapping; only the EIM columns can meet it (the others are defined by breaking it)"),
    ("4787", "REQ-2", "RECOMMENDED", "IP address pooling \"paired\"", udp_pooling, "main", None,
     "one external address per NAT (OutsideAddress=)"),
    ("4787", "REQ-3", "MUST", "no port overloading (two inside hosts, one source port)", no_overloading, "main", ALL, ""),
    ("4787", "REQ-3a/b", "RECOMMENDED", "source ports below 1024 map below 1024, others above", port_range, "main", None, ""),
    ("4787", "REQ-4", "RECOMMENDED", "port parity preserved (16 colliding ports)", parity, "main", None,
     "the kernel's NAT keeps a port when it is free and picks another without regard to parity"),
    ("4787", "REQ-5", "MUST", "an idle mapping lasts 2 minutes (checked after 119 s)", "idle119", "main", ALL, ""),
    ("4787", "REQ-5c", "RECOMMENDED", "an idle mapping lasts 5 minutes (checked after 299 s)", "idle299", "main", None,
     "UdpTimeout= (default 300 s) sets it"),
    ("4787", "REQ-6", "MUST", "outbound refresh (outbound packets only, 7 s at UdpTimeout=3s)", "refresh_out", "keys", ALL,
     "then the first peer still reaches the inside host, a new peer does through endpoint-independent "
     "filtering, and a new destination gets the same external port through endpoint-independent mapping"),
    ("4787", "REQ-6a", "MAY", "inbound refresh (inbound packets only, 7 s at UdpTimeout=3s)", "refresh_in", "keys", None,
     "measured as REQ-6. Conntrack keeps a flow alive on packets both ways, so only the "
     "endpoint-independent filtering (a new peer) shows that inbound packets do not refresh a mapping by "
     "default; InboundRefresh=yes makes them refresh it"),
    ("4787", "REQ-7", "MUST", "inside and outside address spaces never conflict", "no_conflict", "main", None,
     "`lab up` refuses a file whose networks overlap"),
    ("4787", "REQ-8", "RECOMMENDED", "filtering (EIF or APDF recommended)", filtering, "main", None, "the measured filtering"),
    ("4787", "REQ-9", "MUST", "hairpinning, from the external address (default)", hairpin, "main", None,
     "off by default (many home routers do not hairpin, and a lab models them); Hairpin=yes turns it on"),
    ("4787", "REQ-9", "MUST", "hairpinning, from the external address (Hairpin=yes)", hairpin, "keys", ALL, ""),
    ("4787", "REQ-10", "RECOMMENDED", "no ALG rewrites SIP or FTP payloads", no_alg, "main", ALL, ""),
    ("4787", "REQ-11", "MUST", "deterministic: three measurements agree", deterministic, "main", ALL, ""),
    ("4787", "REQ-12", "MUST", "an ICMP error does not end the mapping", icmp_keeps_mapping, "main", ALL, ""),
    ("4787", "REQ-12b", "RECOMMENDED", "ICMP destination unreachable reaches the inside host", icmp_error_in, "main", ALL, ""),
    ("4787", "REQ-13", "MUST", "DF set and too big: \"fragmentation needed\" back to the inside", path_mtu, "main", ALL, ""),
    ("4787", "REQ-14", "MUST", "fragments in and out of order reach the inside host", fragments, "main", ALL, ""),
    ("5382", "REQ-1", "MUST", "endpoint-independent mapping (TCP)", tcp_mapping, "main", EIM_ONLY, "as measured by `hako lab nat-check --proto=tcp`"),
    ("5382", "REQ-2", "MUST", "simultaneous open through the NAT", simultaneous_open, "main", ALL, ""),
    ("5382", "REQ-3", "RECOMMENDED", "filtering (TCP; EIF or ADF recommended)", tcp_filtering, "main", None, "the measured filtering"),
    ("5382", "REQ-4", "MUST", "no answer to an unsolicited SYN for 6 s", unsolicited_syn, "main", ALL, ""),
    ("5382", "REQ-5", "MUST", "established idle timeout at least 2 h 4 min", tcp_established_timeout, "main", ALL,
     "read from the NAT's conntrack entry"),
    ("5382", "REQ-5", "MUST", "transitory idle timeout at least 4 min", tcp_transitory_timeout, "main", ALL,
     "read from the NAT's conntrack entries (SYN sent, half closed)"),
    ("5382", "REQ-6", "RECOMMENDED", "no ALG (FTP's PORT passes unchanged)", no_alg, "main", ALL, "measured with REQ-10 above"),
    ("5382", "REQ-7", "MUST", "no port overloading (TCP)", tcp_no_overloading, "main", ALL, ""),
    ("5382", "REQ-8", "MUST", "hairpinning (TCP, Hairpin=yes)", tcp_hairpin, "keys", ALL, "off by default, as for UDP"),
    ("5508", "REQ-1", "MUST", "ICMP echo from inside is answered", icmp_query, "main", ALL, ""),
    ("5508", "REQ-1a", "SHOULD", "ICMP query identifier mapping independent of the host", icmp_id_independent, "main", None, ""),
    ("5508", "REQ-2", "MUST", "an ICMP query session lasts 60 s (answered after 59 s)", "ping59", "main", ALL, ""),
    ("5508", "REQ-4", "MUST", "ICMP errors from outside are translated to the inside host", icmp_error_in, "main", ALL, ""),
    ("5508", "REQ-5", "MUST", "ICMP errors from inside are translated to the outside host", icmp_error_out, "main", ALL, ""),
]


def drop_bare_syns(server):
    """SYNs to SIMOPEN_PORTS die at the server without an answer (see simultaneous_open)."""
    rules = ("add table inet probe; add chain inet probe syns { type filter hook input priority 0; }; "
             f"add rule inet probe syns tcp dport {SIMOPEN_PORTS} tcp flags & (syn | ack) == syn drop")
    rc, text = server.run(argv=["nft", rules])
    if rc != 0:
        raise ProbeError(f"nft in s1: {text}")


def no_conflict(hako, path):
    with open(path, "w") as f:
        f.write("[Network inet]\nSubnet=10.0.0.0/16\n[Network lan]\nSubnet=10.0.1.0/24\n"
                "[Nat n]\nInside=lan\nOutside=inet\n")
    r = subprocess.run([hako, "lab", "up", path], capture_output=True, text=True, timeout=60)
    return "yes" if r.returncode != 0 and "overlaps" in r.stderr else "no"


def measure(hako, labs, out):
    """Every row's results. The mappings that idle are made first and checked last; nothing else
    runs while they are checked, so a check is on time (what is late only proves more). The ICMP
    query is made after the other probes, which may take longer than its 59 s."""
    main, keys = labs["main"], labs["keys"]
    cols = range(1, len(COLUMNS) + 1)
    waits = [("idle119", 119, {c: Idle(main, c) for c in cols}),
             ("idle299", 299, {c: Idle(main, c) for c in cols})]
    results = {}
    start_unsolicited(main)
    started = time.monotonic()
    results["refresh_out"] = refresh(keys, True)
    results["refresh_in"] = refresh(keys, False)
    conflict = no_conflict(hako, out + ".overlap.lab")
    results["no_conflict"] = {c: conflict for c in cols}
    time.sleep(max(0, 6.5 - (time.monotonic() - started)))
    finish_unsolicited(main)
    measured = {}  # a probe two rows share (REQ-10 and 5382's REQ-6, say) runs once
    for i, row in enumerate(ROWS):
        probe, lab = row[4], labs[row[5]]
        if callable(probe):
            if (probe, row[5]) not in measured:
                measured[probe, row[5]] = {c: probe(lab, c) for c in cols}
            results[i] = measured[probe, row[5]]
    waits.append(("ping59", 59, {c: IdlePing(main, c) for c in cols}))
    checks = sorted((p.since + seconds, key, c, p) for key, seconds, probes in waits for c, p in probes.items())
    for due, key, c, p in checks:
        time.sleep(max(0, due - time.monotonic()))
        results.setdefault(key, {})[c] = p.check()
    return {i: results[row[4]] if not callable(row[4]) else results[i] for i, row in enumerate(ROWS)}


def render(results):
    rfcs = {"4787": "RFC 4787 (UDP)", "5382": "RFC 5382 (TCP)", "5508": "RFC 5508 (ICMP)"}
    lines = ["<!-- Generated by tests/integration/nat-conformance.bats from what it measures: do not edit. -->",
             "# How hako's lab NATs conform to RFC 4787, RFC 5382 and RFC 5508", "",
             "Every cell is measured by `tests/integration/nat-conformance.bats`, which fails when it",
             "differs from this file, or when a MUST fails for a NAT whose definition does not break it.",
             "Each column is a lab NAT with hako's defaults (the four classic types through `Type=`,",
             "the other pairs through `Mapping=` and `Filtering=`), except the rows that say",
             "`UdpTimeout=3s` or `Hairpin=yes`: those come from a second lab with only those keys added.",
             "Probes run in the lab's members: an inside host a (and b), servers s1 and s2 outside.",
             "", "Columns: " + "; ".join(f"**{h}** = {m} + {f}" for h, _, m, f in COLUMNS) + ".", ""]
    head = "| requirement | level | what is measured | " + " | ".join(h for h, *_ in COLUMNS) + " |"
    rule = "|---|---|---|" + "---|" * len(COLUMNS)
    notes = []
    for rfc, title in rfcs.items():
        lines += [f"## {title}", "", head, rule]
        for i, row in enumerate(ROWS):
            if row[0] != rfc:
                continue
            cells = " | ".join(results[i][c] for c in range(1, len(COLUMNS) + 1))
            mark = ""
            if row[7]:
                notes.append(row[7])
                mark = f" [{len(notes)}]"
            lines.append(f"| {row[1]} | {row[2]} | {row[3]}{mark} | {cells} |")
        lines.append("")
    lines += ["## Notes", ""] + [f"{k}. {v}" for k, v in enumerate(notes, 1)] + [""]
    return "\n".join(lines)


def failures(results):
    bad = []
    for i, row in enumerate(ROWS):
        must = row[6]
        if row[2] != "MUST" or must is None:
            continue
        for c, col in enumerate(COLUMNS, 1):
            want = "EIM" if row[4] in (udp_mapping, tcp_mapping) else "yes"
            if must(col) and results[i][c] != want:
                bad.append(f"RFC {row[0]} {row[1]} ({row[3]}): {col[0]}: {results[i][c]}")
    return bad


def main(argv):
    if len(argv) >= 3 and argv[1] == "lab":
        print(lab_file(argv[2], "".join(k + "\n" for k in argv[3:])), end="")
        return 0
    if len(argv) != 6 or argv[1] != "measure":
        print(__doc__, file=sys.stderr)
        return 2
    hako, main_lab, keys_lab, out = argv[2:6]
    script = __file__.replace("nat-conformance.py", "nat-agent.py")
    labs = {}
    try:
        labs = {"main": Lab(hako, main_lab, script), "keys": Lab(hako, keys_lab, script)}
        for lab in labs.values():
            drop_bare_syns(lab["s1"])
        results = measure(hako, labs, out)
    except ProbeError as e:
        print(f"nat-conformance: {e}", file=sys.stderr)
        return 2
    finally:
        for lab in labs.values():
            lab.close()
    with open(out, "w") as f:
        f.write(render(results))
    bad = failures(results)
    for b in bad:
        print(f"nat-conformance: MUST fails: {b}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
