# Shared set-up for hako's integration tests. tests/run starts every test case in its own
# network + mount namespace (unshare --net --mount), so nothing here touches the host's network
# or mount table. Each test gets its own directories for hako's state.

HAKO=${HAKO:-$BATS_TEST_DIRNAME/../../build/hako}
FIXTURES=$BATS_TEST_DIRNAME/../fixtures
# `run !` and `run -N` (assertions in mid-test; a bare `! cmd` there can never fail).
bats_require_minimum_version 1.5.0

common_setup() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; false; }
	[ -n "${HAKO_TEST_NS:-}" ] || { echo "run through tests/run (needs a private namespace)"; false; }
	# In the VM lane the guest's console says which case ran last, should the guest stop.
	[ "${HAKO_TEST_LANE:-}" != vm ] || echo "<4>hako-test: $BATS_TEST_DESCRIPTION" >/dev/kmsg
	TEST_TMP=$(mktemp -d /tmp/hako-test.XXXXXX)
	export HAKO_RUNTIME_DIR=$TEST_TMP/run HAKO_CONFIG_DIR=$TEST_TMP/etc
	export HAKO_STATE_DIR=$TEST_TMP/state HAKO_IMAGE_DIR=$TEST_TMP/machines
	mkdir -p "$HAKO_RUNTIME_DIR" "$HAKO_CONFIG_DIR" "$HAKO_STATE_DIR" "$HAKO_IMAGE_DIR"
	chmod 700 "$HAKO_IMAGE_DIR" # as hako makes it
	ip link set lo up
	BG_PIDS=()
	TEST_NETNS=()
	HAKO_CG=$(hako_cg_of "$HAKO_STATE_DIR")
	CGROUPS_BEFORE=$(hako_cgroups)
}

# machine_setup: common_setup for the machine commands, kept from the host's: no .nspawn file
# of the host's is read, no systemd unless a test says so, and unit files go to the test's
# directory.
machine_setup() {
	common_setup
	export HAKO_NSPAWN_DIRS=$TEST_TMP/systemd-nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
	export HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/no-systemd HAKO_SYSTEMD_UNIT_DIR=$TEST_TMP/units
}

# hako_cg_of STATEDIR: the cgroup below which hako puts that state directory's machines: "hako"
# for the default one, else "hako-" and its path's FNV-1a hash folded to 32 bits
# (src/container/cgroup.c), so every test's machines have a cgroup parent of their own.
hako_cg_of() {
	[ "$1" != /var/lib/hako ] || { echo hako; return; }
	python3 -c 'import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("hako-%08x" % ((h ^ (h >> 32)) & 0xffffffff))' "$1"
}

# The cgroups hako made (one per container, in each hierarchy).
hako_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d \( -path '*/hako/*' -o -path '*/hako-*/*' -o -name 'machine-*.scope' \) 2>/dev/null | sort
}

# A container whose hako a test killed with SIGKILL leaves its (empty) cgroup: remove those this
# test made, deepest first, once their killed tasks are gone. A machine-*.scope is systemd's:
# removing it behind systemd's back can keep the unit (and machined's machine) alive for good, so
# systemd is left to collect it; one it does not collect fails the test that left it.
remove_test_cgroups() {
	local cg i left=0
	while read -r cg; do
		[ -n "$cg" ] || continue
		if [[ $cg == *.scope ]]; then
			wait_for 10 test ! -d "$cg" || { echo "# systemd did not collect $cg"; left=1; }
			continue
		fi
		for i in $(seq 50); do [ -d "$cg" ] || break; rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done < <(comm -13 <(echo "$CGROUPS_BEFORE") <(hako_cgroups) | sort -r)
	# The per-state-directory parent (hako-HASH) the killed hako could not remove either.
	for cg in /sys/fs/cgroup/"$HAKO_CG" /sys/fs/cgroup/*/"$HAKO_CG"; do
		[ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null || true
	done
	return $left
}

# test_machines_gone: on a host with systemd-machined, no machine of this test's root
# directories may stay registered once its container ended (a later test would find its name
# taken); one that stays is terminated and fails the test. One whose leader is dead is what
# systemd 252 leaves when it misses that a scope emptied just after it started (the teardown's
# SIGKILL of a hako that was starting): terminated, as hako's next run of the name would, not
# counted.
test_machines_gone() {
	command -v machinectl >/dev/null && [ -d /run/systemd/machines ] || return 0
	local f leader left=0
	for f in /run/systemd/machines/*; do
		[ -f "$f" ] && grep -q "^ROOT=$TEST_TMP" "$f" 2>/dev/null || continue
		wait_for 10 test ! -f "$f" && continue
		leader=$(sed -n 's/^LEADER=//p' "$f")
		if [ -n "$leader" ] && [ -e "/proc/$leader" ]; then
			echo "# systemd-machined still has ${f##*/}"
			left=1
		fi
		machinectl terminate "${f##*/}" 2>/dev/null || true
	done
	return $left
}

# kill_test_supervisors: SIGKILL to the supervisor of every machine this test's state dir still
# lists (a failed test leaves them running); `hako list` then collects what they left.
kill_test_supervisors() {
	local st pid
	for st in "${HAKO_RUNTIME_DIR:-/nonexistent}"/machines/*/state; do
		[ -f "$st" ] || continue
		pid=$(. "$st" && echo "$SUPERVISOR")
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Only in this test's own directories, never the host's.
	[ -z "${HAKO_RUNTIME_DIR:-}" ] || "$HAKO" list >/dev/null 2>&1 || true
}

common_teardown() {
	# A failed test shows what its last `run` printed.
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${output:-}" ]; then
		printf '# last output (status %s):\n' "${status:-?}"
		printf '#   %s\n' "${lines[@]}"
	fi
	remove_test_netns
	local pid
	for pid in "${BG_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	local left=0
	remove_test_cgroups || left=1
	test_machines_gone || left=1
	[ -n "${TEST_TMP:-}" ] || return $left
	# Unmount anything left below the test dir (deepest first), then remove it.
	grep -F " $TEST_TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$TEST_TMP"
	return $left
}

# make_root [DIR]: a fresh busybox tree; prints its path.
make_root() {
	local dir=${1:-$TEST_TMP/root}
	"$FIXTURES/mkroot.sh" "$dir" >/dev/null
	echo "$dir"
}

# bg CMD...: runs CMD in the background and remembers its pid for teardown.
bg() {
	"$@" &
	BG_PIDS+=($!)
}

# wait_for TIMEOUT_S CMD...: retries CMD every 50 ms until it succeeds or time runs out.
# Deadlines stretch by HAKO_TEST_SLOW (the VM lane under TCG emulation sets it): they bound a
# wait for readiness, they measure nothing.
wait_for() {
	local deadline=$((SECONDS + $1 * ${HAKO_TEST_SLOW:-1})); shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# netns NAME: a named test namespace for playing "outside" hosts, removed in teardown.
add_netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	TEST_NETNS+=("$1")
}

# underlay_hosts N...: simulated hosts hN for the tests across hosts (labhosts.bats,
# network-hosts.bats): a network namespace each, its eth0 on the underlay bridge ul of the test's
# namespace (192.0.2.N/24, 2001:db8::N/64), and its own hako directories below $TEST_TMP/hN.
underlay_hosts() {
	ip link add ul type bridge
	ip link set ul up
	local i
	for i in "$@"; do
		add_netns "h$i"
		ip link add "ul$i" type veth peer name eth0 netns "h$i"
		ip link set "ul$i" master ul up
		ip -n "h$i" addr add "192.0.2.$i/24" dev eth0
		ip -n "h$i" addr add "2001:db8::$i/64" dev eth0 nodad
		ip -n "h$i" link set eth0 up
		mkdir -p "$TEST_TMP/h$i/run" "$TEST_TMP/h$i/etc" "$TEST_TMP/h$i/state" "$TEST_TMP/h$i/machines"
	done
}

# on HOST CMD...: CMD in HOST's network namespace with HOST's hako directories. nsenter, not ip
# netns exec: that one's private mount namespace would take a lab's mounts with it.
on_argv() {
	ON_ARGV=(nsenter --net="/run/netns/$1" env HAKO_RUNTIME_DIR="$TEST_TMP/$1/run" HAKO_CONFIG_DIR="$TEST_TMP/$1/etc"
		HAKO_STATE_DIR="$TEST_TMP/$1/state" HAKO_IMAGE_DIR="$TEST_TMP/$1/machines")
}
on() {
	local h=$1
	shift
	on_argv "$h"
	"${ON_ARGV[@]}" "$@"
}
# on_bg HOST CMD...: on in the background; BG_PIDS gets CMD's own pid (nsenter and env exec it),
# not a subshell's, so that teardown's kill reaches it.
on_bg() {
	local h=$1
	shift
	on_argv "$h"
	"${ON_ARGV[@]}" "$@" &
	BG_PIDS+=($!)
}

# outside_httpd: a web server in the test's "out" namespace (network.bats, network-hosts.bats)
# whose /cgi-bin/ip answers with the client's address.
outside_httpd() {
	mkdir -p "$TEST_TMP/www/cgi-bin"
	printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho "$REMOTE_ADDR"\n' > "$TEST_TMP/www/cgi-bin/ip"
	chmod +x "$TEST_TMP/www/cgi-bin/ip"
	bg ip netns exec out busybox httpd -f -p 80 -h "$TEST_TMP/www"
	wait_for 5 ip netns exec out timeout 1 busybox wget -q -O /dev/null http://127.0.0.1/cgi-bin/ip
}

remove_test_netns() {
	local ns
	for ns in "${TEST_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

# debian_tree: DEB, the real Debian 12 tree with systemd (tests/fixtures/mkdebian.sh, which
# tests/run runs before any test enters its namespaces: it needs the package mirror). Never
# written: tests copy it or boot it --ephemeral. No tree is a failure, not a skip.
debian_tree() {
	DEB=${HAKO_TEST_DEBIAN:-$("$FIXTURES/mkdebian.sh")}
	[ -x "$DEB/lib/systemd/systemd" ] || { echo "no Debian tree at '$DEB'"; false; }
}

# wait_running CMD...: until `CMD systemctl is-system-running --wait` says running or degraded.
# systemctl fails until the guest's systemd listens on its socket: it is retried.
wait_running() {
	local deadline=$((SECONDS + 30 * ${HAKO_TEST_SLOW:-1})) out
	until out=$(timeout 30 "$@" systemctl is-system-running --wait 2>&1); [[ "$out" =~ ^(running|degraded)$ ]]; do
		[ $SECONDS -lt $deadline ] || { echo "not running after 30 s: $out"; return 1; }
		[[ "$out" != *"no machine"* ]] || { echo "the machine is gone: $out"; return 1; }
		sleep 0.2
	done
}

# debian_boot_bg ARGS...: boots a fresh copy of the real Debian tree (HAKO_TEST_DEBIAN, see
# tests/fixtures/mkdebian.sh; none is a failure) with `hako run -b ARGS` in the background,
# console to $TEST_TMP/console; sets BOOT_PID (hako's) and INIT (the guest's systemd) once
# `systemctl is-system-running --wait` answers inside. debian_poweroff ends it, exit 0 expected.
debian_boot_bg() {
	local deb=${HAKO_TEST_DEBIAN:-$("$FIXTURES/mkdebian.sh")} out deadline
	[ -x "$deb/lib/systemd/systemd" ] || { echo "no Debian tree at '$deb'"; false; }
	cp -a "$deb" "$TEST_TMP/deb"
	bg "$HAKO" run -q -b -D "$TEST_TMP/deb" -M deb --console=read-only "$@" </dev/null >"$TEST_TMP/console" 2>&1
	BOOT_PID=$!
	wait_for 30 pgrep -P "$BOOT_PID" -x systemd || { cat "$TEST_TMP/console"; false; }
	INIT=$(pgrep -P "$BOOT_PID" -x systemd)
	deadline=$((SECONDS + 60 * ${HAKO_TEST_SLOW:-1}))
	until out=$(timeout 30 nsenter -t "$INIT" -a systemctl is-system-running --wait 2>&1); [[ "$out" =~ ^(running|degraded)$ ]]; do
		[ $SECONDS -lt $deadline ] || { echo "not running: $out"; cat "$TEST_TMP/console"; return 1; }
		sleep 0.2
	done
}

debian_poweroff() {
	local st=0
	nsenter -t "$INIT" -a systemctl poweroff
	wait "$BOOT_PID" || st=$?
	[ "$st" -eq 0 ]
}
