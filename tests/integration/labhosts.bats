#!/usr/bin/env bats
# hako lab across hosts: three "hosts" h1, h2, h3 are three network namespaces of this test, each
# with its own hako directories, joined by an underlay bridge the test makes in its own namespace
# (192.0.2.0/24; underlay_hosts and on in helpers.bash). `hako lab up FILE` runs in each host's namespace with that host's environment;
# each builds its part and joins the others over VXLAN.
load helpers
bats_require_minimum_version 1.5.0

PROBE=$BATS_TEST_DIRNAME/lab-probe.py

setup() {
	common_setup
	underlay_hosts 1 2 3
	# seed 003's lab (examples/natlab.lab) split: each node on another host than its NAT, and
	# an outside host s1 on a third.
	LAB=$TEST_TMP/natlab.lab
	cat > "$LAB" <<-'EOF'
	[Lab]
	Name=natlab
	[Host h1]
	Address=192.0.2.1
	[Host h2]
	Address=192.0.2.2
	Interface=eth0
	[Host h3]
	Address=192.0.2.3
	[Network inet]
	Subnet=100.64.0.0/16
	[Network lan0]
	Subnet=10.0.1.0/24
	[Network lan1]
	Subnet=10.0.2.0/24
	[Nat c0-nat]
	Host=h2
	Inside=lan0
	Outside=inet
	Type=full-cone
	PortForward=54321:c0:12345
	[Nat c1-nat]
	Inside=lan1
	Outside=inet
	Type=restricted-cone
	[Node c0]
	Network=lan0
	[Node c1]
	Host=h2
	Network=lan1
	[Node s1]
	Host=h3
	Network=inet
	Address=100.64.1.1
	EOF
}

teardown() {
	local i l
	for i in 1 2 3; do
		for l in "$TEST_TMP/h$i/run"/labs/*; do
			[ -e "$l" ] && { on "h$i" "$HAKO" lab down "${l##*/}" >/dev/null 2>&1 || true; }
		done
	done
	ip link del ul 2>/dev/null || true
	common_teardown
}

# Ends the background commands started so far (the reflectors of one round), but not the sshds
# of real_ssh (SSHD_PID), which teardown ends.
kill_bg() {
	local pid keep=()
	for pid in "${BG_PIDS[@]}"; do
		if [[ " ${SSHD_PID[*]} " == *" $pid "* ]]; then
			keep+=("$pid")
			continue
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	BG_PIDS=("${keep[@]}")
}

in_lab() { local h=$1; shift; on "$h" "$HAKO" lab exec natlab "$@"; }

# echo_on HOST LAB NODE PORT: a UDP reflector in NODE (teardown ends it), ready on return.
echo_on() {
	on "$1" "$HAKO" lab exec "$2" "$3" python3 "$PROBE" echo "$4" 60 >"$TEST_TMP/$3-$4.echo" &
	BG_PIDS+=($!)
	wait_for 15 grep -q ready "$TEST_TMP/$3-$4.echo"
}

# big HOST LAB NODE ADDR PORT SIZE: one UDP datagram of SIZE bytes that must not be fragmented
# (DF set) to the reflector at ADDR:PORT; succeeds if the answer comes back.
big() {
	on "$1" "$HAKO" lab exec "$2" "$3" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER: IP_PMTUDISC_DO
s.settimeout(5)
s.sendto(b"x" * int(sys.argv[3]), (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(2048)[0].decode())' "$4" "$5" "$6"
}

# HOST's underlay MTU, both ends of its veth and the bridge's side.
underlay_mtu() {
	ip link set "ul${1#h}" mtu "$2"
	ip -n "$1" link set eth0 mtu "$2"
}

# --all reaches the other hosts through tests/integration/fake-ssh (no sshd here).
all_env() {
	export HAKO_SSH=$BATS_TEST_DIRNAME/fake-ssh FAKE_SSH_ROOT=$TEST_TMP FAKE_SSH_HAKO=$HAKO
}

# real_ssh HOST...: a real sshd (the VM lane's openssh-server) in each HOST's namespace, on its
# underlay address, port 22, with this test's own host key, a fresh client key and that host's
# hako directories; PATH there finds the build's hako. HAKO_SSH is a wrapper that runs the real
# ssh with $TEST_TMP/ssh/ssh_config alone (-F: no ~/.ssh/config, no /etc/ssh/ssh_config, and no
# ~/.ssh made): nothing under /root/.ssh is read or written. Ready on return: each host has
# answered `ssh ... true` from h1. SSHD_PID[HOST] is each one's pid (on_bg: teardown kills it).
real_ssh() {
	local s=$TEST_TMP/ssh h
	declare -gA SSHD_PID=()
	mkdir -p "$s/bin"
	ln -s "$HAKO" "$s/bin/hako"
	ssh-keygen -q -t ed25519 -N '' -C hako-test-client -f "$s/client"
	cp "$s/client.pub" "$s/authorized_keys"
	: >"$s/known_hosts"
	for h in "$@"; do
		ssh-keygen -q -t ed25519 -N '' -C "hako-test-$h" -f "$s/$h.key"
		echo "192.0.2.${h#h} $(cut -d' ' -f1,2 "$s/$h.key.pub")" >>"$s/known_hosts"
		# StrictModes no: the keys sit below /tmp, which is writable by all.
		cat >"$s/$h.sshd_config" <<-EOF2
		ListenAddress 192.0.2.${h#h}
		HostKey $s/$h.key
		PidFile $s/$h.pid
		AuthorizedKeysFile $s/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		SetEnv PATH=$s/bin:/usr/sbin:/usr/bin:/sbin:/bin HAKO_RUNTIME_DIR=$TEST_TMP/$h/run HAKO_CONFIG_DIR=$TEST_TMP/$h/etc HAKO_STATE_DIR=$TEST_TMP/$h/state HAKO_IMAGE_DIR=$TEST_TMP/$h/machines
		EOF2
		sshd_on "$h"
	done
	cat >"$s/ssh_config" <<-EOF2
	Host *
		User root
		IdentityFile $s/client
		IdentitiesOnly yes
		UserKnownHostsFile $s/known_hosts
		GlobalKnownHostsFile /dev/null
		StrictHostKeyChecking yes
		UpdateHostKeys no
	EOF2
	printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$s/ssh_config" >"$s/ssh"
	chmod +x "$s/ssh"
	export HAKO_SSH=$s/ssh
	for h in "$@"; do sshd_ready "$h"; done
}

# sshd_on HOST: HOST's sshd (real_ssh made its config), in the background.
sshd_on() {
	on_bg "$1" /usr/sbin/sshd -D -e -f "$TEST_TMP/ssh/$1.sshd_config" 2>>"$TEST_TMP/ssh/$1.log"
	SSHD_PID[$1]=${BG_PIDS[-1]}
}

# sshd_ready HOST: waits until HOST's sshd lets h1 in; if it never does, shows what ssh and sshd
# said. ssh reads its stdin: never the case's (tests/run feeds the list of cases there).
sshd_ready() {
	local err=$TEST_TMP/ssh/$1.ready
	wait_for 30 on h1 "$HAKO_SSH" -o BatchMode=yes -o ConnectTimeout=5 "192.0.2.${1#h}" true </dev/null 2>"$err" &&
		return
	tail -1 "$err"
	cat "$TEST_TMP/ssh/$1.log"
	return 1
}

# on_h1_bounded CMD...: on h1, failing after 300 s rather than hanging the suite.
on_h1_bounded() {
	on_argv h1
	timeout 300 "${ON_ARGV[@]}" "$@"
}

# sshd_stop HOST: ends HOST's sshd (and forgets its pid).
sshd_stop() {
	local pid=${SSHD_PID[$1]} i
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" != "$pid" ] || unset "BG_PIDS[$i]"
	done
	BG_PIDS=("${BG_PIDS[@]}")
}

up_all() {
	# h1 finds itself by its address; the others are told.
	on h1 "$HAKO" lab up "$LAB"
	on h2 "$HAKO" lab up "$LAB" --host=h2
	on h3 "$HAKO" lab up "$LAB" --host=h3
}

@test "labhosts: nodes of one network on two hosts reach each other over VXLAN (IPv4 and IPv6 underlay)" {
	local fam addr
	for fam in 4 6; do
		addr=(192.0.2.1 192.0.2.2)
		[ "$fam" = 4 ] || addr=(2001:db8::1 2001:db8::2)
		cat > "$TEST_TMP/pair.lab" <<-EOF
		[Host a]
		Address=${addr[0]}
		[Host b]
		Address=${addr[1]}
		[Network net]
		Subnet=10.9.0.0/24
		[Node n1]
		Network=net
		Address=10.9.0.1
		[Node n2]
		Host=b
		Network=net
		Address=10.9.0.2
		EOF
		on h1 "$HAKO" lab up "$TEST_TMP/pair.lab"
		on h2 "$HAKO" lab up "$TEST_TMP/pair.lab"
		echo_on h2 pair n2 7000
		echo_on h1 pair n1 7000
		run on h1 "$HAKO" lab exec pair n1 python3 "$PROBE" ask 10.9.0.2 7000 40001 5
		[ "$output" = "10.9.0.1:40001" ]
		run on h2 "$HAKO" lab exec pair n2 python3 "$PROBE" ask 10.9.0.1 7000 40002 5
		[ "$output" = "10.9.0.2:40002" ]
		# The segment's MTU is 1500 less the encapsulation: a full frame passes, unfragmented.
		local mtu=$((fam == 4 ? 1450 : 1430))
		on h1 "$HAKO" lab exec pair n1 ip -o link show net | grep -q "mtu $mtu "
		big h1 pair n1 10.9.0.2 7000 $((mtu - 28))
		# The vxlan link: the lab's VNI and port, no learning, one all-zero entry for b.
		on h1 nsenter --net="$TEST_TMP/h1/run/labs/pair/ns/.switch" ip -d link show vx0 >"$TEST_TMP/vx"
		grep -q "vxlan id [0-9]* local ${addr[0]} .*dstport 4789 nolearning" "$TEST_TMP/vx"
		on h1 nsenter --net="$TEST_TMP/h1/run/labs/pair/ns/.switch" bridge fdb show dev vx0 >"$TEST_TMP/fdb"
		cat "$TEST_TMP/fdb"
		grep -q "^00:00:00:00:00:00 dst ${addr[1]} .*self permanent" "$TEST_TMP/fdb"
		[ "$(grep -c '^00:00:00:00:00:00' "$TEST_TMP/fdb")" = 1 ]
		# Each host holds its own node; status says where the other is.
		run on h1 "$HAKO" lab status pair
		[[ "$output" == *"n1 "*"host a"* && "$output" == *"n2 "*"remote, on host b"* ]]
		run -125 on h1 "$HAKO" lab exec pair n2 true
		[[ "$output" == *"n2 is on host b, this is host a: run it there"* ]]
		on h1 "$HAKO" lab down pair
		on h2 "$HAKO" lab down pair
		kill_bg
	done
}

# The MAC of NODE's interface IFACE on HOST of lab LAB.
node_mac() { on "$1" "$HAKO" lab exec "$2" "$3" ip -o link show "$4" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }

# Packets HOST's vxlan link vx0 of lab LAB received (/proc/net/dev is the reader's namespace's).
vx_rx() { on "$1" nsenter --net="$TEST_TMP/$1/run/labs/$2/ns/.switch" awk '$1 == "vx0:" { print $3 }' /proc/net/dev; }

# lane: vm
@test "labhosts: unicast between two hosts' nodes goes to that host alone: every vxlan link knows each remote member's MAC from the file" {
	local i
	{
		printf '[Lab]\nName=tri\n'
		for i in 1 2 3; do printf '[Host h%s]\nAddress=192.0.2.%s\n' "$i" "$i"; done
		printf '[Network net]\nSubnet=10.9.0.0/24\n'
		for i in 1 2 3; do printf '[Node n%s]\nHost=h%s\nNetwork=net\nAddress=10.9.0.%s\n' "$i" "$i" "$i"; done
	} >"$TEST_TMP/tri.lab"
	local h
	for h in h1 h2 h3; do on "$h" "$HAKO" lab up "$TEST_TMP/tri.lab"; done
	local mac1 mac2 mac3
	mac1=$(node_mac h1 tri n1 net)
	mac2=$(node_mac h2 tri n2 net)
	mac3=$(node_mac h3 tri n3 net)
	[ -n "$mac1" ] && [ -n "$mac2" ] && [ -n "$mac3" ]
	# h1's vxlan link: the all-zero entry to each other host, and each remote node's MAC to its
	# own host; none for its own node.
	on h1 nsenter --net="$TEST_TMP/h1/run/labs/tri/ns/.switch" bridge fdb show dev vx0 >"$TEST_TMP/fdb"
	cat "$TEST_TMP/fdb"
	grep -q "^$mac2 dst 192.0.2.2 .*self permanent" "$TEST_TMP/fdb"
	grep -q "^$mac3 dst 192.0.2.3 .*self permanent" "$TEST_TMP/fdb"
	run grep -c "^$mac1 " "$TEST_TMP/fdb"
	[ "$output" = 0 ]
	[ "$(grep -c '^00:00:00:00:00:00' "$TEST_TMP/fdb")" = 2 ]
	# n1 to n2 and back, 50 times each way: once the neighbours are known, none of it reaches h3.
	echo_on h2 tri n2 7000
	run on h1 "$HAKO" lab exec tri n1 python3 "$PROBE" ask 10.9.0.2 7000 40001 5
	[ "$output" = "10.9.0.1:40001" ]
	local before after
	before=$(vx_rx h3 tri)
	run on h1 "$HAKO" lab exec tri n1 python3 "$PROBE" ping 10.9.0.2 7000 40002 1 0.02
	[ "$output" -ge 40 ]
	after=$(vx_rx h3 tri)
	echo "h3 received $((after - before)) packets of $((2 * output))"
	[ $((after - before)) -lt 10 ]
	kill_bg
	# The MACs come from the file: the same after the lab is down and up again on h2. Up right
	# after down waits for the kernel to free the old vxlan link (refused until then: EEXIST).
	for i in 1 2 3; do
		on h2 "$HAKO" lab down tri
		on h2 "$HAKO" lab up "$TEST_TMP/tri.lab"
	done
	[ "$(node_mac h2 tri n2 net)" = "$mac2" ]
	echo_on h2 tri n2 7000
	run on h1 "$HAKO" lab exec tri n1 python3 "$PROBE" ask 10.9.0.2 7000 40003 5
	[ "$output" = "10.9.0.1:40003" ]
	# A link that stays is another lab's: one line naming the network, nothing left.
	local vni
	vni=$(on h1 nsenter --net="$TEST_TMP/h1/run/labs/tri/ns/.switch" ip -d link show vx0 | grep -o 'vxlan id [0-9]*' | cut -d' ' -f3)
	sed "s/^Name=tri$/Name=other/; s/^Subnet=10.9.0.0\/24$/&\nVni=$vni/" "$TEST_TMP/tri.lab" >"$TEST_TMP/other.lab"
	run on h1 "$HAKO" lab up "$TEST_TMP/other.lab"
	[ "$status" -ne 0 ]
	[[ "$output" == "hako: lab other: network net: cannot create its vxlan link: File exists"* ]]
	[ "${#lines[@]}" = 1 ]
	[ ! -e "$TEST_TMP/h1/run/labs/other" ]
}

@test "labhosts: seed 003's lab split over three hosts: NATs on other hosts than their nodes work as on one" {
	up_all
	# c0 (h1) -> lan0 -> c0-nat (h2) -> inet -> s1 (h3): two segments, s1 sees c0-nat's address.
	echo_on h3 natlab s1 7000
	run in_lab h1 c0 python3 "$PROBE" ask 100.64.1.1 7000 40003 5
	[ "$output" = "100.64.0.1:40003" ]
	# The port forward of seed 003: s1 on h3 to c0-nat's outside on h2, to c0 on h1.
	on h1 "$HAKO" lab exec natlab c0 python3 "$PROBE" recv 12345 60 >"$TEST_TMP/c0.out" &
	BG_PIDS+=($!)
	wait_for 15 grep -q ready "$TEST_TMP/c0.out"
	in_lab h3 s1 python3 "$PROBE" send 100.64.0.1 54321 40001 xyz
	wait_for 5 grep -q "^100.64.1.1:40001 xyz" "$TEST_TMP/c0.out"
	# c1 (h2) goes out through c1-nat on h1: s1 sees c1-nat's outside address.
	run in_lab h2 c1 python3 "$PROBE" ask 100.64.1.1 7000 40002 5
	[ "$output" = "100.64.0.2:40002" ]
	# nat-check from c0 on h1, behind its full-cone NAT on h2, against the responder on h1.
	run on h1 "$HAKO" lab nat-check natlab c0 --lifetime-max=0 --proto=udp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"type:              full-cone"* ]]
	# On another host nat-check says where to run it.
	run -125 on h2 "$HAKO" lab nat-check natlab c1 --lifetime-max=0
	[[ "$output" == *"responder is on host h1"* ]]
}

@test "labhosts: lab down on each host leaves nothing: no namespaces, no vxlan socket, no lab" {
	up_all
	local i
	for i in 1 2 3; do
		on "h$i" "$HAKO" lab down natlab
		[ ! -e "$TEST_TMP/h$i/run/labs/natlab" ]
		run on "h$i" "$HAKO" lab list
		[ -z "$output" ]
		# The vxlan links went with the switch namespace; their UDP socket goes with them,
		# once the kernel has cleaned the namespace up.
		wait_for 10 bash -c "! ip netns exec h$i ss -Huln | grep -q ':4789 '"
		[ -z "$(ip -n "h$i" -d link show type vxlan)" ]
	done
	grep -qv " $TEST_TMP/h" /proc/self/mountinfo
}

@test "labhosts: unknown hosts, bad Address= and a host not found are one-line errors that make nothing" {
	local f=$TEST_TMP/bad.lab
	printf '[Host a]\nAddress=192.0.2.1\n[Network n]\nSubnet=10.0.0.0/24\n[Node x]\nNetwork=n\nHost=zz\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:5: [Node x] Host=zz: no [Host zz] in this file" ]
	printf '[Host a]\nAddress=192.0.2.300\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:2: Address=192.0.2.300: not an IPv4 or IPv6 address" ]
	printf '[Host a]\nAddress=192.0.2.1\n[Host b]\nAddress=192.0.2.1\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:4: Address=192.0.2.1 is also host 'a''s (line 2)" ]
	printf '[Host a]\nAddress=192.0.2.1\n[Host b]\nAddress=2001:db8::2\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[[ "$output" == "hako: $f:4: [Host b] Address= is not of the family of host 'a''s (line 2)"* ]]
	printf '[Host a]\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:1: [Host a] needs Address= (where the other hosts reach it)" ]
	printf '[Network n]\nSubnet=10.0.0.0/24\nVni=16777216\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:3: Vni=16777216: not a VXLAN network identifier (1..16777215)" ]
	printf '[Host a]\nAddress=192.0.2.1\n[Network n]\nSubnet=10.0.0.0/24\nVni=7\n[Network m]\nSubnet=10.1.0.0/24\nVni=7\n' >"$f"
	run -125 "$HAKO" lab up "$f"
	[[ "$output" == "hako: $f:8: network 'm' has VNI 7, as network 'n' (line 3)"* ]]
	# No [Host] has an address of this host (the test's namespace), and --host= names none.
	run -125 "$HAKO" lab up "$LAB"
	[ "$output" = "hako: $LAB: no [Host] has an Address= of this host: say which this is with --host=" ]
	run -125 "$HAKO" lab up "$LAB" --host=h9
	[ "$output" = "hako: $LAB: --host=h9: no [Host h9] in this file" ]
	[ ! -e "$HAKO_RUNTIME_DIR/labs/natlab" ]
}

@test "labhosts: lab up --all builds every host's part over ssh, status --all sees each host up, down --all removes every part" {
	all_env
	on h1 "$HAKO" lab up "$LAB" --all
	local i
	for i in 1 2 3; do
		[ -e "$TEST_TMP/h$i/run/labs/natlab/up" ]
	done
	[ "$(cat "$TEST_TMP/h2/run/labs/natlab/host")" = h2 ]
	# The parts are joined: c1 on h2 out through c1-nat on h1 to s1 on h3.
	echo_on h3 natlab s1 7000
	run in_lab h2 c1 python3 "$PROBE" ask 100.64.1.1 7000 40002 5
	[ "$output" = "100.64.0.2:40002" ]
	run on h1 "$HAKO" lab status natlab --all --check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host h1         192.0.2.1        this host, up"* ]]
	[[ "$output" == *"host h2         192.0.2.2        up"* ]]
	[[ "$output" == *"host h3         192.0.2.3        up"* ]]
	kill_bg
	on h1 "$HAKO" lab down natlab --all
	for i in 1 2 3; do
		[ ! -e "$TEST_TMP/h$i/run/labs/natlab" ]
	done
}

@test "labhosts: status --all says which host is unreachable and why, one line each, never hangs, non-zero only with --check" {
	all_env
	up_all
	ip link set ul3 down            # h3: no route
	touch "$TEST_TMP/hang-h2"       # h2: takes the connection, never answers
	run on h1 "$HAKO" lab status natlab --all --timeout=1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host h1         192.0.2.1        this host, up"* ]]
	[[ "$output" == *"host h2         192.0.2.2        unreachable: no answer in 2 s"* ]]
	[[ "$output" == *"host h3         192.0.2.3        unreachable: ssh: connect to host 192.0.2.3 port 22: No route to host"* ]]
	[ "$(grep -c '^host ' <<<"$output")" = 3 ]
	run -1 on h1 "$HAKO" lab status natlab --all --timeout=1 --check
	rm "$TEST_TMP/hang-h2"
	ip link set ul3 up
	# A host where the lab is not: what hako said there.
	on h3 "$HAKO" lab down natlab
	run -1 on h1 "$HAKO" lab status natlab --all --check
	[[ "$output" == *"host h3         192.0.2.3        no lab 'natlab'"* ]]
	# Not up on the host asking: status --all of the FILE still asks the others (no table here).
	on h1 "$HAKO" lab down natlab
	run -1 on h1 "$HAKO" lab status "$LAB" --all --check
	echo "$output"
	[ "$(grep -c '^host ' <<<"$output")" = 3 ] && [ "${#lines[@]}" = 3 ]
	[[ "$output" == *"host h1         192.0.2.1        this host, not up"* ]]
	[[ "$output" == *"host h2         192.0.2.2        up"* ]]
	# On a host outside the lab, likewise; without --all the FILE is a lab up here or nothing.
	run -1 "$HAKO" lab status "$LAB" --all --check
	[[ "$output" == *"host h1         192.0.2.1        no lab 'natlab'"* && "$output" == *"host h2         192.0.2.2        up"* ]]
	run -125 on h1 "$HAKO" lab status "$LAB"
	[ "$output" = "hako: no lab 'natlab' (see hako lab list)" ]
	on h2 "$HAKO" lab status "$LAB" | grep -q "remote, on host h1"
}

@test "labhosts: lab up --all with a host unreachable says which and why in one line and leaves no part up" {
	all_env
	ip link set ul3 down
	run -126 on h1 "$HAKO" lab up "$LAB" --all
	echo "$output"
	[ "$output" = "hako: lab natlab: host h3: lab up: unreachable: ssh: connect to host 192.0.2.3 port 22: No route to host" ]
	local i
	for i in 1 2 3; do
		[ ! -e "$TEST_TMP/h$i/run/labs/natlab" ]
	done
}

# lane: vm-only
@test "labhosts: --all over a real ssh and sshd: lab up builds every host's part, status sees each up, down removes every part, keys makes each host's key there; names with '.', '-' and '_' and a file name a shell would split pass intact" {
	real_ssh h2 h3
	# The session's environment is sshd's SetEnv: hako is the build's, and its directories h2's.
	run on h1 "$HAKO_SSH" -n -o BatchMode=yes 192.0.2.2 'command -v hako; echo $HAKO_RUNTIME_DIR'
	[ "$status" -eq 0 ] && [ "${lines[0]}" = "$TEST_TMP/ssh/bin/hako" ] && [ "${lines[1]}" = "$TEST_TMP/h2/run" ]
	# Every character a lab or host name may have; the file's name stays here (stdin goes over).
	local lab="n.a-t_lab" f="$TEST_TMP/my lab's \$(touch pwned);*.lab" i
	sed -e "s/^Name=natlab\$/Name=$lab/" -e 's/\bh2\b/h-2.b_x/' -e 's/\bh3\b/h_3.c-y/' "$LAB" >"$f"
	on h1 "$HAKO" lab up "$f" --all
	for i in 1 2 3; do
		[ -e "$TEST_TMP/h$i/run/labs/$lab/up" ]
	done
	[ "$(cat "$TEST_TMP/h2/run/labs/$lab/host")" = h-2.b_x ]
	[ "$(cat "$TEST_TMP/h3/run/labs/$lab/host")" = h_3.c-y ]
	[ ! -e pwned ] && [ ! -e "$TEST_TMP/pwned" ]
	# The parts are joined: c1 on h2 out through c1-nat on h1 to s1 on h3.
	echo_on h3 "$lab" s1 7000
	run on h2 "$HAKO" lab exec "$lab" c1 python3 "$PROBE" ask 100.64.1.1 7000 40002 5
	[ "$output" = "100.64.0.2:40002" ]
	run on h1 "$HAKO" lab status "$lab" --all --check
	echo "$output"
	[ "$status" -eq 0 ] && [ "$(grep -c '^host ' <<<"$output")" = 3 ]
	grep -Eq '^host h1 +192\.0\.2\.1 +this host, up$' <<<"$output"
	grep -Eq '^host h-2\.b_x +192\.0\.2\.2 +up$' <<<"$output"
	grep -Eq '^host h_3\.c-y +192\.0\.2\.3 +up$' <<<"$output"
	kill_bg
	on h1 "$HAKO" lab down "$lab" --all
	for i in 1 2 3; do
		[ ! -e "$TEST_TMP/h$i/run/labs/$lab" ]
	done
	# lab keys --all: b's key is made on h2, through sshd, and its public half comes back.
	local enc=$TEST_TMP/enc.lab
	enc_lab "$enc"
	run on h1 "$HAKO" lab keys "$enc" --all
	echo "$output"
	[ "$status" -eq 0 ] && [ "${#lines[@]}" = 4 ] && [ "${lines[2]}" = "[Host b]" ]
	[ -e "$TEST_TMP/h2/state/lab-keys/enc/b.key" ] && [ ! -e "$TEST_TMP/h1/state/lab-keys/enc/b.key" ]
	[ "$(on h2 "$HAKO" lab keys "$enc" --host=b)" = "${lines[3]}" ]
}

# lane: vm-only
@test "labhosts: --all over a real ssh: a host whose sshd is stopped or frozen is unreachable in one line with ssh's own words, never a hang; down --all takes the others down; lab up --all then leaves no part up" {
	local i
	real_ssh h2 h3
	on h1 "$HAKO" lab up "$LAB" --all
	# h3's sshd ended: the connection is refused, as ssh says it. (timeout: a hang fails.)
	sshd_stop h3
	run on_h1_bounded "$HAKO" lab status natlab --all --check
	echo "$output"
	[ "$status" -eq 1 ] && [ "$(grep -c '^host ' <<<"$output")" = 3 ]
	grep -Eq '^host h2 +192\.0\.2\.2 +up$' <<<"$output"
	grep -Eq '^host h3 +192\.0\.2\.3 +unreachable: ssh: connect to host 192\.0\.2\.3 port 22: Connection refused$' <<<"$output"
	# h2's sshd frozen: it takes the connection and never answers; --timeout bounds the wait.
	kill -STOP "${SSHD_PID[h2]}"
	run on_h1_bounded "$HAKO" lab status natlab --all --timeout=2
	kill -CONT "${SSHD_PID[h2]}"
	echo "$output"
	[ "$status" -eq 0 ]
	# ssh's banner timeout, or hako's deadline if ssh is slower than that (an emulated guest).
	grep -Eq '^host h2 +192\.0\.2\.2 +unreachable: (Connection to 192\.0\.2\.2 port 22 timed out|no answer in 4 s)$' <<<"$output"
	[ "$(grep -c '^host ' <<<"$output")" = 3 ]
	# down --all takes h1's and h2's parts down and says h3 could not be asked; h3's goes by hand.
	run -126 on_h1_bounded "$HAKO" lab down natlab --all
	[ "$output" = "hako: lab natlab: host h3: lab down: unreachable: ssh: connect to host 192.0.2.3 port 22: Connection refused" ]
	[ ! -e "$TEST_TMP/h1/run/labs/natlab" ] && [ ! -e "$TEST_TMP/h2/run/labs/natlab" ]
	on h3 "$HAKO" lab down natlab
	# The kernel frees a removed lab's vxlan links (and their VNIs) after lab down returns.
	for i in 1 2 3; do
		wait_for 10 bash -c "! ip netns exec h$i ss -Huln | grep -q ':4789 '"
	done
	# lab up --all with h3's sshd still stopped says so in one line, and takes h1's and h2's
	# parts down again.
	run -126 on_h1_bounded "$HAKO" lab up "$LAB" --all
	echo "$output"
	[ "$output" = "hako: lab natlab: host h3: lab up: unreachable: ssh: connect to host 192.0.2.3 port 22: Connection refused" ]
	for i in 1 2 3; do
		[ ! -e "$TEST_TMP/h$i/run/labs/natlab" ]
	done
}

@test "labhosts: a segment's MTU fits in the underlay less VXLAN's headers, or lab up refuses it in one line" {
	local f=$TEST_TMP/mtu.lab
	# Mtu= too big for a 1500 underlay (1450 fits over IPv4).
	printf '[Host a]\nAddress=192.0.2.1\n[Host b]\nAddress=192.0.2.2\n[Network net]\nSubnet=10.9.0.0/24\nMtu=1480\n[Node n1]\nNetwork=net\nAddress=10.9.0.1\n[Node n2]\nHost=b\nNetwork=net\nAddress=10.9.0.2\n' >"$f"
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:7: network 'net': MTU 1480 does not fit in VXLAN over eth0 (MTU 1500 less 50 bytes of headers): set Mtu=1450 or less" ]
	[ ! -e "$TEST_TMP/h1/run/labs/mtu" ]
	# The default (1450) over an underlay of 1400.
	underlay_mtu h2 1400
	sed -i '/^Mtu=/d' "$f"
	run -125 on h2 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:5: network 'net': MTU 1450 (the default) does not fit in VXLAN over eth0 (MTU 1400 less 50 bytes of headers): set Mtu=1350 or less" ]
	# Jumbo frames underneath: Mtu=8950 fits, and a full frame crosses unfragmented.
	underlay_mtu h1 9000
	underlay_mtu h2 9000
	ip link set ul3 mtu 9000
	sed -i 's/^Subnet=.*/&\nMtu=8950/' "$f"
	on h1 "$HAKO" lab up "$f"
	on h2 "$HAKO" lab up "$f"
	echo_on h2 mtu n2 7000
	on h1 "$HAKO" lab exec mtu n1 ip -o link show net | grep -q "mtu 8950 "
	run big h1 mtu n1 10.9.0.2 7000 $((8950 - 28))
	[ "$status" -eq 0 ]
	kill_bg
}

@test "labhosts: [Host] Ssh= is where --all reaches a host; lab up - refuses a file on stdin over 1 MiB in one line" {
	all_env
	sed -i 's/^Interface=eth0$/&\nSsh=root@h2/' "$LAB"
	on h1 "$HAKO" lab up "$LAB" --all
	[ -e "$TEST_TMP/h2/run/labs/natlab/up" ] && [ -e "$TEST_TMP/h3/run/labs/natlab/up" ]
	grep -qx root@h2 "$TEST_TMP/ssh-destinations"
	grep -qx 192.0.2.3 "$TEST_TMP/ssh-destinations"
	run ! grep -qx 192.0.2.2 "$TEST_TMP/ssh-destinations"
	on h1 "$HAKO" lab down natlab --all
	[ "$(grep -c . "$TEST_TMP/ssh-destinations")" = 4 ]
	# An ssh destination that ssh would read as an option is refused with the file.
	printf '[Host a]\nAddress=192.0.2.1\nSsh=-oProxyCommand=touch%%20x\n' >"$TEST_TMP/bad.lab"
	run -125 "$HAKO" lab up "$TEST_TMP/bad.lab"
	[ "$output" = "hako: $TEST_TMP/bad.lab:3: Ssh=-oProxyCommand=touch%20x: not an ssh destination ([USER@]HOST, not starting with '-')" ]
	# stdin: a stream that does not end is cut at 1 MiB.
	run -125 bash -c "{ cat '$LAB'; head -c 2000000 /dev/zero | tr '\\0' '#'; } | '$HAKO' lab up -"
	[ "$output" = "hako: -: the lab's file on stdin is larger than 1 MiB" ]
	[ ! -e "$HAKO_RUNTIME_DIR/labs/natlab" ]
}

# enc_lab FILE: the pair lab of h1 and h2, Encrypt=wireguard, with no keys yet.
enc_lab() {
	cat >"$1" <<-'EOF2'
	[Lab]
	Name=enc
	Encrypt=wireguard
	[Host a]
	Address=192.0.2.1
	[Host b]
	Address=192.0.2.2
	[Network net]
	Subnet=10.9.0.0/24
	[Node n1]
	Network=net
	Address=10.9.0.1
	[Node n2]
	Host=b
	Network=net
	Address=10.9.0.2
	EOF2
}

# add_key FILE HOST NAME: NAME's public key, made on HOST by lab keys, into [Host NAME] of FILE.
add_key() {
	local line
	line=$(on "$2" "$HAKO" lab keys "$1" --host="$3")
	[[ "$line" == PublicKey=* ]]
	sed -i "/^\[Host $3\]\$/a $line" "$1"
}

# enc_hosts FILE NAME ADDRESS...: the Encrypt=wireguard lab NAME (EncryptPort=51999) of a host hN
# at each ADDRESS, each with a node nN at 10.9.0.N of one network; no keys yet.
enc_hosts() {
	local f=$1 name=$2 i=0 a
	shift 2
	printf '[Lab]\nName=%s\nEncrypt=wireguard\nEncryptPort=51999\n' "$name" >"$f"
	for a in "$@"; do
		i=$((i + 1))
		printf '[Host h%s]\nAddress=%s\n' "$i" "$a" >>"$f"
	done
	printf '[Network net]\nSubnet=10.9.0.0/24\n' >>"$f"
	for ((i = 1; i <= $#; i++)); do
		printf '[Node n%s]\nHost=h%s\nNetwork=net\nAddress=10.9.0.%s\n' "$i" "$i" "$i" >>"$f"
	done
}

# lane: vm
@test "labhosts: Encrypt=wireguard: keys made and kept on each host; a missing, open, broken or wrong key is one line that makes nothing, before the kernel is asked" {
	local f=$TEST_TMP/enc.lab links
	enc_lab "$f"
	links=$(ip -n h1 -o link | wc -l)
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: $f:4: [Host a] needs PublicKey= with Encrypt=wireguard: on that host, hako lab keys $f --host=a prints it" ]
	# lab keys makes the private key on its host, 0600 in a 0700 directory, prints only the
	# public key, and prints the same one again.
	local k1 k2
	k1=$(on h1 "$HAKO" lab keys "$f" --host=a)
	k2=$(on h1 "$HAKO" lab keys "$f")
	[ "$k1" = "$k2" ] && [[ "$k1" =~ ^PublicKey=[A-Za-z0-9+/]{43}=$ ]]
	local key=$TEST_TMP/h1/state/lab-keys/enc/a.key
	[ "$(stat -c %a "$key")" = 600 ] && [ "$(stat -c %a "${key%/*}")" = 700 ]
	[[ "$k1" != *"$(cat "$key")"* ]]
	[ ! -e "$TEST_TMP/h2/state/lab-keys" ]
	# b's key in a's place: a's private key does not match.
	add_key "$f" h2 b
	sed -i "/^\[Host a\]\$/a $(grep ^PublicKey= "$f")" "$f"
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: $key: this host's private key is not the one of [Host a] PublicKey= ($f:4): paste what hako lab keys prints here" ]
	# --all stops at the same line before asking any other host.
	all_env
	run -125 on h1 "$HAKO" lab up "$f" --all
	[ "$output" = "hako: $key: this host's private key is not the one of [Host a] PublicKey= ($f:4): paste what hako lab keys prints here" ]
	[ ! -e "$TEST_TMP/ssh-destinations" ]
	sed -i "5d" "$f"
	sed -i "/^\[Host a\]\$/a $k1" "$f"
	chmod 644 "$key"
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: $key: others may read this private key: make it mode 0600" ]
	chmod 600 "$key"
	# Missing: moved away; broken: not a key.
	mv "$key" "$key.kept"
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: lab enc: no private key for host a here ($key): make it with hako lab keys $f --host=a" ]
	printf 'not a key\n' >"$key"
	chmod 600 "$key"
	run -125 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: $key: not a WireGuard private key" ]
	mv "$key.kept" "$key"
	# Nothing was made by any of them.
	[ ! -e "$TEST_TMP/h1/run/labs/enc" ]
	[ "$(ip -n h1 -o link | wc -l)" = "$links" ]
	[ ! -e "$TEST_TMP/ssh-destinations" ]
}

@test "labhosts: Encrypt=wireguard on a kernel without WireGuard: one line that makes nothing; --all asks no other host" {
	if ip link add wgprobe type wireguard 2>/dev/null; then
		ip link del wgprobe
		skip "this kernel has WireGuard: the encrypted lab itself is tested (labhosts, lane vm-only)"
	fi
	local f=$TEST_TMP/enc.lab links
	enc_lab "$f"
	add_key "$f" h1 a
	add_key "$f" h2 b
	links=$(ip -n h1 -o link | wc -l)
	run -126 on h1 "$HAKO" lab up "$f"
	[ "$output" = "hako: lab enc: Encrypt=wireguard: this kernel has no WireGuard (CONFIG_WIREGUARD)" ]
	[ ! -e "$TEST_TMP/h1/run/labs/enc" ]
	[ "$(ip -n h1 -o link | wc -l)" = "$links" ]
	all_env
	run -126 on h1 "$HAKO" lab up "$f" --all
	[ "$output" = "hako: lab enc: Encrypt=wireguard: this kernel has no WireGuard (CONFIG_WIREGUARD)" ]
	[ ! -e "$TEST_TMP/ssh-destinations" ]
	[ ! -e "$TEST_TMP/h1/run/labs/enc" ]
}

@test "labhosts: lab keys --all makes each host's key on that host over ssh and prints every PublicKey= to paste; a host that fails is one line, nothing printed" {
	local f=$TEST_TMP/enc.lab i
	enc_lab "$f"
	sed -i 's/^\[Host b\]$/&\nSsh=root@h2/' "$f"
	all_env
	run on h1 "$HAKO" lab keys "$f" --all
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" = 4 ] && [ "${lines[0]}" = "[Host a]" ] && [ "${lines[2]}" = "[Host b]" ]
	[[ "${lines[1]}" =~ ^PublicKey=[A-Za-z0-9+/]{43}=$ && "${lines[3]}" =~ ^PublicKey=[A-Za-z0-9+/]{43}=$ ]]
	# Each private key was made on its own host, and each printed key is that host's own.
	[ -e "$TEST_TMP/h1/state/lab-keys/enc/a.key" ] && [ -e "$TEST_TMP/h2/state/lab-keys/enc/b.key" ]
	[ ! -e "$TEST_TMP/h1/state/lab-keys/enc/b.key" ] && [ ! -e "$TEST_TMP/h2/state/lab-keys/enc/a.key" ]
	[ "$(on h1 "$HAKO" lab keys "$f")" = "${lines[1]}" ]
	[ "$(on h2 "$HAKO" lab keys "$f" --host=b)" = "${lines[3]}" ]
	[ "$(cat "$TEST_TMP/ssh-destinations")" = root@h2 ]
	# Pasted in, the file passes every key check (what lab up checks before the kernel).
	sed -i "/^\[Host a\]\$/a ${lines[1]}" "$f"
	sed -i "/^\[Host b\]\$/a ${lines[3]}" "$f"
	on h1 "$HAKO" lab keys "$f" --all >"$TEST_TMP/again"
	[ "$(sed -n 2p "$TEST_TMP/again")" = "${lines[1]}" ]
	# From a host outside the lab every key is made over ssh, and the same ones come back.
	run "$HAKO" lab keys "$f" --all
	[ "$status" -eq 0 ] && [ "${lines[1]}" = "$(sed -n 2p "$TEST_TMP/again")" ]
	grep -qx 192.0.2.1 "$TEST_TMP/ssh-destinations"
	# b's key open to others there: one line naming the host, nothing on stdout.
	chmod 644 "$TEST_TMP/h2/state/lab-keys/enc/b.key"
	run -126 --separate-stderr on h1 "$HAKO" lab keys "$f" --all
	[ -z "$output" ]
	[ "$stderr" = "hako: lab enc: host b: lab keys: $TEST_TMP/h2/state/lab-keys/enc/b.key: others may read this private key: make it mode 0600" ]
	# What a host answers goes into the file: anything but one PublicKey= line is refused.
	chmod 600 "$TEST_TMP/h2/state/lab-keys/enc/b.key"
	printf '#!/bin/sh\necho "%s"\necho Address=203.0.113.66\n' "$(sed -n 2p "$TEST_TMP/again")" >"$TEST_TMP/evil-hako"
	chmod +x "$TEST_TMP/evil-hako"
	run -126 --separate-stderr env FAKE_SSH_HAKO="$TEST_TMP/evil-hako" "$HAKO" lab keys "$f" --all
	[ -z "$output" ]
	[ "$stderr" = "hako: lab enc: host a: lab keys: not one PublicKey= line
hako: lab enc: host b: lab keys: not one PublicKey= line" ]
	# --all hands the file on without its name: a lab named only by its file's name is refused.
	sed -i '/^Name=enc$/d' "$f"
	run -125 on h1 "$HAKO" lab keys "$f" --all
	[ "$output" = "hako: $f: --all needs [Lab] Name=: the other hosts read the file from stdin, without its name" ]
	run -125 on h1 "$HAKO" lab up "$f" --all
	[ "$output" = "hako: $f: --all needs [Lab] Name=: the other hosts read the file from stdin, without its name" ]
}

# lane: vm-only
@test "labhosts: Encrypt=wireguard: three hosts' nodes reach each other, and the underlay carries only WireGuard, no VXLAN in clear" {
	local f=$TEST_TMP/enc3.lab i
	enc_hosts "$f" enc3 192.0.2.1 192.0.2.2 192.0.2.3
	for i in 1 2 3; do add_key "$f" "h$i" "h$i"; done
	# The underlay bridge counts what crosses it: VXLAN in clear, and WireGuard.
	nft -f - <<-'EOF2'
	table bridge underlay {
		counter vxlan { }
		counter wg { }
		chain count {
			type filter hook forward priority 0;
			udp dport 4789 counter name vxlan
			udp dport 51999 counter name wg
		}
	}
	EOF2
	for i in 1 2 3; do on "h$i" "$HAKO" lab up "$f" --host="h$i"; done
	# The segment's MTU leaves room for VXLAN over the tunnel and WireGuard over IPv4.
	on h1 "$HAKO" lab exec enc3 n1 ip -o link show net | grep -q "mtu 1390 "
	on h1 nsenter --net="$TEST_TMP/h1/run/labs/enc3/ns/.switch" ip -d link show wg | grep -q wireguard
	echo_on h2 enc3 n2 7000
	echo_on h3 enc3 n3 7000
	run on h1 "$HAKO" lab exec enc3 n1 python3 "$PROBE" ask 10.9.0.2 7000 40001 5
	[ "$output" = "10.9.0.1:40001" ]
	run on h1 "$HAKO" lab exec enc3 n1 python3 "$PROBE" ask 10.9.0.3 7000 40002 5
	[ "$output" = "10.9.0.1:40002" ]
	big h1 enc3 n1 10.9.0.3 7000 $((1390 - 28))
	nft list counter bridge underlay vxlan
	nft list counter bridge underlay wg
	nft list counter bridge underlay vxlan | grep -q "packets 0 bytes 0"
	run ! bash -c "nft list counter bridge underlay wg | grep -q 'packets 0 '"
	kill_bg
	for i in 1 2 3; do on "h$i" "$HAKO" lab down enc3; done
	# The WireGuard link's socket went with the switch namespace.
	for i in 1 2 3; do
		wait_for 10 bash -c "! ip netns exec h$i ss -Huln | grep -q ':51999 '"
	done
	nft delete table bridge underlay
}

# lane: vm-only
@test "labhosts: Encrypt=wireguard: lab up --all with one host's key wrong or missing takes every host that came up down again, and says which in one line" {
	local f=$TEST_TMP/enc3.lab i key=$TEST_TMP/h3/state/lab-keys/enc3/h3.key
	enc_hosts "$f" enc3 192.0.2.1 192.0.2.2 192.0.2.3
	for i in 1 2 3; do add_key "$f" "h$i" "h$i"; done
	all_env
	# h3's private key is another than its PublicKey=: h1 and h2 come up first, then go down.
	mv "$key" "$key.kept"
	on h3 "$HAKO" lab keys "$f" --host=h3 >/dev/null
	run -126 on h1 "$HAKO" lab up "$f" --all
	echo "$output"
	[ "$output" = "hako: lab enc3: host h3: lab up: $key: this host's private key is not the one of [Host h3] PublicKey= (-:11): paste what hako lab keys prints here" ]
	grep -qx 192.0.2.2 "$TEST_TMP/ssh-destinations"
	# Missing: the same, with its own line.
	rm "$key"
	run -126 on h1 "$HAKO" lab up "$f" --all
	[ "$output" = "hako: lab enc3: host h3: lab up: lab enc3: no private key for host h3 here ($key): make it with hako lab keys FILE --host=h3" ]
	# Nothing is left on any host: no lab, no WireGuard link, no socket on its port.
	for i in 1 2 3; do
		[ ! -e "$TEST_TMP/h$i/run/labs/enc3" ]
		[ -z "$(ip -n "h$i" link show type wireguard)" ]
		wait_for 10 bash -c "! ip netns exec h$i ss -Huln | grep -q ':51999 '"
	done
	# With h3's key back every host comes up.
	mv "$key.kept" "$key"
	on h1 "$HAKO" lab up "$f" --all
	for i in 1 2 3; do [ -e "$TEST_TMP/h$i/run/labs/enc3/up" ]; done
	on h1 "$HAKO" lab down "$f" --all
}

# lane: vm-only
@test "labhosts: Encrypt=wireguard over an IPv6 underlay: nodes reach each other, and the underlay carries only WireGuard" {
	local f=$TEST_TMP/enc6.lab i
	enc_hosts "$f" enc6 2001:db8::1 2001:db8::2
	for i in 1 2; do add_key "$f" "h$i" "h$i"; done
	nft -f - <<-'EOF2'
	table bridge underlay {
		counter vxlan { }
		counter wg { }
		counter wg6 { }
		chain count {
			type filter hook forward priority 0;
			udp dport 4789 counter name vxlan
			udp dport 51999 counter name wg
			ether type ip6 udp dport 51999 counter name wg6
		}
	}
	EOF2
	for i in 1 2; do on "h$i" "$HAKO" lab up "$f"; done
	# VXLAN over the IPv4 tunnel (50 bytes) inside WireGuard over IPv6 (80).
	on h1 "$HAKO" lab exec enc6 n1 ip -o link show net | grep -q "mtu 1370 "
	echo_on h2 enc6 n2 7000
	# The first datagrams wait for WireGuard's handshake, which it sends again only after 5 s if
	# the first is lost (seen once in the VM lane, over IPv6): ask until the tunnel answers.
	wait_for 30 on h1 "$HAKO" lab exec enc6 n1 python3 "$PROBE" ask 10.9.0.2 7000 40001 2 >/dev/null
	run on h1 "$HAKO" lab exec enc6 n1 python3 "$PROBE" ask 10.9.0.2 7000 40001 5
	[ "$output" = "10.9.0.1:40001" ]
	big h1 enc6 n1 10.9.0.2 7000 $((1370 - 28))
	nft list table bridge underlay
	nft list counter bridge underlay vxlan | grep -q "packets 0 bytes 0"
	run ! bash -c "nft list counter bridge underlay wg6 | grep -q 'packets 0 '"
	# Every WireGuard datagram went over IPv6.
	[ "$(nft list counter bridge underlay wg | grep -o 'packets [0-9]*')" = "$(nft list counter bridge underlay wg6 | grep -o 'packets [0-9]*')" ]
	kill_bg
	for i in 1 2; do on "h$i" "$HAKO" lab down enc6; done
	nft delete table bridge underlay
}
