#!/usr/bin/env bats
# A managed network across hosts (hako network create --peer=...): three "hosts" h1, h2, h3 are
# network namespaces of this test with their own hako directories on an underlay bridge
# (192.0.2.0/24, underlay_hosts in helpers.bash). An "outside" namespace on the same underlay
# (192.0.2.100) has no route to the containers' subnet: what reaches it from a container was
# NATed, and the source it sees says by which host.
load helpers

PEERS="--peer=192.0.2.1 --peer=192.0.2.2 --peer=192.0.2.3"

setup() {
	common_setup
	underlay_hosts 1 2 3
	add_netns out
	ip link add ulo type veth peer name eth0 netns out
	ip link set ulo master ul up
	ip -n out addr add 192.0.2.100/24 dev eth0
	ip -n out link set eth0 up
}

teardown() {
	local pid h f
	for pid in "${BG_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	BG_PIDS=()
	for h in h1 h2 h3; do
		for f in "$TEST_TMP/$h/etc"/networks/*.network; do
			[ -e "$f" ] && { on "$h" "$HAKO" network rm "$(basename "$f" .network)" || true; }
		done
		# A dnsmasq that survived a failed rm: started for this test, its pid is ours to end.
		for f in "$TEST_TMP/$h/run"/networks/*/dnsmasq.pid; do
			[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
		done
	done
	ip link del ul 2>/dev/null || true
	common_teardown
}

# create_all NAME SUBNET [OPTS...]: the same command on the three hosts.
create_all() {
	local h
	for h in h1 h2 h3; do on "$h" "$HAKO" network create "$@"; done
}

# sleeper HOST NAME NET: a container on HOST in the background; ready once its address is leased.
sleeper() {
	local root
	root=$(make_root "$TEST_TMP/root-$2")
	touch "$root/etc/resolv.conf"
	on_bg "$1" "$HAKO" run -q -D "$root" -M "$2" --network="$3" /bin/sleep 120
	wait_for 10 nsenter --net="/run/netns/$1" ip link show "vb-$2"
}

# addr_of HOST NET NAME: the address HOST's hako leased NAME.
addr_of() { awk -v m="$3" '$1 == m { print $2 }' "$TEST_TMP/$1/state/networks/$2/leases"; }

# lane: vm
@test "network-hosts: containers on two hosts reach each other, the outside through their own host's NAT, names and DHCP from the DHCP host" {
	outside_httpd
	create_all lan --subnet=10.70.0.0/24 $PEERS --dhcp
	# One dnsmasq, on the first peer (the default DHCP host), answering DNS at .254 as well.
	[ -e "$TEST_TMP/h1/run/networks/lan/dnsmasq.pid" ]
	[ ! -e "$TEST_TMP/h2/run/networks/lan/dnsmasq.pid" ]
	[ ! -e "$TEST_TMP/h3/run/networks/lan/dnsmasq.pid" ]
	run on h2 "$HAKO" network show lan
	[ "$status" -eq 0 ]
	[[ "$output" == *"Peer: 192.0.2.2 (this host)"* ]]
	[[ "$output" == *"DHCP host: 192.0.2.1"* ]]
	[[ "$output" == *"DNS: 10.70.0.254"* ]]
	[[ "$output" == *"MTU: 1450"* ]]
	[[ "$output" == *"Addresses here: 10.70.0.44-10.70.0.85"* ]]
	sleeper h1 a lan
	[ "$(addr_of h1 lan a)" = 10.70.0.2 ]
	mac2=$(ip -n h2 -o link show hk-lan | grep -o 'link/ether [0-9a-f:]*')
	# Each host's gateway has its own MAC (the same one would arrive at the others as their own).
	[ "$mac2" != "$(ip -n h1 -o link show hk-lan | grep -o 'link/ether [0-9a-f:]*')" ]
	ROOT=$(make_root)
	touch "$ROOT/etc/resolv.conf"
	printf '#!/bin/sh\n[ "$1" = bound ] && echo "$ip $router $dns" > /tmp/lease\nexit 0\n' >"$ROOT/udhcpc.sh"
	chmod +x "$ROOT/udhcpc.sh"
	run on h2 "$HAKO" run -q -D "$ROOT" -M b --network=lan /bin/sh -c '
		ip -4 -o addr show host0 | grep -o "inet [0-9.]*"
		ping -c1 -W5 10.70.0.2 >/dev/null && echo ping-a
		timeout 5 wget -q -O- http://192.0.2.100/cgi-bin/ip
		# The gateway is this host'"'"'s bridge: no other host'"'"'s answer crossed.
		arping -c3 -w3 -I host0 10.70.0.1 >/dev/null
		ip neigh show 10.70.0.1 | grep -o "lladdr [0-9a-f:]*"
		grep nameserver /etc/resolv.conf
		nslookup a | grep -c "10.70.0.2$"
		udhcpc -i host0 -n -q -t 5 -s /udhcpc.sh >/dev/null 2>&1; cat /tmp/lease'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "inet 10.70.0.44" ]
	[ "${lines[1]}" = ping-a ]
	[ "${lines[2]}" = "[::ffff:192.0.2.2]" ]
	[ "${lines[3]}" = "lladdr ${mac2#link/ether }" ]
	[ "${lines[4]}" = "nameserver 10.70.0.254" ]
	[ "${lines[5]}" = 1 ]
	# A lease of dnsmasq's dynamic range, from h1, with every host's own gateway and h1's DNS.
	[[ "${lines[6]}" =~ ^10\.70\.0\.(1[3-9][0-9]|12[89]|2[0-4][0-9]|25[0-3])\ 10\.70\.0\.1\ 10\.70\.0\.254$ ]]
	# From h1, the outside sees h1.
	run on h1 "$HAKO" run -q -D "$ROOT" -M c --network=lan /bin/sh -c 'timeout 5 wget -q -O- http://192.0.2.100/cgi-bin/ip'
	[ "$status" -eq 0 ]
	[ "$output" = "[::ffff:192.0.2.1]" ]
}

# named HOST NAME NET: a container on HOST in the background; ready once its command started,
# which is after hako asked the DHCP host for its name.
named() {
	local root
	root=$(make_root "$TEST_TMP/root-$2")
	touch "$root/etc/resolv.conf"
	on_bg "$1" "$HAKO" run -q -D "$root" -M "$2" --network="$3" /bin/sh -c 'touch /started; exec sleep 120'
	NAMED_PID=${BG_PIDS[-1]}
	wait_for 10 test -e "$root/started"
}

# resolve HOST NAMES...: from a container on HOST, each name's address, or "none".
resolve() {
	local h=$1
	shift
	on "$h" "$HAKO" run -q -D "$ROOT" -M "ask-$h" --network=nm /bin/sh -c '
		for n in "$@"; do
			a=$(nslookup "$n" 2>/dev/null | awk "/^Name:/ { n = 1 } n && /^Address/ { print \$NF }" | tail -1)
			echo "$n ${a:-none}"
		done' sh "$@"
}

# lane: vm
@test "network-hosts: every host's containers have their names in the DHCP host's DNS; a name goes with its container, and a silent DHCP host costs a warning" {
	create_all nm --subnet=10.73.0.0/24 $PEERS --dhcp
	ROOT=$(make_root)
	touch "$ROOT/etc/resolv.conf"
	named h1 a nm
	named h2 b nm
	b_pid=$NAMED_PID
	named h3 c nm
	# Each host's first address: h1 2-43, h2 44-85, h3 86-127.
	run resolve h1 b c.hako
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'b 10.73.0.44\nc.hako 10.73.0.86')" ]
	run resolve h3 a b.hako c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 10.73.0.2\nb.hako 10.73.0.44\nc 10.73.0.86')" ]
	# The leases are h1's dnsmasq's, infinite (expiry 0), under each address's own client id.
	leases=$TEST_TMP/h1/state/networks/nm/dnsmasq.leases
	grep -q "^0 [0-9a-f:]* 10.73.0.44 b 00:68:61:6b:6f:3a:31:30:2e:37:33:2e:30:2e:34:34$" "$leases"
	# An ordinary DHCP client still leases from the upper half only.
	printf '#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > /tmp/lease\nexit 0\n' >"$ROOT/udhcpc.sh"
	chmod +x "$ROOT/udhcpc.sh"
	run on h2 "$HAKO" run -q -D "$ROOT" -M dyn --network=nm /bin/sh -c 'udhcpc -i host0 -n -q -t 5 -s /udhcpc.sh >/dev/null 2>&1; cat /tmp/lease'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^10\.73\.0\.(1[3-9][0-9]|12[89]|2[0-4][0-9]|25[0-3])$ ]]
	# b ends: h2's hako gives the lease back, and the name goes (dnsmasq answers at once).
	kill -TERM "$b_pid"
	wait "$b_pid" || true
	run grep -c " b " "$leases"
	[ "$output" = 0 ]
	run resolve h1 b c
	[ "$output" = "$(printf 'b none\nc 10.73.0.86')" ]
	# Back, it has its name again.
	named h2 b nm
	run resolve h1 b
	[ "$output" = "b 10.73.0.44" ]
	# With h1's dnsmasq gone, a container on h2 starts anyway, with one line saying what it lacks.
	kill "$(cat "$TEST_TMP/h1/run/networks/nm/dnsmasq.pid")"
	wait_for 5 sh -c "! kill -0 $(cat "$TEST_TMP/h1/run/networks/nm/dnsmasq.pid") 2>/dev/null"
	run on h2 "$HAKO" run -q -D "$ROOT" -M lone --network=nm /bin/echo up
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'hako: warning: network nm: the DHCP host 192.0.2.1 did not answer: lone has no name in DNS\nup')" ]
}

@test "network-hosts: containers started at once on three hosts never get the same address" {
	create_all col --subnet=10.71.0.0/27 $PEERS
	local h i root
	for h in 1 2 3; do
		for i in 1 2 3; do
			root=$(make_root "$TEST_TMP/root-c$h$i")
			on_bg "h$h" "$HAKO" run -q -D "$root" -M "c$h$i" --network=col /bin/sleep 120
		done
	done
	for h in 1 2 3; do
		for i in 1 2 3; do wait_for 20 nsenter --net="/run/netns/h$h" ip link show "vb-c$h$i"; done
	done
	all=$(for h in 1 2 3; do for i in 1 2 3; do addr_of "h$h" col "c$h$i"; done; done)
	echo "$all"
	[ "$(echo "$all" | wc -l)" = 9 ]
	[ "$(echo "$all" | sort -u | wc -l)" = 9 ]
	# Each host's from its own slice of [2, 30], 9 addresses each, whatever the order they came in.
	[ "$(for i in 1 2 3; do addr_of h1 col "c1$i"; done | sort | tr '\n' ' ')" = "10.71.0.2 10.71.0.3 10.71.0.4 " ]
	[ "$(for i in 1 2 3; do addr_of h2 col "c2$i"; done | sort | tr '\n' ' ')" = "10.71.0.11 10.71.0.12 10.71.0.13 " ]
	[ "$(for i in 1 2 3; do addr_of h3 col "c3$i"; done | sort | tr '\n' ' ')" = "10.71.0.20 10.71.0.21 10.71.0.22 " ]
	# A full slice is a clear error, not an address of another host's slice.
	for i in 4 5 6 7 8 9; do sleeper h3 "c3$i" col; done
	[ "$(addr_of h3 col c39)" = 10.71.0.28 ]
	run on h3 "$HAKO" run -q -D "$(make_root "$TEST_TMP/full")" -M full --network=col /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"no free address left on network col"* ]]
}

@test "network-hosts: rm takes the vxlan link, its FDB and the gateway filter with it" {
	create_all gone --subnet=10.72.0.0/24 $PEERS --vni=4242 --vxlan-port=4790
	run ip -n h2 -d link show hx-gone
	[[ "$output" == *"vxlan id 4242 local 192.0.2.2 "*"dstport 4790 "* ]]
	[[ "$output" == *"master hk-gone"* ]]
	run bridge -n h2 fdb show dev hx-gone
	[[ "$output" == *"00:00:00:00:00:00 dst 192.0.2.1 "* ]]
	[[ "$output" == *"00:00:00:00:00:00 dst 192.0.2.3 "* ]]
	[[ "$output" != *"dst 192.0.2.2 "* ]]
	ip netns exec h2 nft list table bridge hako | grep -q 'oifname "hx-gone" arp daddr ip 10.72.0.1 drop'
	on h2 "$HAKO" network rm gone
	run ip -n h2 link show hx-gone
	[ "$status" -ne 0 ]
	[ -z "$(bridge -n h2 fdb show | grep 'dst 192.0.2')" ]
	[ -z "$(ip netns exec h2 nft list tables)" ]
	# The other hosts keep theirs until they remove it too.
	ip -n h1 link show hx-gone >/dev/null
}

# strace is the host lane's (the VM image has none).
@test "network-hosts: up writes the network's rules and its gateway filter in one transaction; rm of a network without peers asks for no vxlan link" {
	command -v strace
	# Two batches: the table brought up to date, then the network's own rules with the VXLAN's
	# gateway filter (a third batch for the filter left the network open across the tunnel
	# between the two).
	ASAN_OPTIONS=detect_leaks=0 on h2 strace -f -e trace=sendmsg -s 64 -o "$TEST_TMP/strace" \
		"$HAKO" network create one --subnet=10.73.0.0/24 $PEERS
	[ "$(grep -c NFNL_MSG_BATCH_BEGIN "$TEST_TMP/strace")" = 2 ]
	ip netns exec h2 nft list table bridge hako | grep -q 'oifname "hx-one" arp daddr ip 10.73.0.1 drop'
	on h2 "$HAKO" network rm one
	# Without peers there is no vxlan link to delete, and rm asks the kernel for none.
	on h2 "$HAKO" network create solo --subnet=10.74.0.0/24
	ASAN_OPTIONS=detect_leaks=0 on h2 strace -f -e trace=sendmsg,sendto -s 256 -o "$TEST_TMP/strace-rm" \
		"$HAKO" network rm solo
	grep -q '"hk-solo"' "$TEST_TMP/strace-rm"
	run grep -c '"hx-solo"' "$TEST_TMP/strace-rm"
	[ "$output" = 0 ]
}

@test "network-hosts: bad peer options are one line, exit 125, nothing made" {
	state() { ip -n h2 -o link; ip netns exec h2 nft list ruleset; ls -R "$TEST_TMP/h2/etc" "$TEST_TMP/h2/run"; }
	on h2 "$HAKO" network list >/dev/null # its lock file is made by any command
	before=$(state)
	check() { # check EXPECTED-MESSAGE ARGS...
		local want=$1; shift
		run on h2 "$HAKO" network create x --subnet=10.73.0.0/24 "$@"
		[ "$status" -eq 125 ] || { echo "status $status: $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "lines: $output"; return 1; }
		[[ "$output" == "hako: "*"$want"* ]] || { echo "message: $output"; return 1; }
	}
	check "no --peer= address is on this host: give this host's with --local=" --peer=192.0.2.7 --peer=192.0.2.8
	check "--local=192.0.2.9 is not one of the --peer= addresses" --peer=192.0.2.1,192.0.2.2 --local=192.0.2.9
	check "invalid --peer=192.0.2: expected an IPv4 or IPv6 address" --peer=192.0.2 --peer=192.0.2.2
	check "invalid --vni=16777216: expected a VNI from 1 to 16777215" $PEERS --vni=16777216
	check "invalid --vni=0" $PEERS --vni=0
	check "invalid --vxlan-port=65536" $PEERS --vxlan-port=65536
	check "--dhcp-host=192.0.2.9 is not one of the --peer= addresses" $PEERS --dhcp-host=192.0.2.9
	check "--peer=192.0.2.2 is listed twice" --peer=192.0.2.1 --peer=192.0.2.2 --peer=192.0.2.2
	check "--peer=2001:db8::1 is not of the first peer's address family" --peer=192.0.2.2 --peer=2001:db8::1
	check "--peer= needs every host's address, at least two" --peer=192.0.2.2
	check "--local=, --vni=, --vxlan-port= and --dhcp-host= need --peer=" --vni=5
	check "subnet 10.73.0.0/29 is too small for 3 peers" $PEERS --subnet=10.73.0.0/29 --dhcp
	diff <(echo "$before") <(state)
}

# lane: vm
@test "network-hosts: a booted Debian on h2 reaches a container on h1 and the outside through h2, over IPv4 and IPv6; its networkd leases from h1's dnsmasq and takes no router of h1's" {
	ip -n out addr add 2001:db8::100/64 dev eth0 nodad
	outside_httpd
	create_all lan --subnet=10.70.0.0/24 --ipv6=fd70::/64 $PEERS --dhcp
	ROOT=$(make_root)
	mkdir -p "$ROOT/www" && echo from-a >"$ROOT/www/index.html"
	on_bg h1 "$HAKO" run -q -D "$ROOT" -M a --network=lan /bin/httpd -f -p 80 -h /www
	wait_for 10 nsenter --net=/run/netns/h1 ip link show vb-a
	# debian_boot_bg runs "$HAKO": here, hako on h2.
	on_argv h2
	{ echo '#!/bin/bash'; printf 'exec'; printf ' %q' "${ON_ARGV[@]}" "$HAKO"; echo ' "$@"'; } >"$TEST_TMP/hako-h2"
	chmod +x "$TEST_TMP/hako-h2"
	local real=$HAKO
	HAKO=$TEST_TMP/hako-h2
	debian_boot_bg --network=lan
	HAKO=$real
	run nsenter -t "$INIT" -a bash -c '
		get() { exec 3<>"/dev/tcp/$1/80" && printf "GET $2 HTTP/1.0\r\n\r\n" >&3 && tail -n1 <&3; }
		ip -4 -o addr show host0 | grep -o "inet [0-9.]*"
		get 10.70.0.2 /
		get 192.0.2.100 /cgi-bin/ip
		get fd70::2 /
		get 2001:db8::100 /cgi-bin/ip
		systemctl start systemd-networkd
		for i in $(seq 150); do ip -4 -o addr show host0 dynamic | grep -q . && break; sleep 0.2; done
		ip -4 -o addr show host0 dynamic | grep -o "inet [0-9.]*"
		# networkd solicited a router when it took host0, before its DHCPv4 lease: an answer of
		# h1'"'"'s dnsmasq, had it crossed, would be in by now. Only hako'"'"'s route, via h2.
		ip -6 route show default | grep -o "via [0-9a-f:]*"
		get 2001:db8::100 /cgi-bin/ip
		ip -6 neigh show fd70::1 | grep -o "lladdr [0-9a-f:]*"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "inet 10.70.0.44" ]
	[ "${lines[1]}" = from-a ]
	[ "${lines[2]}" = "[::ffff:192.0.2.2]" ]
	[ "${lines[3]}" = from-a ]
	[ "${lines[4]}" = "[2001:db8::2]" ]
	[[ "${lines[5]}" =~ ^inet\ 10\.70\.0\.(1[3-9][0-9]|12[89]|2[0-4][0-9]|25[0-3])$ ]]
	[ "${lines[6]}" = "via fd70::1" ]
	[ "${lines[7]}" = "[2001:db8::2]" ]
	[ "${lines[8]}" = "lladdr $(mac_of h2 hk-lan)" ]
	[ "${#lines[@]}" -eq 9 ]
	debian_poweroff
}

# Each host's port forwards are its own: the forward made on h2 answers at h2's underlay address
# from h2's container; h1 and h3, on the same segment, forward nothing.
@test "network-hosts: a port forward reaches its own host's container; the other hosts forward nothing" {
	create_all pf --subnet=10.71.0.0/24 $PEERS
	ROOT=$(make_root)
	mkdir -p "$ROOT/www"
	echo served-on-h2 >"$ROOT/www/index.html"
	on_bg h2 "$HAKO" run -q -D "$ROOT" -M w2 --network=pf -p 8080:80 /bin/httpd -f -p 80 -h /www
	wait_for 20 ip netns exec out timeout 2 busybox wget -q -O /dev/null http://192.0.2.2:8080/
	run ip netns exec out timeout 5 busybox wget -q -O- http://192.0.2.2:8080/
	[ "$status" -eq 0 ]
	[ "$output" = served-on-h2 ]
	local h
	for h in 1 3; do
		run ip netns exec out timeout 3 busybox wget -q -O- "http://192.0.2.$h:8080/"
		[ "$status" -ne 0 ]
		[[ "$output" != *served-on-h2* ]]
	done
}

# probe6 N NAME PEER6: a container NAME on host hN of network v6 (fd74::/64) that pings PEER6
# (a container of another host), fetches the outside's /cgi-bin/ip over IPv6, resolves its
# gateway fd74::1 (after a few exchanges, so that a second answer, had one crossed, would have
# overridden the first) and prints the routers of its default routes (lines[3] on). Checks that
# it reached PEER6, the outside saw hN's underlay address (hN's NAT66), the gateway's MAC is hN's
# bridge's and hako's default route is there.
probe6() {
	run on "h$1" "$HAKO" run -q -D "$ROOT" -M "$2" --network=v6 /bin/sh -c '
		ping -c1 -W5 '"$3"' >/dev/null && echo ping-peer
		timeout 5 wget -q -O- "http://[2001:db8::100]/cgi-bin/ip"
		ping -c3 -W5 fd74::1 >/dev/null
		ip -6 neigh show fd74::1 | grep -o "lladdr [0-9a-f:]*"
		# host0 solicited a router as it came up: on h1 dnsmasq answers (the wait ends there);
		# on h2 an answer of h1'"'"'s, had it crossed, would have come in the same time.
		for i in $(seq '"$((20 * ${HAKO_TEST_SLOW:-1}))"'); do
			ip -6 route show default | grep -q "via fe80:" && break
			sleep 0.25
		done
		ip -6 route show default | grep -o "via [0-9a-f:]*" | sort'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ping-peer ]
	[ "${lines[1]}" = "[2001:db8::$1]" ]
	[ "${lines[2]}" = "lladdr $(mac_of "h$1" hk-v6)" ]
	[ "${lines[3]}" = "via fd74::1" ]
}

# mac_of HOST LINK, ll_of HOST LINK: LINK's MAC and IPv6 link-local address in HOST.
mac_of() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
ll_of() { ip -n "$1" -6 -o addr show dev "$2" scope link | grep -o 'fe80::[0-9a-f:]*'; }

# The gateway filter's IPv6 half: the gateway's neighbour discovery, anything to or from its
# address, and router advertisements and solicitations stay off the vxlan link.
# lane: vm
@test "network-hosts: with IPv6, containers on two hosts reach each other; each one's gateway, router and NAT66 are its own host's" {
	ip -n out addr add 2001:db8::100/64 dev eth0 nodad
	outside_httpd
	# With --dhcp, dnsmasq on h1 (only) sends router advertisements.
	create_all v6 --subnet=10.74.0.0/24 --ipv6=fd74::/64 $PEERS --dhcp
	sleeper h1 a v6
	sleeper h2 b v6
	b_pid=${BG_PIDS[-1]}
	[ "$(addr_of h1 v6 a)" = 10.74.0.2 ]
	[ "$(addr_of h2 v6 b)" = 10.74.0.44 ]
	ROOT=$(make_root)
	touch "$ROOT/etc/resolv.conf"
	[ "$(mac_of h1 hk-v6)" != "$(mac_of h2 hk-v6)" ]
	# h1's: its NAT66 (h1's underlay address), its bridge's MAC, its dnsmasq's advertisement.
	probe6 1 c fd74::2c
	[ "${lines[4]}" = "via $(ll_of h1 hk-v6)" ]
	[ "${#lines[@]}" -eq 5 ]
	# h2's: its own NAT66 and bridge, and no router of h1's: one default route, hako's.
	probe6 2 d fd74::2
	[ "${#lines[@]}" -eq 4 ]
	# Both names have both records on every host: b's AAAA from the script h1's dnsmasq runs
	# for b's lease (a file per address), at the address h2 gave b.
	peer=$TEST_TMP/h1/run/networks/v6/peers.d/10.74.0.44
	wait_for 10 test -e "$peer"
	[ "$(cat "$peer")" = "fd74::2c b b.hako" ]
	for h in 1 2; do
		run on "h$h" "$HAKO" run -q -D "$ROOT" -M "n$h" --network=v6 /bin/sh -c '
			for n in a b.hako; do
				for t in A AAAA; do
					nslookup -type=$t "$n" | awk "/^Name:/ { n = 1 } n && /^Address/ { print \$NF }"
				done
			done'
		[ "$status" -eq 0 ]
		[ "$output" = "$(printf '10.74.0.2\nfd74::2\n10.74.0.44\nfd74::2c')" ]
	done
	# b ends: its lease goes, and its AAAA record with it.
	kill -TERM "$b_pid"
	wait "$b_pid" || true
	wait_for 10 test ! -e "$peer"
	# The script ignores what is not another host's container, and bad names.
	on h1 "$HAKO" network lease-event v6 add 02:00:00:00:00:01 10.74.0.2 x
	on h1 "$HAKO" network lease-event v6 add 02:00:00:00:00:01 10.74.0.200 x
	on h1 "$HAKO" network lease-event v6 add 02:00:00:00:00:01 10.74.0.45 '../x y'
	run ls "$TEST_TMP/h1/run/networks/v6/peers.d"
	[ "$output" = "" ]
}
