#!/bin/bash
# The two-host run's guest script (tests/vm/run.sh --hosts): runs in each of two stock Debian 12
# guests, h1 and h2 (the payload's file "role"), each its own kernel, joined by one virtual wire
# (192.0.2.1 and 192.0.2.2). h2 starts a real sshd and waits; h1 drives both, as a user of two
# machines would: hako there through ssh, `--all` for labs. h1's TAP is the result.
#   seed 003's four NAT types split: the nodes and servers on h1, every NAT on h2, so each
#   node's traffic crosses the wire to its NAT and back; nat-check on h1 names each type.
#   a dual-stack managed network on both with DHCP/DNS on h1: containers on either host reach
#   each other by name (A and AAAA), and a name goes with its container.
set -u
cd "$(dirname "$0")" || exit 1
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

# Run on either host (h1 over ssh on h2, where the payload is mounted at the same place):
#   start NAME        a container on network lan in the background, once its command started
#                     (after its name went to h1's dnsmasq); its hako's pid in /tmp/NAME.pid
#   stop NAME         ends it as its user would (SIGTERM to hako) and waits for hako to exit
#   ask NAME TARGET   from a new container NAME: "IPV4 IPV6 reached" of TARGET by name, each
#                     "none" or "unreached" where it fails
case "${1:-}" in
start)
	tests/fixtures/mkroot.sh "/tmp/root-$2" >/dev/null && touch "/tmp/root-$2/etc/resolv.conf" || exit 1
	setsid -f sh -c 'echo $$ >"/tmp/$1.pid"
		exec hako run -q -D "/tmp/root-$1" -M "$1" --network=lan /bin/sh -c "touch /started; exec sleep 600"' \
		sh "$2" </dev/null >"/tmp/$2.log" 2>&1
	wait_for 60 test -e "/tmp/root-$2/started" || { cat "/tmp/$2.log"; exit 1; }
	exit 0 ;;
stop)
	kill -TERM "$(cat "/tmp/$2.pid")" || exit 1
	wait_for 60 sh -c "! kill -0 $(cat "/tmp/$2.pid")"
	exit ;;
ask)
	[ -d /tmp/root ] || { tests/fixtures/mkroot.sh /tmp/root >/dev/null && touch /tmp/root/etc/resolv.conf; }
	exec hako run -q -D /tmp/root -M "$2" --network=lan /bin/sh -c '
		for t in A AAAA; do
			a=$(nslookup -type=$t "$1" 2>/dev/null | awk "/^Name:/ { n = 1 } n && /^Address/ { print \$NF }")
			printf "%s " "${a:-none}"
		done
		ping -c1 -W5 "$1" >/dev/null 2>&1 && r=reached
		echo "${r:-unreached}"' sh "$3" ;;
esac

role=$(cat role)
n=${role#h}
ln -sf "$PWD/build/hako" /usr/local/bin/hako

# The wire: the NIC whose MAC tests/vm/run.sh gave this guest.
link=$(ip -o link | awk -v mac="52:54:00:00:02:0$n" 'index($0, mac) { sub(":", "", $2); print $2 }')
ip addr add "192.0.2.$n/24" dev "$link"
ip link set "$link" up
echo "# $role: $link is 192.0.2.$n"

if [ "$role" = h2 ]; then
	# The image's own host key (made as openssh-server was installed) serves.
	install -m 700 -d /root/.ssh
	install -m 600 ssh/id.pub /root/.ssh/authorized_keys
	/usr/sbin/sshd -o HostKey=/etc/ssh/ssh_host_ed25519_key -o ListenAddress=192.0.2.2 \
		-o PasswordAuthentication=no || echo "# h2: sshd failed to start"
	echo "# h2: sshd listening; waiting for h1 to finish"
	for _ in $(seq 1800); do
		[ -e /run/hako-hosts-done ] && exit 0
		sleep 1
	done
	echo "# h2: h1 never said it was done"
	exit 1
fi

install -m 700 -d /root/.ssh
cat >/root/.ssh/config <<EOF
Host h2 192.0.2.2
	HostName 192.0.2.2
	User root
	IdentityFile $PWD/ssh/id
	BatchMode yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
EOF

count=0 failures=0
# check WHAT CMD...: one TAP line; CMD's output as comments when it fails.
check() {
	local what=$1 out
	shift
	count=$((count + 1))
	if out=$("$@" 2>&1); then
		echo "ok $count - $what"
	else
		echo "not ok $count - $what"
		failures=$((failures + 1))
		printf '%s\n' "$out" | sed 's/^/# /'
		[ -z "${DIAGNOSE:-}" ] || $DIAGNOSE 2>&1 | sed 's/^/# /'
	fi
}

# What h1's dnsmasq of network lan said and made, after a failed check of the network.
network_diagnosis() {
	journalctl --no-pager -b -o cat -t dnsmasq -t dnsmasq-dhcp -t dnsmasq-script | tail -n 25
	ls -l /run/hako/networks/lan /run/hako/networks/lan/peers.d
	cat /var/lib/hako/networks/lan/lease-event /var/lib/hako/networks/lan/dnsmasq.leases
}

# expect PATTERN CMD...: CMD succeeds and its output matches the extended regex PATTERN.
expect() {
	local pattern=$1 out
	shift
	out=$("$@" 2>&1) || { echo "$out"; echo "(exit $?)"; return 1; }
	grep -Eq "$pattern" <<<"$out" || { echo "$out"; echo "(no line matches $pattern)"; return 1; }
}

# fails_with PATTERN CMD...: CMD fails, saying PATTERN.
fails_with() {
	local pattern=$1 out
	shift
	out=$("$@" 2>&1) && { echo "$out"; echo "(exit 0)"; return 1; }
	grep -Eq "$pattern" <<<"$out" || { echo "$out"; echo "(no line matches $pattern)"; return 1; }
}

# eventually SECONDS CMD...: CMD again until it succeeds; else its last output, and a failure.
eventually() {
	local deadline=$((SECONDS + $1)) out
	shift
	until out=$("$@" 2>&1); do
		[ $SECONDS -lt $deadline ] || { echo "$out"; return 1; }
		sleep 0.5
	done
}

# Emulated, h2 boots alongside h1: give it up to 5 minutes.
check "h2 answers over ssh, across the wire" wait_for 300 ssh h2 true

# ---- the lab: examples/four-nats.lab with a [Host] each and every NAT on h2 ----
awk '{ print } /^Name=/ { print "[Host h1]\nAddress=192.0.2.1\n[Host h2]\nAddress=192.0.2.2" }
	/^\[Nat / { print "Host=h2" }' examples/four-nats.lab >/tmp/four-nats.lab
check "lab up --all: h1's part here, h2's over ssh" hako lab up /tmp/four-nats.lab --all
check "lab status --all --check: both hosts up" expect "h2" hako lab status four-nats --all --check
for node_type in fc:full-cone rc:restricted-cone prc:port-restricted-cone sym:symmetric; do
	node=${node_type%%:*} type=${node_type#*:}
	check "nat-check from $node on h1, behind its NAT on h2: $type" \
		expect "^type: +$type$" hako lab nat-check four-nats "$node" --lifetime-max=0 --proto=udp
done
check "lab exec of a NAT on h2, run on h1: one line naming h2" \
	fails_with "sym-nat is on host h2, this is host h1: run it there" hako lab exec four-nats sym-nat true
check "lab conntrack on h2 (over ssh) lists the symmetric NAT's UDP flows from sym" \
	expect "udp .*src=10\.0\.4\." ssh h2 hako lab conntrack four-nats sym-nat
check "lab down --all" hako lab down four-nats --all
check "nothing left on h2: no lab, no vxlan link" \
	ssh h2 '! hako lab list | grep -q four-nats && ! ip -o link show type vxlan | grep -q .'
check "nothing left on h1: no vxlan link" sh -c '! ip -o link show type vxlan | grep -q .'

# ---- a dual-stack managed network on both hosts, DHCP and DNS on h1 ----
DIAGNOSE=network_diagnosis
create="hako network create lan --subnet=10.70.0.0/24 --ipv6=fd70::/64 --dhcp --peer=192.0.2.1 --peer=192.0.2.2"
check "network create on h1" $create
check "network create on h2 (over ssh)" ssh h2 "$create"
check "container a on h1" ./exec.sh start a
check "container b on h2" ssh h2 "$PWD/exec.sh" start b
check "from h1, b (on h2) by name: h2's first addresses, reached" \
	eventually 30 expect "^10\.70\.0\.65 fd70::41 reached$" ./exec.sh ask c b
check "from h2, a (on h1) by name: h1's first addresses, reached" \
	expect "^10\.70\.0\.2 fd70::2 reached$" ssh h2 "$PWD/exec.sh" ask d a
check "b ends on h2" ssh h2 "$PWD/exec.sh" stop b
check "b's names went from h1's DNS with it" eventually 30 expect "^none none unreached$" ./exec.sh ask e b
check "a ends on h1" ./exec.sh stop a
check "network rm on both" sh -c 'hako network rm lan && ssh h2 hako network rm lan'

ssh h2 touch /run/hako-hosts-done
echo "1..$count"
[ "$failures" -eq 0 ]
