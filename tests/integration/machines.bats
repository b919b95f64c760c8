#!/usr/bin/env bats
# hako start/list/show/status/stop/shell/login and .nspawn files (issue 5). Machines run under
# their own supervisors; teardown kills every supervisor these tests started.
load helpers

ESCAPE=${ESCAPE:-$BATS_TEST_DIRNAME/../../build/tests/escape}

setup() {
	machine_setup
}

# fake_tool NAME [SCRIPT]: an executable NAME in $TEST_TMP/bin (put first on PATH) that appends
# its arguments, one line a call, to $TEST_TMP/NAME.calls, then runs SCRIPT.
fake_tool() {
	mkdir -p "$TEST_TMP/bin"
	printf '#!/bin/sh\necho "$*" >> %s/%s.calls\n%s\n' "$TEST_TMP" "$1" "${2:-}" > "$TEST_TMP/bin/$1"
	chmod 755 "$TEST_TMP/bin/$1"
	export PATH=$TEST_TMP/bin:$PATH
}

teardown() {
	kill_test_supervisors
	common_teardown
}

# image NAME: a busybox tree in the image directory whose init leaves the hostname to hako.
# One tree is made, the others copied: mkroot forks once per applet, cp -a not at all.
image() {
	if [ ! -d "$TEST_TMP/template" ]; then
		make_root "$TEST_TMP/template" >/dev/null
		sed -i '/hostname -F/d' "$TEST_TMP/template/etc/inittab"
		[ ! -x "$ESCAPE" ] || cp "$ESCAPE" "$TEST_TMP/template/escape"
	fi
	cp -a "$TEST_TMP/template" "$HAKO_IMAGE_DIR/$1"
}

state() { (. "$HAKO_RUNTIME_DIR/machines/$1/state" && eval "echo \$$2"); }
# gone PID: exited (a zombie waiting for the host's init to reap it counts as gone).
gone() { ! grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
listed() { "$HAKO" list | grep -q "^$1 "; }
# has_tasks NAME N: hako status counts at least N tasks in the machine.
has_tasks() { [ "$("$HAKO" status "$1" | sed -n 's/^ *Tasks: //p')" -ge "$2" ] 2>/dev/null; }

@test "machines: 20 machines start, list, answer through shell, stop; nothing is left" {
	for i in $(seq 20); do image "m$i"; done
	before_cg=$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/$HAKO_CG/m*" | sort)
	"$HAKO" network create mnet --subnet=10.99.0.0/24
	for i in $(seq 20); do "$HAKO" start --network=mnet "m$i"; done
	echo "# started after $SECONDS s" >&3
	run "$HAKO" list
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "MACHINE CLASS     SERVICE OS      VERSION ADDRESSES" ]
	[ "$(echo "$output" | grep -c '^m[0-9]* *container hako *busybox 1.35 *10\.99\.0\.')" = 20 ]
	[ "${lines[-1]}" = "20 machines listed." ]
	run "$HAKO" shell m7 hostname
	[ "$status" -eq 0 ]
	[ "$output" = m7 ]
	leaders=$(for i in $(seq 20); do state "m$i" LEADER; state "m$i" SUPERVISOR; done)
	cgroups=$(for i in $(seq 20); do state "m$i" CGROUP; done)
	echo "# listed, shell after $SECONDS s" >&3
	"$HAKO" stop $(seq -f 'm%g' 20)
	echo "# stopped after $SECONDS s" >&3
	run "$HAKO" list
	[ "$output" = "No machines." ]
	for p in $leaders; do gone "$p"; done
	for c in $cgroups; do [ ! -e "$c" ]; done
	[ -z "$(ls -A "$HAKO_RUNTIME_DIR/machines")" ]
	[ "$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/$HAKO_CG/m*" | sort)" = "$before_cg" ]
	run ! grep -F "$HAKO_IMAGE_DIR" /proc/self/mountinfo
	# Veths go with their containers' namespaces, which the kernel destroys in the background.
	wait_for 5 sh -c '! ip -o link | grep -q " vb-"'
	"$HAKO" network rm mnet
	[ "$(ip -o link show | awk -F': ' '{print $2}')" = lo ]
	run nft list tables
	[ "$status" -eq 0 ]
	[[ "$output" != *hako* ]]
}

# lane: vm
@test "machines: kill -9 of a supervisor: the next list forgets the machine, its cgroups in every hierarchy and files are gone" {
	image k1
	# A CPU limit: on a hybrid host a v1 cpu cgroup too, beside memory, pids and the v2 one.
	"$HAKO" start --private-network --property=CPUQuota=50% k1
	sup=$(state k1 SUPERVISOR) leader=$(state k1 LEADER) cg=$(state k1 CGROUP)
	[ -d "$cg" ]
	all=$(machine_cgroups k1)
	echo "$all"
	[ "$(tr ' ' '\n' <<<"$(state k1 CGROUPS)" | sort)" = "$all" ]
	kill -KILL "$sup"
	wait_for 5 gone "$sup"
	run "$HAKO" list
	[ "$output" = "No machines." ]
	gone "$leader"
	wait_for 5 no_machine_cgroups k1 # systemd removes an emptied scope by itself
	[ ! -e "$HAKO_RUNTIME_DIR/machines/k1" ]
	"$HAKO" start --private-network k1 # the name is free again
	"$HAKO" terminate k1
}

# hako run collects the stale machine of its own name only, as hako start does: its start-up
# does not grow with the machines there are (issue 21); hako list collects the others.
@test "machines: hako run collects a machine of its name whose supervisor was killed, too" {
	image k3
	"$HAKO" start --private-network k3
	sup=$(state k3 SUPERVISOR)
	[ -n "$(machine_cgroups k3)" ]
	kill -KILL "$sup"
	wait_for 5 gone "$sup"
	[ -d "$HAKO_RUNTIME_DIR/machines/k3" ]
	run "$HAKO" run -q --private-network -D "$HAKO_IMAGE_DIR/k3" -M k3run true
	[ "$status" -eq 0 ]
	[ -d "$HAKO_RUNTIME_DIR/machines/k3" ] # another name's: left to hako list
	run "$HAKO" run -q --private-network -D "$HAKO_IMAGE_DIR/k3" true
	[ "$status" -eq 0 ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/k3" ]
	wait_for 5 no_machine_cgroups k3
}

@test "machines: kill -9 of a supervisor on a network: its veth and port forward are gone, the port is free" {
	image k2
	"$HAKO" network create knet --subnet=10.98.0.0/24
	"$HAKO" start --network=knet -p 8080:80 k2
	sup=$(state k2 SUPERVISOR)
	nft list map inet hako ports4 | grep -q 'tcp . 8080'
	kill -KILL "$sup"
	wait_for 5 gone "$sup"
	run "$HAKO" list
	[ "$output" = "No machines." ]
	wait_for 5 bash -c '! ip -o link | grep -q " vb-"'
	run nft list map inet hako ports4
	[[ "$output" != *'tcp . 8080'* ]]
	"$HAKO" start --network=knet -p 8080:80 k2 # the port can be forwarded again
	nft list map inet hako ports4 | grep -q 'tcp . 8080'
	"$HAKO" terminate k2
	"$HAKO" network rm knet
}

# lane: vm
@test "machines: SIGKILL of the machine's init, or poweroff from inside: the supervisor cleans up" {
	image c1
	"$HAKO" start --private-network c1
	sup=$(state c1 SUPERVISOR) cg=$(state c1 CGROUP)
	kill -KILL "$(state c1 LEADER)"
	wait_for 5 gone "$sup"
	[ ! -e "$cg" ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/c1" ]
	"$HAKO" start --private-network c1
	sup=$(state c1 SUPERVISOR)
	# busybox's init SIGTERMs every process as it shuts down: poweroff itself, too, if it has
	# not exited by then (128+15).
	run "$HAKO" shell c1 poweroff
	[ "$status" -eq 0 ] || [ "$status" -eq 143 ]
	wait_for 10 gone "$sup"
	run "$HAKO" list
	[ "$output" = "No machines." ]
}

# Issue 15.1: a machine whose PID 1 dies at once is not reported as started; what its console
# said and how PID 1 ended stay in its log after it is gone (hako log, hako status).
@test "machines: a PID 1 that dies while starting fails hako start; hako log and status keep why" {
	image dies
	rm "$HAKO_IMAGE_DIR/dies/sbin/init" # a link to busybox
	printf '#!/bin/sh\necho "init: cannot find /etc/fstab"\nexit 3\n' >"$HAKO_IMAGE_DIR/dies/sbin/init"
	chmod 755 "$HAKO_IMAGE_DIR/dies/sbin/init"
	run "$HAKO" start dies
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"hako: machine dies stopped while starting: PID 1 exited with status 3; its console's last lines (hako log dies):"* ]]
	[[ "$output" == *"init: cannot find /etc/fstab"* ]]
	run "$HAKO" list
	[ "$output" = "No machines." ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/dies" ]
	run "$HAKO" log dies
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "-- "*" hako: machine dies started, PID 1 is "*" --" ]]
	[ "${lines[1]}" = "init: cannot find /etc/fstab" ]
	[[ "${lines[2]}" == "-- "*" hako: machine dies stopped while starting: PID 1 exited with status 3 --" ]]
	run "$HAKO" status dies
	[ "$status" -eq 125 ]
	[[ "$output" == *"no machine dies is running"*"init: cannot find /etc/fstab"* ]]
	run "$HAKO" log nosuch
	[ "$status" -eq 125 ]
	[ "$output" = "hako: machine nosuch has no log (it never ran under hako start)" ]
}

# hako start returns once PID 1 has been exec'd and watched for a moment (src/machine/supervisor.c,
# START_CHECK_FACTOR). An init that cannot be executed (a #! line naming no interpreter) fails
# the start at once, with the exec error in one line on hako start's stderr, not in a console
# log nobody reads; nothing of the machine is left.
@test "machines: an init that cannot be executed fails hako start with the exec error, in one line" {
	image noexec
	rm "$HAKO_IMAGE_DIR/noexec/sbin/init" # a link to busybox
	printf '#!/no/such/shell\nexit 0\n' >"$HAKO_IMAGE_DIR/noexec/sbin/init"
	chmod 755 "$HAKO_IMAGE_DIR/noexec/sbin/init"
	run "$HAKO" start noexec
	echo "$output"
	[ "$status" -eq 127 ]
	[ "$output" = "hako: cannot execute /sbin/init: No such file or directory" ]
	run "$HAKO" list
	[ "$output" = "No machines." ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/noexec" ]
}

# An init that dies right after its exec, in the dynamic loader (a library missing): hako start
# fails with the loader's words from the console, however soon after the exec it dies.
@test "machines: an init missing a library fails hako start with the loader's message" {
	local loader
	loader=$(ldd /bin/true | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
	[ -n "$loader" ] || { ldd /bin/true; false; }
	image nolib
	rm "$HAKO_IMAGE_DIR/nolib/sbin/init"
	cp /bin/true "$HAKO_IMAGE_DIR/nolib/sbin/init" # dynamic: needs libc, which the tree lacks
	mkdir -p "$HAKO_IMAGE_DIR/nolib$(dirname "$loader")"
	cp -L "$loader" "$HAKO_IMAGE_DIR/nolib$loader"
	run "$HAKO" start nolib
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"hako: machine nolib stopped while starting: PID 1 exited with status 127;"* ]]
	[[ "$output" == *"/sbin/init: error while loading shared libraries: libc.so.6"* ]]
	run "$HAKO" list
	[ "$output" = "No machines." ]
}

# The log takes the console's output while nobody is logged in, control characters escaped when
# shown, and is bounded: past 64 KiB it moves to NAME.log.1, the one before is dropped.
@test "machines: the console log is kept bounded, shown escaped, and says how PID 1 ended" {
	image chatty
	rm "$HAKO_IMAGE_DIR/chatty/sbin/init"
	cat >"$HAKO_IMAGE_DIR/chatty/sbin/init" <<-'EOF'
	#!/bin/sh
	echo first
	i=0
	while [ $i -lt 3000 ]; do echo "line $i of a chatty console, padded to about sixty bytes"; i=$((i + 1)); done
	echo done
	exec sleep 600
	EOF
	chmod 755 "$HAKO_IMAGE_DIR/chatty/sbin/init"
	"$HAKO" start chatty
	shown() { "$HAKO" log -n 1 chatty | grep -qx done; }
	wait_for 10 shown
	run "$HAKO" log -n 2 chatty
	[ "${lines[0]}" = "line 2999 of a chatty console, padded to about sixty bytes" ]
	[ "${lines[1]}" = done ]
	[ "$(stat -c %s "$HAKO_STATE_DIR/logs/chatty.log")" -le $((64 * 1024 + 4096)) ]
	[ "$(stat -c %s "$HAKO_STATE_DIR/logs/chatty.log.1")" -le $((64 * 1024 + 4096)) ]
	run "$HAKO" log chatty
	[[ "$output" != *"first"* ]] # rotated out: 3000 lines are more than two files hold
	"$HAKO" terminate chatty
	run "$HAKO" log -n 1 chatty
	[[ "$output" == "-- "*" hako: machine chatty ended: PID 1 was killed by signal SIGKILL --" ]]
	# Colours dropped, other control characters escaped: what a machine printed never acts on the
	# reader's terminal (here, an OSC sequence that would set its title).
	image colour
	rm "$HAKO_IMAGE_DIR/colour/sbin/init"
	printf '#!/bin/sh\nprintf "colour \\033[0;31mred\\033[0m \\033]0;title\\007\\r\\n"\nexec sleep 600\n' >"$HAKO_IMAGE_DIR/colour/sbin/init"
	chmod 755 "$HAKO_IMAGE_DIR/colour/sbin/init"
	"$HAKO" start colour
	coloured() { "$HAKO" log colour | grep -q colour; }
	wait_for 10 coloured
	run "$HAKO" log colour
	[ "${lines[1]}" = 'colour red \x1b]0;title\x07' ]
	"$HAKO" terminate colour
}

@test "machines: reboot starts the machine again with a new PID 1" {
	image r1
	"$HAKO" start --private-network r1
	old=$(state r1 LEADER)
	"$HAKO" reboot r1
	wait_for 10 gone "$old"
	# Listed again with a new leader: the old state may still be listed while the supervisor
	# restarts (on a systemd host it waits for the old scope to go first).
	relaunched() { listed r1 && [ "$(state r1 LEADER)" != "$old" ]; }
	wait_for 15 relaunched
	run "$HAKO" shell r1 hostname
	[ "$output" = r1 ]
	"$HAKO" poweroff r1
	[ ! -e "$HAKO_RUNTIME_DIR/machines/r1" ]
}

@test "machines: a second start, bad names, missing images and unknown machines are one line and 125" {
	image d1
	"$HAKO" start --private-network d1
	run "$HAKO" start d1
	[ "$status" -eq 125 ]
	[ "$output" = "hako: machine d1 is already running (hako stop d1 first)" ]
	for bad in ../x a/b .hidden "$(printf 'x%.0s' $(seq 65))"; do
		run "$HAKO" start "$bad"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	run "$HAKO" start nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: no image nosuch in $HAKO_IMAGE_DIR"* ]]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/nosuch" ]
	for cmd in stop shell status show login reboot kill; do
		run "$HAKO" $cmd nosuch
		[ "$status" -eq 125 ]
		[ "$output" = "hako: no machine nosuch is running (see hako list)" ]
	done
	"$HAKO" terminate d1
}

# lane: vm
@test "machines: shell passes the exit status, runs as USER@, with PID 1's environment and bounding set" {
	image s1
	"$HAKO" start --private-network s1
	run "$HAKO" shell s1 /bin/sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run "$HAKO" shell user@s1 id -u
	[ "$output" = 1000 ]
	run "$HAKO" shell s1 /bin/sh -c 'echo $container $HOME'
	[ "$output" = "hako /root" ]
	run "$HAKO" shell -E A=b s1 /bin/sh -c 'echo $A'
	[ "$output" = b ]
	run "$HAKO" shell s1 /bin/sh -c 'grep CapBnd /proc/self/status; grep CapBnd /proc/1/status'
	[ "${lines[0]}" = "${lines[1]}" ]
	run "$HAKO" shell s1 /bin/sh -c 'cat /proc/self/cgroup | grep "^0::"; echo $$; ls /proc | grep -c "^[0-9]"'
	[ "${lines[0]}" = "0::/" ]
	run -127 "$HAKO" shell s1 nosuchcommand
	[ "$status" -eq 127 ]
	"$HAKO" stop s1
}

# confinement: the Seccomp, NoNewPrivs and CapBnd lines of a process's status.
confinement() { grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapBnd):' "/proc/$1/status"; }

@test "machines: a shell'd command is confined as the machine's own processes: filter, no_new_privs, bounding set" {
	[ -x "$ESCAPE" ] || { echo "build the escape helper first (scripts/build.sh)"; false; }
	image f1
	"$HAKO" start --private-network --system-call-filter='~@sync' --no-new-privileges=yes \
		--drop-capability=CAP_NET_RAW f1
	leader=$(state f1 LEADER)
	run "$HAKO" shell f1 cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapBnd):' <<<"$output")" = "$(confinement "$leader")" ]
	[[ "$output" == *"Seccomp:	2"* ]] && [[ "$output" == *"NoNewPrivs:	1"* ]]
	# The machine's user namespace, and its root is not the host's.
	run "$HAKO" shell f1 /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	[ "$output" = "$(cat "/proc/$leader/uid_map" "/proc/$leader/gid_map")" ]
	[ "$(awk '{print $1, $2}' <<<"${lines[0]}")" != "0 0" ]
	# Refused what the machine is refused: the default's and the machine's own removals.
	run "$HAKO" shell f1 /bin/sh -c 'for c in kexec_load bpf keyctl swapon sync getpid; do echo "$c $(/escape syscall $c)"; done'
	[ "$output" = "$(printf '%s EPERM\n' kexec_load bpf keyctl swapon sync; echo 'getpid ok')" ]
	run "$HAKO" shell f1 /escape audit
	[ "$output" = EAFNOSUPPORT ]
	# Also as another user of the machine, and for what the shell's children start.
	run "$HAKO" shell user@f1 /bin/sh -c '/escape syscall sync; grep NoNewPrivs /proc/self/status'
	[ "$output" = "$(printf 'EPERM\nNoNewPrivs:\t1')" ]
	"$HAKO" stop f1
	# A machine without those settings: the default filter, no_new_privs off, sync allowed.
	"$HAKO" start --private-network f1
	run "$HAKO" shell f1 /bin/sh -c '/escape syscall sync; /escape syscall kexec_load; grep NoNewPrivs /proc/self/status'
	[ "$output" = "$(printf 'ok\nEPERM\nNoNewPrivs:\t0')" ]
	[ "$("$HAKO" shell f1 cat /proc/self/status | grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapBnd):')" = \
	  "$(confinement "$(state f1 LEADER)")" ]
	"$HAKO" stop f1
}

@test "machines: shell on a terminal gets a pty of the machine's own devpts and the login shell" {
	command -v script >/dev/null || { echo "script(1) is not installed (package bsdutils)"; false; }
	image p1
	"$HAKO" start --private-network p1
	run timeout 10 script -qec "$HAKO shell p1 /bin/sh -c 'tty; exit 5'" /dev/null < /dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	run timeout 10 script -qec "$HAKO shell p1" /dev/null < <(printf 'echo inner-$((2+3))\nexit 4\n')
	[ "$status" -eq 4 ]
	[[ "$output" == *"inner-5"* ]]
	"$HAKO" stop p1
}

# bubblewrap's CVE-2017-5226: a command that keeps the admin's terminal as its controlling tty
# can push input into the admin's shell with TIOCSTI. Stdin is a terminal here, stdout a pipe, so
# hako allocates no pty: the command must still run in a session of its own, with no controlling
# tty (field 7 of /proc/self/stat is 0).
@test "machines: shell without a pty gives the command no controlling tty of the host (lab exec too: same path)" {
	command -v script >/dev/null || { echo "script(1) is not installed (package bsdutils)"; false; }
	image c1
	"$HAKO" start --private-network c1
	run timeout 10 script -qec "$HAKO shell c1 /bin/sh -c 'read pid comm state ppid pgrp sid tty rest < /proc/self/stat; echo tty=\$tty' | cat" /dev/null < /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tty=0"* ]]
	"$HAKO" stop c1
}

# lane: vm
@test "machines: login shows the console, three ^] detach, a later login attaches again" {
	image l1
	"$HAKO" start --private-network l1
	for word in first second; do
		run timeout 5 "$HAKO" login l1 < <(printf 'echo %s-$((6*7))\n' "$word"; sleep 1; printf '\035\035\035')
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"Connected to machine l1"* ]]
		[[ "$output" == *"$word-42"* ]]
	done
	listed l1
	"$HAKO" stop l1
}

@test "machines: list --json, show and status describe the running machine" {
	image j1
	"$HAKO" start --private-network j1
	run "$HAKO" list --json
	[ "$output" = '[{"machine":"j1","class":"container","service":"hako","os":"busybox","version":"1.35","addresses":[]}]' ]
	run "$HAKO" show j1
	[[ "$output" == *"Leader=$(state j1 LEADER)"* ]]
	[[ "$output" == *"RootDirectory=$HAKO_IMAGE_DIR/j1"* ]]
	[[ "$output" == *"State=running"* ]]
	run "$HAKO" show --json j1
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["Name"]=="j1" and d["Class"]=="container"' "$output"
	# busybox init forks its shell once it ran sysinit: wait for the second task.
	wait_for 10 has_tasks j1 2
	run "$HAKO" status j1
	[ "${lines[0]}" = "j1($(state j1 UUID | tr -d -))" ]
	[[ "$output" == *"OS: BusyBox test tree"* ]]
	tasks=$(echo "$output" | sed -n 's/^ *Tasks: //p')
	[ "$tasks" -ge 2 ]
	# Below CGroup:, its processes, PID 1 first, as machinectl status draws them (issue 15.10).
	grep -qE "^ +(├|└)─$(state j1 LEADER) " <<<"$output"
	[[ "$output" != *"Iface:"* ]]
	# ControlGroup= as systemd names it, from the hierarchy's root (issue 15.10).
	cg=$(state j1 CGROUP) v2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	run "$HAKO" show j1
	[[ "$cg" == "$v2"/* ]]
	[[ "$output" == *$'\n'"ControlGroup=${cg#"$v2"}"$'\n'* ]]
	"$HAKO" stop j1
	# A guest with a machine-id of its own is known by it, as machined knows it.
	echo 0123456789abcdef0123456789abcdef >"$HAKO_IMAGE_DIR/j1/etc/machine-id"
	"$HAKO" start --network-veth j1
	run "$HAKO" show j1
	[[ "$output" == *$'\n'"Id=0123456789abcdef0123456789abcdef"$'\n'* ]]
	run "$HAKO" status j1
	[ "${lines[0]}" = "j1(0123456789abcdef0123456789abcdef)" ]
	[[ "$output" == *$'\n'"           Iface: ve-j1"$'\n'* ]]
	"$HAKO" stop j1
}

# machine_cgroups NAME: the machine's cgroup directories in every hierarchy, v1 and v2.
# On a systemd host, its scope machine-NAME.scope.
machine_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d \( -path "*/$HAKO_CG/$1" -o -name "machine-$1.scope" \) 2>/dev/null | sort
}
no_machine_cgroups() { [ -z "$(machine_cgroups "$1")" ]; }

# lane: vm
@test "machines: status and show report memory and tasks from the memory and pids controllers (v1 on a hybrid host)" {
	image u2
	"$HAKO" start --private-network u2
	wait_for 10 has_tasks u2 2 # init and the shell it forks
	dirs=$(state u2 CGROUPS)
	[ "$(tr ' ' '\n' <<<"$dirs" | sort)" = "$(machine_cgroups u2)" ]
	mem=
	for d in $dirs; do
		[ -n "$mem" ] || mem=$(cat "$d/memory.current" 2>/dev/null || cat "$d/memory.usage_in_bytes" 2>/dev/null) || true
	done
	awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
		skip "the kernel has no memory controller"
	[ -n "$mem" ]
	# 16 MiB more in a tmpfs inside, one more process: the figures follow.
	"$HAKO" shell u2 /bin/sh -c 'sleep 60 </dev/null >/dev/null 2>&1 &'
	"$HAKO" shell u2 /bin/sh -c 'mkdir -p /run/m && mount -t tmpfs tmpfs /run/m && dd if=/dev/zero of=/run/m/f bs=1M count=16 2>/dev/null'
	run "$HAKO" show u2
	bytes=$(sed -n 's/^MemoryCurrent=//p' <<<"$output")
	tasks=$(sed -n 's/^TasksCurrent=//p' <<<"$output")
	echo "memory $mem -> $bytes, tasks $tasks"
	# The tmpfs file is charged to the machine's cgroup; the baseline's page cache and slab may
	# have been reclaimed meanwhile, so the growth itself can fall short of 16 MiB.
	[ "$bytes" -ge $((16 * 1024 * 1024)) ]
	[ "$bytes" -gt "$mem" ]
	[ "$tasks" -ge 3 ] # init, its shell, the sleep
	run "$HAKO" status u2
	[[ "$(sed -n 's/^ *Memory: //p' <<<"$output")" =~ ^[0-9.]+M$ ]]
	[ "$(sed -n 's/^ *Tasks: //p' <<<"$output")" -ge 3 ]
	run "$HAKO" show --json u2
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["MemoryCurrent"] > 16<<20 and d["TasksCurrent"] >= 3' "$output"
	"$HAKO" stop u2
	wait_for 5 no_machine_cgroups u2
}

@test "machines: list --all also lists the stopped machines (the images) with their OS, and a STATE column" {
	image la1
	image la2
	"$HAKO" start --private-network la2
	# An image whose os-release is an absolute symlink: read inside the tree, never the host's.
	image la3
	printf 'ID=hostleak\nVERSION_ID=6.6\n' > "$TEST_TMP/host-os-release"
	rm "$HAKO_IMAGE_DIR/la3/etc/os-release"
	ln -s "$TEST_TMP/host-os-release" "$HAKO_IMAGE_DIR/la3/etc/os-release"
	run "$HAKO" list
	[ "${lines[0]}" = "MACHINE CLASS     SERVICE OS      VERSION ADDRESSES" ]
	[ "${lines[-1]}" = "1 machines listed." ]
	run "$HAKO" list --all
	echo "$output"
	[ "${lines[0]}" = "MACHINE CLASS     SERVICE STATE   OS      VERSION ADDRESSES" ]
	[ "${lines[1]}" = "la1     container -       stopped busybox 1.35    -" ]
	[ "${lines[2]}" = "la2     container hako    running busybox 1.35    -" ]
	[ "${lines[3]}" = "la3     container -       stopped -       -       -" ]
	[ "${lines[-1]}" = "3 machines listed." ]
	run "$HAKO" list --all --json
	[ "$output" = '[{"machine":"la1","class":"container","service":"","state":"stopped","os":"busybox","version":"1.35","addresses":[]},{"machine":"la2","class":"container","service":"hako","state":"running","os":"busybox","version":"1.35","addresses":[]},{"machine":"la3","class":"container","service":"","state":"stopped","os":"","version":"","addresses":[]}]' ]
	"$HAKO" stop la2
	run "$HAKO" list --all
	[ "${lines[2]}" = "la2     container -       stopped busybox 1.35    -" ]
	# A machine of another name on la1's tree: la1 is not stopped, it is in use (issue 15.10).
	"$HAKO" start -D "$HAKO_IMAGE_DIR/la1" other
	run "$HAKO" list --all
	echo "$output"
	[ "${lines[1]}" = "la1     container -       in-use  busybox 1.35    -" ]
	[ "${lines[4]}" = "other   container hako    running busybox 1.35    -" ]
	run "$HAKO" list --all --json
	[[ "$output" == '[{"machine":"la1","class":"container","service":"","state":"in-use","used_by":"other",'* ]]
	"$HAKO" stop other
}

# Issue 20.2: one JSON writer for every --json. A tree's os-release may hold anything: quotes,
# control characters, UTF-8 and bytes that are not UTF-8 (U+FFFD then); the output stays JSON.
@test "machines: list --json is valid JSON whatever a tree's os-release holds" {
	image jx
	printf 'ID="a\\"b\tc\xc3\xa9\xff"\nVERSION_ID=1\n' > "$HAKO_IMAGE_DIR/jx/etc/os-release"
	"$HAKO" list --all --json | python3 -c '
import json, sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
assert d[0]["os"] == "a\"b\tc\u00e9\ufffd", d
'
}

# lane: vm
@test "machines: list shows the addresses of the machine's own network namespace" {
	image a1
	ip netns add hako-a1
	TEST_NETNS+=(hako-a1)
	ip link add a1-out type veth peer name a1-in
	ip link set a1-in netns hako-a1
	ip -n hako-a1 addr add 192.0.2.7/24 dev a1-in
	ip -n hako-a1 link set a1-in up
	# Joining a namespace of the host's user namespace: the machine keeps the host's ids.
	"$HAKO" start --private-users=no --network-namespace-path=/run/netns/hako-a1 a1
	run "$HAKO" list
	[[ "$output" == *"192.0.2.7"* ]]
	run "$HAKO" status a1
	[[ "$output" == *"Address: 192.0.2.7"* ]]
	"$HAKO" stop a1
}

@test "machines: enable records the machine and start --all-enabled starts it" {
	image e1
	image e2
	"$HAKO" enable e1 e2
	"$HAKO" disable e2
	"$HAKO" start --all-enabled # the test's own network namespace is shared
	listed e1
	run ! listed e2
	"$HAKO" stop e1
}

@test "machines: enable where systemd runs writes hako@.service and the machines.target.wants link; disable removes it" {
	image e3
	mkdir -p "$TEST_TMP/systemd"
	export HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/systemd
	fake_tool systemctl
	units=$HAKO_SYSTEMD_UNIT_DIR
	"$HAKO" enable e3
	[ "$(readlink "$units/machines.target.wants/hako@e3.service")" = ../hako@.service ]
	self=$(readlink -f "$HAKO")
	grep -qx "ExecStart=$self start %i" "$units/hako@.service"
	grep -qx "ExecStop=$self stop %i" "$units/hako@.service"
	grep -qx "WantedBy=machines.target" "$units/hako@.service"
	grep -qx "Delegate=yes" "$units/hako@.service"
	[ "$(cat "$TEST_TMP/systemctl.calls")" = daemon-reload ]
	[ -e "$HAKO_STATE_DIR/enabled/e3" ]
	"$HAKO" enable e3 # again: the same state, no error
	[ "$(readlink "$units/machines.target.wants/hako@e3.service")" = ../hako@.service ]
	"$HAKO" disable e3
	[ ! -e "$units/machines.target.wants/hako@e3.service" ] && [ ! -L "$units/machines.target.wants/hako@e3.service" ]
	[ ! -e "$HAKO_STATE_DIR/enabled/e3" ]
	[ "$(wc -l < "$TEST_TMP/systemctl.calls")" = 3 ]
	# No systemd: only the record for hako start --all-enabled, no unit.
	rm -rf "$units"
	export HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/no-systemd
	"$HAKO" enable e3
	[ -e "$HAKO_STATE_DIR/enabled/e3" ]
	[ ! -e "$units" ]
	# A bad name changes nothing.
	run "$HAKO" enable ../x
	[ "$status" -eq 125 ]
}

# ---- .nspawn files ----

@test "nspawn: the config directory wins over the systemd directories, which win over the image's" {
	image n1
	printf '[Exec]\nHostname=fromimage\n[Network]\nPrivate=yes\n' > "$HAKO_IMAGE_DIR/n1.nspawn"
	printf '[Exec]\nHostname=fromsystemd\n[Network]\nPrivate=yes\n' > "$HAKO_NSPAWN_DIRS/n1.nspawn"
	printf '[Exec]\nHostname=fromconfig\n[Network]\nPrivate=yes\n' > "$HAKO_CONFIG_DIR/n1.nspawn"
	for want in fromconfig fromsystemd; do
		"$HAKO" start n1
		run "$HAKO" shell n1 hostname
		[ "$output" = "$want" ]
		"$HAKO" stop n1
		rm "$( [ $want = fromconfig ] && echo "$HAKO_CONFIG_DIR" || echo "$HAKO_NSPAWN_DIRS")/n1.nspawn"
	done
	# Beside the image the file is untrusted: [Network] is ignored, with a warning.
	run "$HAKO" start n1
	[ "$status" -eq 0 ]
	[[ "$output" == *"n1.nspawn:4: Private= ignored: the file is not in a trusted directory"* ]]
	run "$HAKO" shell n1 hostname
	[ "$output" = fromimage ]
	"$HAKO" stop n1
}

# nspawn's rule for an untrusted file: every setting that grants privileges is ignored, also
# SystemCallFilter= (an allow-list could re-enable keyctl), PrivateUsersOwnership=chown (re-owns
# the tree on disk) and CPUAffinity=.
@test "nspawn: an untrusted file's SystemCallFilter=, PrivateUsersOwnership= and CPUAffinity= are ignored" {
	image u1
	cp "$ESCAPE" "$HAKO_IMAGE_DIR/u1/escape"
	printf '[Exec]\nSystemCallFilter=keyctl\nCPUAffinity=0\nPrivateUsers=pick\n[Files]\nPrivateUsersOwnership=chown\n[Network]\nPrivate=yes\n' > "$HAKO_IMAGE_DIR/u1.nspawn"
	run "$HAKO" start --private-network u1
	echo "$output"
	[ "$status" -eq 0 ]
	for key in SystemCallFilter CPUAffinity PrivateUsers PrivateUsersOwnership; do
		[[ "$output" == *"u1.nspawn:"*": $key= ignored: the file is not in a trusted directory"* ]]
	done
	run "$HAKO" shell u1 /escape syscall keyctl
	[ "$output" = EPERM ]
	[ "$(stat -c %u "$HAKO_IMAGE_DIR/u1/bin/busybox")" = 0 ]
	"$HAKO" stop u1
	# The same file from the config directory applies.
	mv "$HAKO_IMAGE_DIR/u1.nspawn" "$HAKO_CONFIG_DIR/u1.nspawn"
	sed -i '/Ownership/d' "$HAKO_CONFIG_DIR/u1.nspawn"
	"$HAKO" start u1
	run "$HAKO" shell u1 /escape syscall keyctl
	[ "$output" = EINVAL ]
	"$HAKO" stop u1
}

@test "nspawn: the command line overrides the file; Boot=no with Parameters= runs a command" {
	image o1
	printf '[Exec]\nHostname=file\nBoot=no\nParameters=/bin/sleep 1000\n[Network]\nPrivate=yes\n' > "$HAKO_CONFIG_DIR/o1.nspawn"
	"$HAKO" start --hostname=cli o1
	run "$HAKO" shell o1 hostname
	[ "$output" = cli ]
	run "$HAKO" shell o1 /bin/sh -c 'cat /proc/2/cmdline | tr "\0" " "'
	[ "$output" = "/bin/sleep 1000 " ]
	"$HAKO" stop o1
}

# systemd.nspawn(5): Parameters= is split like a shell command line (issue 15), not at blanks.
@test "nspawn: Parameters= keeps quoted words whole; a quote left open is an error at file:line" {
	image q1
	printf '#!/bin/sh\nfor a; do printf "[%%s]" "$a"; done > /argv.out\nexec sleep 1000\n' > "$HAKO_IMAGE_DIR/q1/argv.sh"
	chmod 755 "$HAKO_IMAGE_DIR/q1/argv.sh"
	printf '[Exec]\nBoot=no\nParameters=/argv.sh '"'"'a b'"'"' "c d" e\\x41\n[Network]\nPrivate=yes\n' > "$HAKO_CONFIG_DIR/q1.nspawn"
	"$HAKO" start q1
	wait_for 10 test -s "$HAKO_IMAGE_DIR/q1/argv.out"
	[ "$(cat "$HAKO_IMAGE_DIR/q1/argv.out")" = "[a b][c d][eA]" ]
	"$HAKO" stop q1
	printf '[Exec]\nBoot=no\nParameters=/argv.sh "open\n' > "$HAKO_CONFIG_DIR/q1.nspawn"
	run "$HAKO" start q1
	[ "$status" -eq 125 ]
	[ "$output" = "hako: $HAKO_CONFIG_DIR/q1.nspawn:3: invalid Parameters=/argv.sh \"open: a double quote is not closed" ]
}

# A .nspawn file is read non-blocking, as a regular file of at most 4 MiB (issue 18): a FIFO hung
# start, a link to /dev/zero read until memory ran out; a huge sparse os-release is skipped.
@test "nspawn: a FIFO or a link to /dev/zero as NAME.nspawn is an error at once; a huge os-release is not read" {
	image f1
	mkfifo "$HAKO_CONFIG_DIR/f1.nspawn"
	run timeout 10 "$HAKO" start f1
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[ "$output" = "hako: cannot read $HAKO_CONFIG_DIR/f1.nspawn: not a regular file" ]
	rm "$HAKO_CONFIG_DIR/f1.nspawn"
	ln -s /dev/zero "$HAKO_CONFIG_DIR/f1.nspawn"
	run timeout 10 "$HAKO" start f1
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[ "$output" = "hako: cannot read $HAKO_CONFIG_DIR/f1.nspawn: not a regular file" ]
	rm "$HAKO_CONFIG_DIR/f1.nspawn"
	truncate -s 300M "$HAKO_IMAGE_DIR/f1/etc/os-release"
	run timeout 10 "$HAKO" list --all
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^f1\ +container\ +-\ +stopped ]]
}

# Some editors begin a file with a UTF-8 byte order mark; systemd reads such a .nspawn (issue 18).
@test "nspawn: a .nspawn file that begins with a UTF-8 byte order mark is read" {
	image m1
	printf '\xef\xbb\xbf[Exec]\nHostname=withbom\n[Network]\nPrivate=yes\n' > "$HAKO_CONFIG_DIR/m1.nspawn"
	run "$HAKO" start m1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$HAKO" shell m1 hostname
	[ "$output" = withbom ]
	"$HAKO" stop m1
}

@test "nspawn: an unknown key is a warning with file:line, a bad value an error and nothing starts" {
	image u1
	printf '[Exec]\nHostname=u1\nFrobnicate=yes\n[Network]\nPrivate=yes\n' > "$HAKO_CONFIG_DIR/u1.nspawn"
	run "$HAKO" start u1
	[ "$status" -eq 0 ]
	[ "$output" = "hako: warning: $HAKO_CONFIG_DIR/u1.nspawn:3: unknown setting Frobnicate= in [Exec], ignored" ]
	"$HAKO" stop u1
	printf '[Exec]\nHostname=u1\n\nBoot=perhaps\n' > "$HAKO_CONFIG_DIR/u1.nspawn"
	run "$HAKO" start u1
	[ "$status" -eq 125 ]
	[ "$output" = "hako: $HAKO_CONFIG_DIR/u1.nspawn:4: invalid Boot=perhaps: expected a boolean (yes/no)" ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/u1" ]
	run "$HAKO" list
	[ "$output" = "No machines." ]
}

@test "nspawn: [Files] binds from a trusted file reach the machine" {
	image b1
	chmod 755 "$TEST_TMP" # the machine's root is a mapped uid: it must reach the source
	mkdir -p "$TEST_TMP/share"
	echo shared > "$TEST_TMP/share/f"
	printf '[Files]\nBindReadOnly=%s:/mnt\n[Network]\nPrivate=yes\n' "$TEST_TMP/share" > "$HAKO_CONFIG_DIR/b1.nspawn"
	"$HAKO" start b1
	run "$HAKO" shell b1 cat /mnt/f
	[ "$output" = shared ]
	run "$HAKO" shell b1 /bin/sh -c 'echo x > /mnt/g'
	[ "$status" -ne 0 ]
	"$HAKO" stop b1
}

@test "nspawn: the .nspawn files of seeds 000 and 002 ([Network] Bridge=) work unchanged" {
	image base
	ip link add br0 type bridge
	ip link set br0 up
	printf '[Network]\nBridge=br0\n' > "$HAKO_CONFIG_DIR/base.nspawn"
	run "$HAKO" start base
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	ip link show master br0 | grep -q 'vb-base'
	"$HAKO" stop base
	wait_for 5 sh -c '[ -z "$(ip link show master br0)" ]'
	# The command line's network replaces the file's [Network] as a whole, as in nspawn
	# (issue 15): -n is a veth of its own, --network= a hako network, neither also on br0.
	"$HAKO" start -n base
	ip link show ve-base >/dev/null
	[ -z "$(ip link show master br0)" ]
	"$HAKO" stop base
	"$HAKO" network create lan --subnet=10.93.0.0/24
	run "$HAKO" start --network=lan base
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ip link show master br0)" ]
	ip link show master hk-lan | grep -q 'vb-base'
	"$HAKO" stop base
	"$HAKO" network rm lan
}

# ---- images ----

@test "image: list, clone (a faithful copy with its .nspawn), rename, remove; running images are refused" {
	image i1
	printf '[Exec]\nHostname=i1\n' > "$HAKO_IMAGE_DIR/i1.nspawn"
	chown 1000:1000 "$HAKO_IMAGE_DIR/i1/home/user"
	"$HAKO" image clone i1 i2
	[ "$(cd "$HAKO_IMAGE_DIR/i1" && find . -printf '%p %y %s %m %U %G %l\n' | sort)" = \
	  "$(cd "$HAKO_IMAGE_DIR/i2" && find . -printf '%p %y %s %m %U %G %l\n' | sort)" ]
	cmp "$HAKO_IMAGE_DIR/i1/bin/busybox" "$HAKO_IMAGE_DIR/i2/bin/busybox"
	[ -f "$HAKO_IMAGE_DIR/i2.nspawn" ]
	run "$HAKO" image list
	[ "${lines[1]%% *}" = i1 ]
	[ "${lines[2]%% *}" = i2 ]
	[ "${lines[-1]}" = "2 images listed." ]
	run "$HAKO" image clone i1 i2
	[ "$status" -eq 125 ]
	[ "$output" = "hako: image i2 already exists" ]
	"$HAKO" start --private-network i2
	run "$HAKO" image remove i2
	[ "$status" -eq 125 ]
	[ "$output" = "hako: machine i2 is running (hako stop i2 first)" ]
	"$HAKO" stop i2
	"$HAKO" image rename i2 i3
	[ -d "$HAKO_IMAGE_DIR/i3" ] && [ -f "$HAKO_IMAGE_DIR/i3.nspawn" ] && [ ! -e "$HAKO_IMAGE_DIR/i2" ]
	"$HAKO" image remove i3
	[ ! -e "$HAKO_IMAGE_DIR/i3" ] && [ ! -e "$HAKO_IMAGE_DIR/i3.nspawn" ]
	run "$HAKO" image remove ../etc
	[ "$status" -eq 125 ]
}

@test "image: bootstrap names the missing tool and leaves nothing" {
	mkdir -p "$TEST_TMP/bin"
	ln -s "$(command -v env)" "$TEST_TMP/bin/env"
	run env PATH="$TEST_TMP/bin" "$HAKO" image bootstrap arch1 --distro=arch
	[ "$status" -eq 126 ]
	[ "$output" = "hako: pacstrap is needed to bootstrap arch and is not installed (package arch-install-scripts)" ]
	run "$HAKO" image bootstrap x1 --distro=plan9
	[ "$status" -eq 125 ]
	[ -z "$(ls -A "$HAKO_IMAGE_DIR")" ]
}

@test "image: bootstrap runs debootstrap with the seeds' command line and registers the tree" {
	# The fake debootstrap makes a tree at its third argument (the target directory).
	fake_tool debootstrap 'mkdir -p "$3/etc" && printf "ID=debian\nVERSION_ID=13\n" > "$3/etc/os-release"'
	run "$HAKO" image bootstrap deb1 --distro=debian --release=trixie
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/debootstrap.calls")" = \
	  "--include=systemd,systemd-sysv,dbus trixie $HAKO_IMAGE_DIR/deb1.bootstrap-tmp http://deb.debian.org/debian" ]
	[ -f "$HAKO_IMAGE_DIR/deb1/etc/os-release" ] && [ ! -e "$HAKO_IMAGE_DIR/deb1.bootstrap-tmp" ]
	run "$HAKO" image list
	[ "${lines[1]%% *}" = deb1 ]
	run "$HAKO" list --all
	[[ "${lines[1]}" =~ ^deb1\ +container\ +-\ +stopped\ +debian\ +13 ]]
	# ubuntu: its default release and mirror.
	"$HAKO" image bootstrap ub1 --distro=ubuntu
	[ "$(tail -1 "$TEST_TMP/debootstrap.calls")" = \
	  "--include=systemd,systemd-sysv,dbus noble $HAKO_IMAGE_DIR/ub1.bootstrap-tmp http://archive.ubuntu.com/ubuntu" ]
	# An existing image, a release that would be an option: refused before running anything.
	run "$HAKO" image bootstrap deb1 --distro=debian
	[ "$status" -eq 125 ]
	[ "$output" = "hako: image deb1 already exists" ]
	run "$HAKO" image bootstrap deb2 --distro=debian --release=--foreign
	[ "$status" -eq 125 ]
	[ "$output" = "hako: invalid --release=--foreign (a release name such as bookworm or 40)" ]
	[ "$(wc -l < "$TEST_TMP/debootstrap.calls")" = 2 ]
	# The tool fails: one line, nothing left.
	fake_tool debootstrap 'mkdir -p "$3/half"; exit 1'
	run "$HAKO" image bootstrap deb3 --distro=debian
	[ "$status" -eq 126 ]
	[ "${lines[-1]}" = "hako: debootstrap failed for image deb3 (its messages are above)" ]
	[ ! -e "$HAKO_IMAGE_DIR/deb3" ] && [ ! -e "$HAKO_IMAGE_DIR/deb3.bootstrap-tmp" ]
}

# A -U machine's root writes real setuid-root files into its tree: the images directory is made
# 0700 (systemd's tmpfiles.d does the same for /var/lib/machines), and start warns when it is not.
@test "image: the images directory is made 0700, and start warns while others can enter it" {
	rmdir "$HAKO_IMAGE_DIR"
	fake_tool debootstrap 'mkdir -p "$3/etc" "$3/sbin" && printf "ID=debian\n" > "$3/etc/os-release"'
	"$HAKO" image bootstrap w1 --distro=debian
	[ "$(stat -c %a "$HAKO_IMAGE_DIR")" = 700 ]
	make_root "$HAKO_IMAGE_DIR/w2" >/dev/null
	chmod 755 "$HAKO_IMAGE_DIR"
	run "$HAKO" start --private-network w2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hako: warning: $HAKO_IMAGE_DIR is open to other users: setuid files written by -U machines can be run by them (chmod 0700 it)" ]
	"$HAKO" stop w2
	chmod 700 "$HAKO_IMAGE_DIR"
	run "$HAKO" start --private-network w2
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	"$HAKO" stop w2
}

@test "image: bootstrap of debian without debootstrap names the package" {
	mkdir -p "$TEST_TMP/empty"
	run env PATH="$TEST_TMP/empty" "$HAKO" image bootstrap deb4 --distro=debian
	[ "$status" -eq 126 ]
	[ "$output" = "hako: debootstrap is needed to bootstrap debian and is not installed (package debootstrap)" ]
	[ -z "$(ls -A "$HAKO_IMAGE_DIR")" ]
}

# ---- a real Debian tree with systemd, booted in every mode ----

# no_leftovers: no cgroup of the guest (deb, or deb-SUFFIX with -x) and no mount of the tree
# stays behind. Only the guest's own: other hako instances on the host may come and go meanwhile.
no_leftovers() {
	[ -z "$(hako_cgroups | grep -E "/$HAKO_CG/deb(-[0-9a-f]+)?\$")" ]
	if grep -F -e "$DEB" -e "$TEST_TMP/" /proc/self/mountinfo; then false; fi
}

# boot_start ARGS...: `hako start ARGS deb` on a copy of the tree in the image directory (or,
# with -x, the tree itself), then running, a login prompt, poweroff within 10 s, nothing left.
boot_start() {
	debian_tree
	if [[ " $* " = *" -x "* ]]; then
		"$HAKO" start -D "$DEB" "$@" deb
	else
		cp -a "$DEB" "$HAKO_IMAGE_DIR/deb"
		"$HAKO" start "$@" deb
	fi
	wait_running "$HAKO" shell deb
	# hako list reads the guest's addresses through a socket made in its network namespace
	# (owned by its user namespace, with -U): never loopback's, none with --private-network.
	run "$HAKO" list --json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); a=d[0]["addresses"]
assert [m["machine"] for m in d] == ["deb"] and d[0]["os"] == "debian", d
assert not [x for x in a if x.startswith("127.") or x == "::1"], a
assert "--private-network" not in sys.argv[2:] or a == [], a' "$output" "$@"
	# hako login: Enter makes the guest's getty repeat its prompt; once it is there, ^]^]^] leaves.
	local out=$TEST_TMP/login.out sup
	timeout 15 "$HAKO" login deb >"$out" 2>&1 \
		< <(printf '\r'; wait_for 10 grep -q 'login: ' "$out"; printf '\035\035\035')
	grep -q 'login: ' "$out" || { cat "$out"; false; }
	sup=$(state deb SUPERVISOR)
	local start=$SECONDS
	"$HAKO" poweroff --timeout=10 deb
	wait_for 10 gone "$sup"
	[ $((SECONDS - start)) -le 10 ]
	run "$HAKO" list
	[ "$output" = "No machines." ]
	no_leftovers
}

# boot_run ARGS...: `hako run -b ARGS` in the background with a read-only console, on a copy of
# the tree (or, with -x, the tree itself); then running (asked inside through nsenter: hako run
# makes no machine for hako shell), the console's login prompt, and poweroff ends hako with 0
# within 10 s, leaving nothing.
boot_run() {
	debian_tree
	local dir=$DEB
	if [[ " $* " != *" -x "* ]]; then
		dir=$TEST_TMP/deb
		cp -a "$DEB" "$dir"
	fi
	bg "$HAKO" run -q -b -D "$dir" -M deb --console=read-only "$@" </dev/null >"$TEST_TMP/console" 2>&1
	local pid=$! init start st=0
	wait_for 10 pgrep -P "$pid" -x systemd
	init=$(pgrep -P "$pid" -x systemd)
	wait_running nsenter -t "$init" -a
	wait_for 10 grep -q 'login: ' "$TEST_TMP/console" || { cat "$TEST_TMP/console"; false; }
	start=$SECONDS
	nsenter -t "$init" -a systemctl poweroff
	wait_for 10 gone "$pid"
	[ $((SECONDS - start)) -le 10 ]
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	no_leftovers
}

# lane: vm
@test "boot: Debian with systemd, hako start NAME (default options: user namespace, host network)" {
	boot_start
}

# lane: vm
@test "boot: Debian with systemd, hako start --private-network NAME" {
	boot_start --private-network
}

# lane: vm
@test "boot: Debian with systemd, hako start --ephemeral NAME" {
	boot_start -x
}

# lane: vm
@test "boot: Debian with systemd, hako run -b (host network)" {
	boot_run
}

# lane: vm
@test "boot: Debian with systemd, hako run -b --private-network" {
	boot_run --private-network
}

# lane: vm
@test "boot: Debian with systemd, hako run -b -U (host network)" {
	boot_run -U
}

# lane: vm
@test "boot: Debian with systemd, hako run -b -U --private-network" {
	boot_run -U --private-network
}

# lane: vm
@test "boot: Debian with systemd, hako run -b --ephemeral (host network)" {
	boot_run -x
}

# lane: vm
@test "boot: Debian with systemd, hako run -b --ephemeral --private-network" {
	boot_run -x --private-network
}

# lane: vm
@test "boot: Debian with systemd, hako run -b --private-users=no (no user namespace)" {
	boot_run --private-users=no
}

# On a terminal the console is relayed live (issue 15): agetty's vhangup() hangs up every open
# end of the console, hako's too; the relay must go on, not stop until ^]^]^] ends the guest.
# lane: vm
@test "boot: Debian with systemd, hako run -b on a terminal shows the login prompt while the guest runs" {
	command -v script >/dev/null || { echo "script(1) is not installed (package bsdutils)"; false; }
	debian_tree
	local out=$TEST_TMP/term.out seen=$TEST_TMP/seen
	timeout 120 script -qfec "$HAKO run -q -b -x --private-network -M deb -D $DEB" "$out" \
		< <(wait_for 60 grep -q 'login: ' "$out" && touch "$seen"; printf '\035\035\035') >/dev/null || true
	[ -e "$seen" ] || { cat -v "$out"; false; }
	no_leftovers
}

# A Debian systemd that cannot start (no cgroup file system to mount: here it is made
# inaccessible) dies some milliseconds after its exec, after its own start-up work: hako start
# watches PID 1 long enough for it (a multiple of the set-up's time, so longer where the machine is
# slower, as under TCG), fails, and shows systemd's last words.
# lane: vm
@test "boot: Debian with systemd that cannot mount its cgroups fails hako start and says why" {
	debian_tree
	run "$HAKO" start -x -D "$DEB" --private-network --inaccessible=/sys/fs/cgroup deb
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"hako: machine deb stopped while starting: PID 1 exited with status "* ]]
	[[ "$output" == *"Exiting PID 1..."* ]]
	run "$HAKO" list
	[ "$output" = "No machines." ]
	no_leftovers
}

# Issue 18: a command's collection of stale state could remove a machine's directory between
# another start's mkdir and open ("cannot lock machine p3: Resource temporarily unavailable").
@test "machines: different machines started in parallel, while list collects, never fail" {
	local i round pids st fails=0
	for i in 1 2 3 4 5 6; do image "p$i"; done
	bg sh -c 'while :; do "$1" list >/dev/null 2>&1; done' _ "$HAKO"
	for round in 1 2 3; do
		pids=()
		for i in 1 2 3 4 5 6; do
			"$HAKO" start --private-network "p$i" >"$TEST_TMP/start-$i.out" 2>&1 &
			pids+=($!)
		done
		for i in 1 2 3 4 5 6; do
			st=0
			wait "${pids[$((i - 1))]}" || st=$?
			[ "$st" -eq 0 ] || { fails=$((fails + 1)); echo "round $round p$i: $st $(cat "$TEST_TMP/start-$i.out")"; }
		done
		for i in 1 2 3 4 5 6; do "$HAKO" stop "p$i" 2>/dev/null || true; done
	done
	[ "$fails" -eq 0 ]
}

# Issue 15.1 (nspawn's --notify-ready=yes): hako start returns once the guest's systemd says
# READY=1 on /run/host/notify, i.e. once it has booted, so no wait is needed before using it.
# lane: vm
@test "boot: Debian with systemd, hako start --notify-ready=yes returns once it is running" {
	debian_tree
	"$HAKO" start -x -D "$DEB" --notify-ready=yes deb
	run "$HAKO" shell deb systemctl is-system-running
	echo "$output"
	[[ "$output" =~ ^(running|degraded)$ ]]
	# PID 1's environment: a shell is a service of the guest's systemd, which does not pass it on.
	run "$HAKO" shell deb sh -c 'tr "\0" "\n" </proc/1/environ | sed -n "s/^NOTIFY_SOCKET=//p"; findmnt -n -o FSTYPE /run'
	[ "$output" = "$(printf '/run/host/notify\ntmpfs')" ]
	run "$HAKO" log deb
	[[ "$output" == *"Reached target multi-user.target - Multi-User System."* ]]
	"$HAKO" poweroff --timeout=10 deb
	run "$HAKO" log -n 1 deb
	[[ "$output" == "-- "*" hako: machine deb ended: PID 1 "* ]]
	no_leftovers
	# Boot=no runs a command, which hako does not wait for.
	image cmd
	printf '[Exec]\nBoot=no\nParameters=/bin/sleep 600\n' >"$HAKO_IMAGE_DIR/cmd.nspawn"
	run "$HAKO" start --notify-ready=yes cmd
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --notify-ready=yes needs a booted init (Boot=no runs a command)" ]
}

# Issue 18.7: the supervisor waits on only the fds in use, so a low RLIMIT_NOFILE (poll(2)
# refuses more entries than the limit) no longer kills the machine as soon as it has started.
@test "machines: a machine started under ulimit -n 24 keeps running and answering" {
	image lim
	(ulimit -n 24 && "$HAKO" start --private-network lim)
	run "$HAKO" shell lim echo hi
	[ "$output" = hi ]
	listed lim
	"$HAKO" stop lim
	run "$HAKO" log lim
	[[ "$output" != *"cannot wait for events"* ]]
}

# nspawn's empty bind source (--bind=:DST, Bind=:DST): a temporary directory below $TMPDIR (else
# /var/tmp), the container's root's, removed when the container ends however it ends: hako run
# on exit, hako start's supervisor on stop, the collection of a machine whose supervisor died.
@test "machines: --bind=:DST is a temporary directory, removed however the container ends" {
	export TMPDIR=$TEST_TMP/vartmp
	mkdir "$TMPDIR"
	image t1
	run "$HAKO" run -q -D "$HAKO_IMAGE_DIR/t1" --bind=:/scratch /bin/sh -c 'echo x >/scratch/f; ls /scratch; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = f ]
	[ -z "$(ls -A "$TMPDIR")" ]
	run "$HAKO" run -q -D "$HAKO_IMAGE_DIR/t1" --private-users=pick --bind=:/scratch:norbind /bin/sh -c 'stat -c %u /scratch'
	[ "$output" = 0 ]
	[ -z "$(ls -A "$TMPDIR")" ]
	run "$HAKO" run -q -D "$HAKO_IMAGE_DIR/t1" --bind=: true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: invalid --bind=:: an empty source (a temporary directory) needs a destination (:DST)" ]
	"$HAKO" start --private-network --bind=:/scratch t1
	[ "$(ls "$TMPDIR" | grep -c '^hako-bind-')" -eq 1 ]
	"$HAKO" stop t1
	[ -z "$(ls -A "$TMPDIR")" ]
	printf '[Files]\nBind=:/scratch\n' >"$HAKO_CONFIG_DIR/t1.nspawn"
	"$HAKO" start --private-network t1
	sup=$(state t1 SUPERVISOR)
	[ "$(ls "$TMPDIR" | grep -c '^hako-bind-')" -eq 1 ]
	kill -KILL "$sup"
	wait_for 5 gone "$sup"
	run "$HAKO" list
	[ "$output" = "No machines." ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

# hako start --settings=override: NAME.nspawn's keys win (Environment= replaces every -E).
@test "machines: hako start --settings=override, the file's keys win over the command line" {
	image t2
	printf '[Exec]\nEnvironment=FROM=file\n' >"$HAKO_CONFIG_DIR/t2.nspawn"
	"$HAKO" start --private-network --settings=override -E FROM=cmdline -E OTHER=x t2
	run sh -c "tr '\0' '\n' </proc/$(state t2 LEADER)/environ | grep -E '^(FROM|OTHER)='"
	[ "$output" = FROM=file ]
	"$HAKO" stop t2
	"$HAKO" start --private-network -E FROM=cmdline t2
	run sh -c "tr '\0' '\n' </proc/$(state t2 LEADER)/environ | grep -E '^(FROM|OTHER)='"
	[ "$output" = FROM=cmdline ]
	"$HAKO" stop t2
}

# Issue 21: a command on one machine costs the same whether 10 or 1000 others run. hako start,
# shell, status and stop used to sweep every machine's lock for stale state (and every cgroup
# of hako's), so each grew with the number running; they now look at their own machine only,
# and hako list collects the rest. 20 others "run" (their locks held by one process); no file
# of theirs is opened, made or looked at. Host lane only: the VM image carries no strace.
@test "machines: start, shell, status and stop of one machine open nothing of the others" {
	command -v strace
	image one
	bg bash -c 'for i in $(seq 20); do d=$1/machines/other$i; mkdir -p "$d"; exec {fd}>"$d/lock";
		flock -n "$fd" || exit 1; done; touch "$2"; exec sleep 600' - "$HAKO_RUNTIME_DIR" "$TEST_TMP/held"
	wait_for 10 test -e "$TEST_TMP/held"
	export ASAN_OPTIONS=detect_leaks=0 # LeakSanitizer's ptrace and strace's do not mix
	# Not -f for start: the supervisor it forks lives on (strace would wait for it).
	strace -e trace=%file,flock -o "$TEST_TMP/start.st" "$HAKO" start --private-network one
	strace -f -e trace=%file,flock -o "$TEST_TMP/shell.st" "$HAKO" shell one /bin/true
	strace -f -e trace=%file,flock -o "$TEST_TMP/status.st" "$HAKO" status one >/dev/null
	strace -f -e trace=%file,flock -o "$TEST_TMP/stop.st" "$HAKO" stop one
	for cmd in start shell status stop; do
		grep -q 'machines/one' "$TEST_TMP/$cmd.st" # the trace shows what it did
		run grep 'machines/other' "$TEST_TMP/$cmd.st"
		[ "$status" -eq 1 ] || { echo "# hako $cmd looked at other machines: ${lines[0]}"; false; }
	done
	[ "$(ls "$HAKO_RUNTIME_DIR/machines" | grep -c '^other')" -eq 20 ]
}

# fake_machines N: N machines fake1..fakeN that "run": their locks held and their state written
# by one process (their leader and supervisor), each on a tree of its own in $TEST_TMP/trees, but
# fake1 on the image img1 if there is one. Their network namespace is the test's.
fake_machines() {
	bg bash -c 'for i in $(seq "$1"); do d=$2/machines/fake$i; mkdir -p "$d" "$4/trees/fake$i"
		root=$4/trees/fake$i; [ "$i" != 1 ] || [ ! -d "$5/img1" ] || root=$5/img1
		printf "NAME=fake%s\nROOT=%s\nCGROUP=\nCGROUPS=\nLEADER=%s\nSUPERVISOR=%s\n" \
			"$i" "$root" $$ $$ >"$d/state"
		exec {fd}>"$d/lock"; flock -n "$fd" || exit 1; done
		touch "$3"; exec sleep 600' - "$1" "$HAKO_RUNTIME_DIR" "$TEST_TMP/held" "$TEST_TMP" "$HAKO_IMAGE_DIR"
	wait_for 10 test -e "$TEST_TMP/held"
}

# Issue 21: hako list read each machine's addresses in a child it forked into the machine's
# network namespace; now one rtnetlink socket made there. With 20 machines running it starts
# no process or thread at all (ASan's leak checker, which clones, is off). Host lane only: the
# VM image carries no strace.
@test "machines: list of 20 running machines forks no process per machine" {
	command -v strace
	fake_machines 20
	export ASAN_OPTIONS=detect_leaks=0 # LeakSanitizer's ptrace and strace's do not mix
	strace -f -e trace=clone,clone3,fork,vfork -o "$TEST_TMP/list.st" "$HAKO" list >"$TEST_TMP/list.out"
	[ "$(grep -c '^fake' "$TEST_TMP/list.out")" -eq 20 ]
	run grep -E 'clone|fork' "$TEST_TMP/list.st"
	[ "$status" -eq 1 ] || { echo "# hako list started processes: ${#lines[@]}, ${lines[0]}"; false; }
	# The addresses are still there: the test's namespace has a link with one.
	ip link add hk-a type veth peer name hk-b
	ip addr add 192.0.2.9/24 dev hk-a
	run "$HAKO" list --json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 20 and all(m["addresses"][0] == "192.0.2.9" for m in d), d' "$output"
}

# Issue 21: hako list --all looked up, for every image, every running machine's state and tree:
# images times machines. Now each machine's tree is stat()ed once and each image opened once,
# and the image a machine of another name runs on is still "in-use". Host lane only (strace).
@test "machines: list --all of 20 images and 20 machines looks at each tree once" {
	command -v strace
	for i in $(seq 20); do mkdir -p "$HAKO_IMAGE_DIR/img$i"; done
	fake_machines 20
	export ASAN_OPTIONS=detect_leaks=0
	strace -f -e trace=%file -o "$TEST_TMP/all.st" "$HAKO" list --all --json >"$TEST_TMP/all.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={m["machine"]: m["state"] for m in d}
assert len(d) == 40 and s["img1"] == "in-use" and s["img2"] == "stopped" and s["fake20"] == "running", s
assert [m.get("used_by") for m in d if m["machine"] == "img1"] == ["fake1"], d' "$TEST_TMP/all.json"
	for i in $(seq 2 20); do
		for tree in "$TEST_TMP/trees/fake$i" "$HAKO_IMAGE_DIR/img$i"; do
			n=$(grep -c "\"$tree\"" "$TEST_TMP/all.st")
			[ "$n" -eq 1 ] || { echo "# $tree looked at $n times"; false; }
		done
	done
}
