#!/usr/bin/env bats
# The escape suite (issue 3): root inside a container tries to reach the host, and every attempt
# must fail, for the reason named. Each attempt runs in three modes: a default container running
# a command ("cmd"), the same with -U ("userns"), and a booted container ("boot": -b with its
# default user namespace) whose init runs the attempt. The attempts themselves are in
# tests/helpers/escape.c: each prints the errno name of the step that failed, "ESCAPED: ..."
# when nothing did. All of them are harmless if they succeed (see there).
load helpers

ESCAPE=${ESCAPE:-$BATS_TEST_DIRNAME/../../build/tests/escape}

setup() {
	common_setup
	[ -x "$ESCAPE" ] || { echo "build the escape helper first (scripts/build.sh)"; false; }
	ROOT=$(make_root)
	cp "$ESCAPE" "$ROOT/escape"
	# Boot mode: the tree's init is a small program that runs the attempt named by its
	# arguments ("-c CMD" runs a shell command instead, to look around).
	rm "$ROOT/sbin/init"
	printf '#!/bin/sh\n[ "$1" = -c ] && exec /bin/sh "$@"\n/escape "$@"\n' >"$ROOT/sbin/init"
	chmod 755 "$ROOT/sbin/init"
	SHARED=$TEST_TMP/shared
	mkdir -m 1777 "$SHARED"
	# A host process to look for, signal and trace.
	bg sleep 600
	HOST_PID=${BG_PIDS[0]}
	# The host's disk: the block device under /.
	DISK=$(mountpoint -d /)
}

teardown() {
	[ -z "${NET:-}" ] || "$HAKO" network rm "$NET" || true
	common_teardown
}

# in_mode MODE [--HAKO-OPTION...] ARGS...: runs the escape helper with ARGS in a container of MODE.
in_mode() {
	local mode=$1; shift
	# A machine name of this test's own: other test runs on the host make containers too.
	local common=(run -q -D "$ROOT" -M "esc-${TEST_TMP##*.}" --bind="$SHARED:/shared")
	while [[ "$1" == --* ]]; do common+=("$1"); shift; done
	case $mode in
	cmd) "$HAKO" "${common[@]}" /escape "$@" ;;
	userns) "$HAKO" "${common[@]}" -U /escape "$@" ;;
	boot) "$HAKO" "${common[@]}" -b -- "$@" ;;
	esac
}

# attempt MODE EXPECTED ARGS...: the attempt fails with EXPECTED, and hako reports it ran.
attempt() {
	local mode=$1 expected=$2; shift 2
	run in_mode "$mode" "$@"
	echo "$mode: escape $* -> $output (status $status), expected $expected"
	[ "$status" -eq 0 ]
	[ "$output" = "$expected" ]
}

# What writing a file of the host's /proc gives: EROFS through the read-only bind as the host's
# root, EACCES as a namespace's root (the host's root owns it).
proc_write_errno() {
	if [ "$1" = cmd ]; then echo EROFS; else echo EACCES; fi
}

# hako masks /proc/sysrq-trigger read-only wherever the kernel has one; a kernel built without
# CONFIG_MAGIC_SYSRQ has nothing to write to.
need_sysrq() {
	[ -e /proc/sysrq-trigger ] || skip "this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ is off): nothing to write"
}

@test "escape[boot]: the booted init runs in its own user namespace (pick)" {
	run in_mode boot -c 'cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	read -r inside outside count <<<"$output"
	[ "$inside" = 0 ] && [ "$count" = 65536 ] && [ "$outside" -ge 524288 ]
}

@test "escape[cmd]: mount a fresh proc and write its sysctls" {
	attempt cmd EPERM mount-proc
}
@test "escape[userns]: mount a fresh proc and write its sysctls" {
	attempt userns EPERM mount-proc
}
# A booted init may mount its own PID namespace's proc; its host-wide sysctls stay the host's.
@test "escape[boot]: mount a fresh proc and write its sysctls" {
	attempt boot "mounted: EACCES" mount-proc
}

@test "escape[cmd]: mount a fresh sysfs" {
	attempt cmd EPERM mount-sysfs
}
@test "escape[userns]: mount a fresh sysfs" {
	attempt userns EPERM mount-sysfs
}
# sysfs belongs to the network namespace, which is the host's here.
@test "escape[boot]: mount a fresh sysfs" {
	attempt boot EPERM mount-sysfs
}

# lane: vm
@test "escape[cmd]: write /proc/sysrq-trigger" {
	need_sysrq
	attempt cmd "$(proc_write_errno cmd)" sysrq
}
# lane: vm
@test "escape[userns]: write /proc/sysrq-trigger" {
	need_sysrq
	attempt userns "$(proc_write_errno userns)" sysrq
}
# lane: vm
@test "escape[boot]: write /proc/sysrq-trigger" {
	need_sysrq
	attempt boot "$(proc_write_errno boot)" sysrq
}

# The kernel's memory, log and timing files of the host's /proc, and /sys/firmware, are masked in
# every mode (a file behind /dev/null, char 1:3; a directory behind an empty tmpfs); /proc/sys,
# /proc/sysrq-trigger and the like are read-only. Checked for each that the host has.
masked() {
	local f check=
	for f in /proc/kcore /proc/keys /proc/kmsg /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/latency_stats; do
		[ ! -e "$f" ] || check+="[ \"\$(stat -c %t:%T $f)\" = 1:3 ] || echo $f not masked; "
	done
	for f in /proc/acpi /proc/apm /proc/asound /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		[ ! -e "$f" ] || check+="[ -z \"\$(ls -A $f)\" ] && [ \"\$(stat -f -c %T $f)\" = tmpfs ] || echo $f not masked; "
	done
	for f in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
		[ ! -e "$f" ] || check+="grep -qF ' $f ro,' /proc/self/mountinfo || echo $f not read-only; "
	done
	case $1 in
	cmd) run "$HAKO" run -q -D "$ROOT" /bin/sh -c "$check echo checked" ;;
	userns) run "$HAKO" run -q -U -D "$ROOT" /bin/sh -c "$check echo checked" ;;
	boot) run in_mode boot -c "$check echo checked" ;;
	esac
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = checked ]
}
@test "escape[cmd]: the host's kernel memory, log and firmware files are masked" {
	masked cmd
}
@test "escape[userns]: the host's kernel memory, log and firmware files are masked" {
	masked userns
}
@test "escape[boot]: the host's kernel memory, log and firmware files are masked" {
	masked boot
}

@test "escape[cmd]: write /proc/sys/kernel/core_pattern" {
	attempt cmd EROFS proc-sys
}
@test "escape[userns]: write /proc/sys/kernel/core_pattern" {
	attempt userns EACCES proc-sys
}
@test "escape[boot]: write /proc/sys/kernel/core_pattern" {
	attempt boot EACCES proc-sys
}

@test "escape[cmd]: load a kernel module" {
	attempt cmd EPERM module
}
@test "escape[userns]: load a kernel module" {
	attempt userns EPERM module
}
@test "escape[boot]: load a kernel module" {
	attempt boot EPERM module
}

@test "escape[cmd]: mknod the host's disk and read it" {
	attempt cmd EPERM mknod-block "$DISK"
}
@test "escape[userns]: mknod the host's disk and read it" {
	attempt userns EPERM mknod-block "$DISK"
}
# boot keeps CAP_MKNOD (an init makes /dev nodes): the filter still refuses block devices.
@test "escape[boot]: mknod the host's disk and read it" {
	attempt boot EPERM mknod-block "$DISK"
}

@test "escape[cmd]: mknod a device in a bind-mounted tmp dir" {
	attempt cmd EPERM mknod-block "$DISK" /shared
	[ -z "$(ls -A "$SHARED")" ]
}
@test "escape[userns]: mknod a device in a bind-mounted tmp dir" {
	attempt userns EPERM mknod-block "$DISK" /shared
	[ -z "$(ls -A "$SHARED")" ]
}
@test "escape[boot]: mknod a device in a bind-mounted tmp dir" {
	attempt boot EPERM mknod-block "$DISK" /shared
	[ -z "$(ls -A "$SHARED")" ]
}

@test "escape[cmd]: open_by_handle_at (shocker)" {
	attempt cmd EPERM shocker
}
@test "escape[userns]: open_by_handle_at (shocker)" {
	attempt userns EPERM shocker
}
@test "escape[boot]: open_by_handle_at (shocker)" {
	attempt boot EPERM shocker
}

@test "escape[cmd]: reboot(2)" {
	attempt cmd EPERM reboot
}
@test "escape[userns]: reboot(2)" {
	attempt userns EPERM reboot
}
# An init keeps CAP_SYS_BOOT: reboot(2) then only ends its own PID namespace, and a command the
# kernel does not handle there (CAD_OFF) is refused with EINVAL instead of reaching the host.
@test "escape[boot]: reboot(2)" {
	attempt boot EINVAL reboot
}

@test "escape[cmd]: see a host process" {
	attempt cmd ENOENT see "$HOST_PID"
}
@test "escape[userns]: see a host process" {
	attempt userns ENOENT see "$HOST_PID"
}
@test "escape[boot]: see a host process" {
	attempt boot ENOENT see "$HOST_PID"
}

@test "escape[cmd]: signal a host process" {
	attempt cmd ESRCH signal "$HOST_PID"
}
@test "escape[userns]: signal a host process" {
	attempt userns ESRCH signal "$HOST_PID"
}
@test "escape[boot]: signal a host process" {
	attempt boot ESRCH signal "$HOST_PID"
}

@test "escape[cmd]: ptrace a host process" {
	attempt cmd EPERM ptrace "$HOST_PID"
}
@test "escape[userns]: ptrace a host process" {
	attempt userns EPERM ptrace "$HOST_PID"
}
# boot keeps CAP_SYS_PTRACE over its own namespace: the host's process is not there.
@test "escape[boot]: ptrace a host process" {
	attempt boot ESRCH ptrace "$HOST_PID"
}

# The container has no /dev/kmsg; making one (char 1:11) is refused by the filter (EPERM, a
# known call refused: never the unknown call's ENOSYS), even for boot's CAP_MKNOD.
@test "escape[cmd]: write the host's /dev/kmsg" {
	attempt cmd "mknod: EPERM" kmsg
}
@test "escape[userns]: write the host's /dev/kmsg" {
	attempt userns "mknod: EPERM" kmsg
}
@test "escape[boot]: write the host's /dev/kmsg" {
	attempt boot "mknod: EPERM" kmsg
}

@test "escape[cmd]: unshare a user namespace to regain capabilities" {
	attempt cmd EPERM unshare
}
@test "escape[userns]: unshare a user namespace to regain capabilities" {
	attempt userns EPERM unshare
}
# An init may make user namespaces; the capabilities it gets there reach nothing of the host's.
@test "escape[boot]: unshare a user namespace to regain capabilities" {
	attempt boot "unshared: EPERM" unshare
}

@test "escape[cmd]: setns into another namespace" {
	attempt cmd EPERM setns
}
@test "escape[userns]: setns into another namespace" {
	attempt userns EPERM setns
}
# No foreign namespace is reachable; re-entering its own user namespace is EINVAL.
@test "escape[boot]: setns into another namespace" {
	attempt boot EINVAL setns
}

# CVE-2019-5736: PID 1 of a command container is hako itself (the host's binary), made
# non-dumpable so its /proc/1/exe cannot be opened.
@test "escape[cmd]: overwrite hako through /proc/1/exe" {
	attempt cmd EACCES exe 1
}
@test "escape[userns]: overwrite hako through /proc/1/exe" {
	attempt userns EACCES exe 1
}
# A booted container's PID 1 is the tree's own init, busy running.
@test "escape[boot]: overwrite PID 1's binary through /proc/1/exe" {
	attempt boot ETXTBSY exe 1
}

@test "escape[cmd]: overwrite the running binary through /proc/self/exe" {
	attempt cmd ETXTBSY exe self
}
@test "escape[userns]: overwrite the running binary through /proc/self/exe" {
	attempt userns ETXTBSY exe self
}
@test "escape[boot]: overwrite the running binary through /proc/self/exe" {
	attempt boot ETXTBSY exe self
}

# CVE-2024-21626 family: fds the caller left open (5, 6: a host directory and a host file) and
# hako's own never reach the container.
@test "escape[cmd]: reach a host file through a leaked fd" {
	attempt cmd EBADF fds 5<"$TEST_TMP" 6</etc/hostname
}
@test "escape[userns]: reach a host file through a leaked fd" {
	attempt userns EBADF fds 5<"$TEST_TMP" 6</etc/hostname
}
@test "escape[boot]: reach a host file through a leaked fd" {
	attempt boot EBADF fds 5<"$TEST_TMP" 6</etc/hostname
}

@test "escape[cmd]: the working directory leads to the container's root" {
	attempt cmd contained cwd
}
@test "escape[userns]: the working directory leads to the container's root" {
	attempt userns contained cwd
}
@test "escape[boot]: the working directory leads to the container's root" {
	attempt boot contained cwd
}

# --chdir=/proc/self/fd/N names whatever fd N is while hako sets up: hako's own tree fd is the
# tree's directory on the host's mount, whose ".." is the host's. Every N is refused or contained.
chdir_fds() {
	local mode=$1 n
	for n in $(seq 3 16); do
		run in_mode "$mode" --chdir=/proc/self/fd/$n cwd 5<"$TEST_TMP"
		echo "fd $n: $output ($status)"
		if [ "$status" -eq 0 ]; then
			[ "$output" = contained ]
		else
			[ "$status" -eq 126 ]
			[[ "$output" =~ "hako: the working directory is outside the container" ||
			   "$output" =~ "hako: cannot change to --chdir=/proc/self/fd/$n" ]]
		fi
	done
}
@test "escape[cmd]: --chdir through a leaked fd" {
	chdir_fds cmd
}
@test "escape[userns]: --chdir through a leaked fd" {
	chdir_fds userns
}
@test "escape[boot]: --chdir through a leaked fd" {
	chdir_fds boot
}

# CVE-2020-8558 (kube-proxy's fix): hako sets route_localnet on its bridges so that port forwards
# work from 127.0.0.1; a raw frame from the container to the gateway's MAC with destination
# 127.0.0.1 must still never reach the host's loopback-only services. The container then sends an
# ordinary datagram to the gateway: once it has arrived, the raw one would have too.
localnet_attempt() {
	local mode=$1
	NET=el${TEST_TMP##*.}
	"$HAKO" network create "$NET" --subnet=10.231.0.0/24
	bg python3 "$BATS_TEST_DIRNAME/udp-sink.py" "$TEST_TMP/sink" 127.0.0.1:7001 10.231.0.1:7002
	wait_for 5 test -e "$TEST_TMP/sink.ready"
	run in_mode "$mode" --network="$NET" localnet 10.231.0.1 7001 7002
	echo "$mode: $output (status $status)"
	[ "$status" -eq 0 ]
	[ "$output" = sent ]
	wait_for 5 grep -q "^10.231.0.1:7002 marker" "$TEST_TMP/sink"
	run cat "$TEST_TMP/sink"
	echo "$output"
	[[ "$output" != *"127.0.0.1:7001"* ]]
}
@test "escape[cmd]: reach the host's 127.0.0.1-only services through the gateway (route_localnet)" {
	localnet_attempt cmd
}
@test "escape[userns]: reach the host's 127.0.0.1-only services through the gateway (route_localnet)" {
	localnet_attempt userns
}
# lane: vm
@test "escape[boot]: reach the host's 127.0.0.1-only services through the gateway (route_localnet)" {
	localnet_attempt boot
}

# Issue 14.3 (the TOCTOU of CVE-2018-15664, docker cp): someone who can write the tree's parent
# exchanges the tree with a symlink to / in a loop while root starts containers from the tree's
# path. hako refuses / as a tree, so each start must either run in the tree it checked or refuse;
# never in the host's /. The container only reads (a hako that fails this test shows the host's
# files, and changes nothing there).
SWAPPER=${SWAPPER:-$BATS_TEST_DIRNAME/../../build/tests/swapper}
tree_swap_race() {
	local runs=60 ran=0 refused=0 i
	mkdir "$TEST_TMP/parent"
	mv "$ROOT" "$TEST_TMP/parent/tree"
	echo tree >"$TEST_TMP/parent/tree/whoami"
	[ ! -e /whoami ]
	ln -s / "$TEST_TMP/parent/link"
	bg "$SWAPPER" "$TEST_TMP/parent/tree" "$TEST_TMP/parent/link" "$TEST_TMP/swapping"
	wait_for 5 test -e "$TEST_TMP/swapping"
	for ((i = 0; i < runs; i++)); do
		run "$HAKO" run -q -D "$TEST_TMP/parent/tree" "$@" /bin/sh -c 'cat /whoami 2>/dev/null || echo host'
		if [ "$status" -eq 0 ]; then
			[ "$output" = tree ] || { echo "run $i ($*) got: $output"; false; }
			ran=$((ran + 1))
		else
			refused=$((refused + 1))
		fi
	done
	echo "# $*: $ran ran in the tree, $refused refused"
	[ "$ran" -gt 0 ]
}
@test "escape[cmd]: swap the tree for a symlink while hako starts (TOCTOU)" {
	tree_swap_race
}
@test "escape[userns]: swap the tree for a symlink while hako starts (TOCTOU)" {
	tree_swap_race -U
}
@test "escape[cmd]: swap the tree for a symlink while hako starts an ephemeral copy (TOCTOU)" {
	tree_swap_race -x
}

# tty_attempt MODE [i386]: the tiocsti attempt with hako on a terminal of script(1)'s and the
# command given that terminal as its stdin (-P, nspawn's --console=pipe; also what autopipe does
# when stdout is redirected). Every way must be refused by the system call filter: EPERM.
tty_attempt() {
	local extra=() want="TIOCSTI: EPERM
TIOCSTI with bit 32: EPERM
TIOCLINUX: EPERM"
	[ "$1" = userns ] && extra=(-U)
	[ "${2:-}" = i386 ] && want+=$'\ni386 TIOCSTI: EPERM'
	run script -qec "$HAKO run -q -P ${extra[*]} -D $ROOT -M esc-${TEST_TMP##*.} /escape tiocsti ${2:-}" /dev/null </dev/null
	output=$(printf '%s' "$output" | tr -d '\r')
	echo "$1: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

# Without the guard TIOCLINUX reached the terminal, and on a kernel with legacy TIOCSTI (Debian
# 12's 6.1; this machine's refuses it to all but CAP_SYS_ADMIN) a process keeping CAP_SYS_ADMIN
# typed into the admin's shell (bubblewrap's CVE-2017-5226; flatpak's CVE-2019-10063 for bit 32,
# CVE-2023-28100 for TIOCLINUX).
# lane: vm
@test "escape[cmd]: TIOCSTI and TIOCLINUX on the admin's terminal (-P)" {
	tty_attempt cmd
}
# lane: vm
@test "escape[userns]: TIOCSTI and TIOCLINUX on the admin's terminal (-P)" {
	tty_attempt userns
}
# This machine's kernel faults on int 0x80 (see isolation.bats); test-seccomp interprets the
# filter for the i386 ABI on every host.
# lane: vm-only
@test "escape[cmd]: TIOCSTI through the i386 ABI on the admin's terminal (-P)" {
	[ "$(uname -m)" = x86_64 ] || skip "no i386 ABI to try on $(uname -m)"
	tty_attempt cmd i386
}
