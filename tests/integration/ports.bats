#!/usr/bin/env bats
# -p/--port off a managed network (issue 15.6): with --network-veth, --network-bridge= and
# --network-zone= the container sets its own addresses, and the forwards follow them (a watcher
# of the container's rtnetlink address events, as nspawn's expose-port.c). Each case runs in its
# own network namespace (tests/run), which plays "the host".
load helpers

setup() { common_setup; ROOT=$(make_root); mkdir -p "$ROOT/ctl" "$ROOT/www"; }

teardown() {
	touch "$ROOT/ctl/stop" 2>/dev/null || true
	kill_test_supervisors
	HAKO_RUNTIME_DIR=$TEST_TMP/run2 HAKO_STATE_DIR=$TEST_TMP/state2 kill_test_supervisors
	common_teardown
}

UDPECHO=${UDPECHO:-$BATS_TEST_DIRNAME/../../build/tests/udpecho}
udp_ask() { "$BATS_TEST_DIRNAME/udp-ask.py" "$@"; }
# fetch URL: prints the body (busybox wget -T segfaults: timeout(1) bounds it instead).
fetch() { timeout 5 busybox wget -q -O- "$1"; }
forwarded() { nft list map inet hako "$1" 2>/dev/null | grep -qF -- "$2"; }
not_forwarded() { ! nft list map inet hako "$1" 2>/dev/null | grep -qF -- "$2"; }

# serves_until_stopped PORT BODY [ADDR...]: host port PORT answers BODY on 127.0.0.1 and each
# ADDR; then the container (the first in BG_PIDS) is told to stop, and its forward goes with it.
serves_until_stopped() {
	local port=$1 body=$2 a; shift 2
	wait_for 5 fetch "http://127.0.0.1:$port/"
	for a in 127.0.0.1 "$@"; do
		[ "$(fetch "http://$a:$port/")" = "$body" ]
	done
	touch "$ROOT/ctl/stop"
	wait "${BG_PIDS[0]}"
	not_forwarded ports4 "$port"
}

# serve ADDR4 ADDR6 [NEXT4 NEXT6]: a container script that sets host0's addresses itself,
# serves HTTP on :80 and UDP echo on :53, and on /ctl/move moves to NEXT4/NEXT6.
serve_script() {
	cat >"$ROOT/serve.sh" <<-'S'
	#!/bin/sh
	ip link set host0 up
	ip addr add "$1/24" dev host0
	ip -6 addr add "$2/64" dev host0
	httpd -p 80 -h /www
	/udpecho 53 echo &
	touch /ctl/ready
	while [ ! -e /ctl/move ] && [ ! -e /ctl/stop ]; do sleep 0.05; done
	if [ -e /ctl/move ]; then
		ip addr del "$1/24" dev host0
		ip -6 addr del "$2/64" dev host0
		ip addr add "$3/24" dev host0
		ip -6 addr add "$4/64" dev host0
		touch /ctl/moved
	fi
	while [ ! -e /ctl/stop ]; do sleep 0.05; done
	S
	chmod +x "$ROOT/serve.sh"
	cp "$UDPECHO" "$ROOT/udpecho"
}

# lane: vm
@test "ports: -p with --network-veth follows the address the container sets, TCP and UDP, both families" {
	[ -x "$UDPECHO" ] || { echo "build the udpecho helper first (scripts/build.sh)"; false; }
	serve_script
	echo pw > "$ROOT/www/index.html"
	bg "$HAKO" run -q -D "$ROOT" -M pw -n --capability=CAP_NET_ADMIN -p 8180:80 -p udp:5380:53 \
		/serve.sh 10.77.0.2 fd77::2 10.77.0.3 fd77::3
	wait_for 10 ip link show ve-pw
	ip addr add 10.77.0.1/24 dev ve-pw
	ip -6 addr add fd77::1/64 dev ve-pw nodad
	wait_for 10 test -e "$ROOT/ctl/ready"
	wait_for 5 forwarded ports4 "tcp . 8180 : 10.77.0.2 . 80"
	wait_for 5 fetch http://127.0.0.1:8180/
	[ "$(fetch http://127.0.0.1:8180/)" = pw ]
	[ "$(fetch http://10.77.0.1:8180/)" = pw ]
	[ "$(fetch 'http://[::1]:8180/')" = pw ]
	wait_for 5 forwarded ports6 "tcp . 8180 : fd77::2 . 80"
	[ "$(fetch 'http://[fd77::1]:8180/')" = pw ]
	wait_for 5 udp_ask 127.0.0.1 5380 ping
	[ "$(udp_ask 127.0.0.1 5380 ping)" = echo:ping ]
	[ "$(udp_ask ::1 5380 ping)" = echo:ping ]
	forwarded ports4 "udp . 5380 : 10.77.0.2 . 53"
	# The CVE-2020-8558 guard covers the veth's host end, which now has route_localnet.
	nft list set inet hako bridges | grep -q '"ve-pw"'
	[ "$(cat /proc/sys/net/ipv4/conf/ve-pw/route_localnet)" = 1 ]
	# The address changes inside: the forwards follow it.
	touch "$ROOT/ctl/move"
	wait_for 10 test -e "$ROOT/ctl/moved"
	wait_for 5 forwarded ports4 "tcp . 8180 : 10.77.0.3 . 80"
	wait_for 5 forwarded ports6 "tcp . 8180 : fd77::3 . 80"
	not_forwarded ports4 10.77.0.2
	[ "$(fetch http://127.0.0.1:8180/)" = pw ]
	[ "$(fetch 'http://[fd77::1]:8180/')" = pw ]
	[ "$(udp_ask 127.0.0.1 5380 ping)" = echo:ping ]
	# The container ends: its forwards, its watcher and its set element go.
	watcher=$(pgrep -x -P "${BG_PIDS[0]}" hako-portwatch)
	[ -n "$watcher" ]
	touch "$ROOT/ctl/stop"
	wait "${BG_PIDS[0]}"
	[ ! -e "/proc/$watcher" ]
	not_forwarded ports4 8180
	not_forwarded ports4 5380
	not_forwarded ports6 8180
	run nft list set inet hako bridges
	[[ "$output" != *ve-pw* ]]
}

# lane: vm
@test "ports: -p with --network-bridge= to a bridge of the host's; none before an address, gone after exit" {
	ip link add br-pt type bridge
	ip addr add 10.78.0.1/24 dev br-pt
	ip link set br-pt up
	echo bridged > "$ROOT/www/index.html"
	cat >"$ROOT/serve.sh" <<-'S'
	#!/bin/sh
	touch /ctl/started
	while [ ! -e /ctl/go ]; do sleep 0.05; done
	ip link set host0 up
	ip addr add 10.78.0.2/24 dev host0
	httpd -p 80 -h /www
	while [ ! -e /ctl/stop ]; do sleep 0.05; done
	S
	chmod +x "$ROOT/serve.sh"
	bg "$HAKO" run -q -D "$ROOT" -M bp --network-bridge=br-pt --capability=CAP_NET_ADMIN -p 8181:80 /serve.sh
	wait_for 10 test -e "$ROOT/ctl/started"
	# No address yet: no forward, and the port is held for it.
	not_forwarded ports4 8181
	run python3 -c 'import socket; socket.socket().bind(("0.0.0.0", 8181))'
	[ "$status" -ne 0 ]
	touch "$ROOT/ctl/go"
	wait_for 5 forwarded ports4 "tcp . 8181 : 10.78.0.2 . 80"
	serves_until_stopped 8181 bridged 10.78.0.1
	# The bridge is the host's: it stays, and so does the guard of its route_localnet.
	ip link show br-pt
	nft list set inet hako bridges | grep -q '"br-pt"'
	ip link del br-pt
}

@test "ports: -p needs a private network; a host port in use is refused" {
	run "$HAKO" run -q -D "$ROOT" -p 80 /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"-p/--port needs a private network"* ]]
	bg python3 -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 8183)); s.listen(); time.sleep(30)'
	wait_for 5 sh -c 'ss -Htln | grep -q ":8183 "'
	run "$HAKO" run -q -D "$ROOT" -M held -n -p 8183:80 /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"host port 8183 (tcp) is in use on the host"* ]]
	not_forwarded ports4 8183
}

# A booted Debian machine under hako start; its address is set from inside through hako shell
# (the tree's systemd-networkd is not enabled, and no DHCP server serves the veth).
# lane: vm
@test "ports: a Debian machine, hako start -n -p: the forward follows the address set inside, and goes with the machine" {
	DEB=${HAKO_TEST_DEBIAN:-$("$FIXTURES/mkdebian.sh")}
	[ -x "$DEB/lib/systemd/systemd" ] || { echo "no Debian tree at '$DEB'"; false; }
	mkdir -p "$TEST_TMP/www" && echo debian > "$TEST_TMP/www/index.html"
	# --notify-ready: start returns once the guest's systemd is up, so `systemd-run` finds its bus.
	"$HAKO" start -D "$DEB" -x -n -p 8184:80 --bind-ro=/bin/busybox:/opt/busybox \
		--bind-ro="$TEST_TMP/www:/opt/www" --notify-ready=yes deb
	# -x gives the container a name of its own (deb-SUFFIX), and so its veth.
	ve=$(ip -o link show | grep -o 've-deb[^@:]*' | head -n 1)
	ip addr add 10.79.0.1/24 dev "$ve"
	"$HAKO" shell deb ip link set host0 up
	"$HAKO" shell deb ip addr add 10.79.0.2/24 dev host0
	"$HAKO" shell deb systemd-run -q --unit=web /opt/busybox httpd -f -p 80 -h /opt/www
	wait_for 10 forwarded ports4 "tcp . 8184 : 10.79.0.2 . 80"
	wait_for 10 fetch http://127.0.0.1:8184/
	[ "$(fetch http://127.0.0.1:8184/)" = debian ]
	"$HAKO" shell deb ip addr del 10.79.0.2/24 dev host0
	"$HAKO" shell deb ip addr add 10.79.0.3/24 dev host0
	wait_for 10 forwarded ports4 "tcp . 8184 : 10.79.0.3 . 80"
	[ "$(fetch http://10.79.0.1:8184/)" = debian ]
	"$HAKO" poweroff --timeout=10 deb
	wait_for 15 sh -c '[ "$("$0" list)" = "No machines." ]' "$HAKO"
	not_forwarded ports4 8184
}

# second ARGS...: hako as another user of it, with state and runtime directories of its own.
second() { HAKO_STATE_DIR=$TEST_TMP/state2 HAKO_RUNTIME_DIR=$TEST_TMP/run2 "$HAKO" "$@"; }

# Two users of hako, each with directories of their own, start a machine "twin" each (issue
# 15.10): a non-default state directory's machines have a cgroup parent of their own. On a
# systemd host machine names are host-wide (machined's): the second is refused in one line.
# lane: vm
@test "state directories: each starts its own machine of the same name (a cgroup parent each)" {
	ROOT2=$(make_root "$TEST_TMP/root2")
	mkdir -p "$TEST_TMP/state2" "$TEST_TMP/run2"
	# hako sets the hostname: the trees' inittab must leave it.
	sed -i '/hostname -F/d' "$ROOT/etc/inittab" "$ROOT2/etc/inittab"
	"$HAKO" start -D "$ROOT" twin
	if [ "$(cat /proc/1/comm)" = systemd ]; then
		run second start -D "$ROOT2" twin
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "hako: machine twin is already running"*"$ROOT"* ]]
		"$HAKO" stop twin
		return
	fi
	second start -D "$ROOT2" twin
	[ "$(second shell twin hostname)" = twin ]
	[ "$("$HAKO" shell twin hostname)" = twin ]
	cg2=$(hako_cg_of "$TEST_TMP/state2")
	[ "$cg2" != "$HAKO_CG" ]
	[ -n "$(find /sys/fs/cgroup -type d -path "*/$HAKO_CG/twin")" ]
	[ -n "$(find /sys/fs/cgroup -type d -path "*/$cg2/twin")" ]
	second stop twin
	[ -z "$(find /sys/fs/cgroup -type d -path "*/$cg2/twin")" ]
	[ "$("$HAKO" shell twin hostname)" = twin ]
	"$HAKO" stop twin
	[ -z "$(find /sys/fs/cgroup -type d -path "*/$HAKO_CG/twin")" ]
}

# lane: vm
@test "ports: -p with --network-zone=: the zone's bridge gets the guard, the forward goes to the address set inside" {
	echo zoned > "$ROOT/www/index.html"
	cat >"$ROOT/serve.sh" <<-'S'
	#!/bin/sh
	ip link set host0 up
	ip addr add 10.80.0.2/24 dev host0
	httpd -p 80 -h /www
	touch /ctl/ready
	while [ ! -e /ctl/stop ]; do sleep 0.05; done
	S
	chmod +x "$ROOT/serve.sh"
	bg "$HAKO" run -q -D "$ROOT" -M zp --network-zone=pz --capability=CAP_NET_ADMIN -p 8185:80 /serve.sh
	wait_for 10 ip link show vz-pz
	ip addr add 10.80.0.1/24 dev vz-pz
	wait_for 10 test -e "$ROOT/ctl/ready"
	wait_for 5 forwarded ports4 "tcp . 8185 : 10.80.0.2 . 80"
	nft list set inet hako bridges | grep -q '"vz-pz"'
	serves_until_stopped 8185 zoned '[::1]'
}
