#!/usr/bin/env bats
# What runs as PID 1 without -b (issue 15): hako's stub init with the command as PID 2 (the
# default, nspawn's -a/--as-pid2), or the command itself (--as-pid1, ProcessTwo=no: nspawn's
# default).

load helpers

setup() {
	common_setup
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
	export HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/no-systemd HAKO_SYSTEMD_UNIT_DIR=$TEST_TMP/units
}

teardown() {
	kill_test_supervisors
	common_teardown
}

state() { (. "$HAKO_RUNTIME_DIR/machines/$1/state" && eval "echo \$$2"); }
gone() { ! grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# lane: vm
@test "pid1: the command is PID 2 by default and with -a, PID 1 with --as-pid1; statuses pass through" {
	ROOT=$(make_root)
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	run "$HAKO" run -q -a -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	run "$HAKO" run -q --as-pid2 -D "$ROOT" sh -c 'echo $$; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = 2 ]
	run "$HAKO" run -q --as-pid1 -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	run "$HAKO" run -q --as-pid1 -D "$ROOT" sh -c 'echo $$; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = 1 ]
	# No stub: PID 1 is the command, not hako-init.
	run "$HAKO" run -q --as-pid1 -D "$ROOT" cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = cat ]
	run "$HAKO" run -q -D "$ROOT" cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" != cat ] # the stub: hako, then hako-init once it named itself
}

# lane: vm
@test "pid1: ProcessTwo=no in a .nspawn runs the command as PID 1, ProcessTwo=yes as PID 2; -a wins" {
	ROOT=$(make_root)
	printf '[Exec]\nProcessTwo=no\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	run "$HAKO" run -q -a -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	# Not a privileged key: beside the tree too.
	mv "$HAKO_NSPAWN_DIRS/root.nspawn" "$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $$; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = 1 ]
	printf '[Exec]\nProcessTwo=yes\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q --as-pid1 -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $$'
	[ "$output" = 2 ]
	printf '[Exec]\nProcessTwo=maybe\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid ProcessTwo=maybe: expected a boolean"* ]]
}

# (timeout: should hako not refuse, the tree's init would run until killed.)
@test "pid1: -b with -a or --as-pid1 is refused in one line, nothing runs" {
	ROOT=$(make_root)
	run timeout -k 5 20 "$HAKO" run -q -b -a -D "$ROOT"
	[ "$status" -eq 125 ]
	[ "$output" = "hako: -b/--boot and -a/--as-pid2 (ProcessTwo=yes) exclude each other: -b runs the tree's init as PID 1" ]
	run timeout -k 5 20 "$HAKO" run -q --as-pid2 -b -D "$ROOT"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	run timeout -k 5 20 "$HAKO" run -q --boot --as-pid1 -D "$ROOT"
	[ "$status" -eq 125 ]
	[ "$output" = "hako: -b/--boot and --as-pid1 (ProcessTwo=no) exclude each other: -b runs the tree's init as PID 1" ]
}

# A shell as PID 1 ignores SIGTERM (the kernel drops a signal a namespace's PID 1 has no handler
# for): as under nspawn without --kill-signal=, SIGTERM to hako kills it.
# lane: vm
@test "pid1: SIGTERM to hako run ends a shell loop running as PID 1" {
	ROOT=$(make_root)
	"$HAKO" run -q --as-pid1 -D "$ROOT" sh -c 'touch /ready; while :; do sleep 1; done' &
	local pid=$!
	BG_PIDS+=("$pid")
	wait_for 10 test -e "$ROOT/ready"
	kill -TERM "$pid"
	wait_for 10 gone "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ] # 128 + SIGKILL, as the kernel reports PID 1's end
}

# lane: vm
@test "pid1: hako start --as-pid1 runs Parameters= as PID 1; hako terminate stops the shell loop" {
	make_root "$HAKO_IMAGE_DIR/p1" >/dev/null
	printf '[Exec]\nParameters=/bin/sh -c "echo $$ >/pid; while :; do sleep 1; done"\n' \
		>"$HAKO_CONFIG_DIR/p1.nspawn"
	"$HAKO" start --as-pid1 p1
	wait_for 10 test -s "$HAKO_IMAGE_DIR/p1/pid"
	[ "$(cat "$HAKO_IMAGE_DIR/p1/pid")" = 1 ]
	local sup leader
	sup=$(state p1 SUPERVISOR) leader=$(state p1 LEADER)
	"$HAKO" terminate p1
	gone "$leader"
	wait_for 10 gone "$sup"
	run "$HAKO" list
	[ "$output" = "No machines." ]
	# hako stop too: killed at once, not after --timeout= (the shell never sees a SIGTERM).
	rm "$HAKO_IMAGE_DIR/p1/pid"
	"$HAKO" start --as-pid1 p1
	wait_for 10 test -s "$HAKO_IMAGE_DIR/p1/pid"
	sup=$(state p1 SUPERVISOR)
	run timeout 30 "$HAKO" stop --timeout=600 p1
	[ "$status" -eq 0 ]
	wait_for 10 gone "$sup"
}

# nspawn's start mode is one setting: a mode given on the command line replaces the file's Boot=
# and ProcessTwo= together, and a file's ProcessTwo= replaces `hako start`'s booting.
@test "pid1: the command line's start mode wins over a file's Boot= and ProcessTwo=" {
	ROOT=$(make_root)
	printf '[Exec]\nBoot=yes\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q --as-pid1 -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	run "$HAKO" run -q -a -D "$ROOT" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	# -b over a file's ProcessTwo=: the tree's init (here a script saying its PID) boots.
	rm "$ROOT/sbin/init"
	printf '#!/bin/sh\necho "init $$"\n' >"$ROOT/sbin/init"
	chmod +x "$ROOT/sbin/init"
	printf '[Exec]\nProcessTwo=yes\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run timeout -k 5 20 "$HAKO" run -q -b -D "$ROOT"
	[ "$status" -eq 0 ]
	[ "$output" = "init 1" ]
	# hako start boots by default; a file's ProcessTwo=no runs Parameters= as PID 1 instead.
	make_root "$HAKO_IMAGE_DIR/p2" >/dev/null
	printf '[Exec]\nProcessTwo=no\nParameters=/bin/sh -c "echo $$ >/pid; while :; do sleep 1; done"\n' \
		>"$HAKO_CONFIG_DIR/p2.nspawn"
	"$HAKO" start p2
	wait_for 10 test -s "$HAKO_IMAGE_DIR/p2/pid"
	[ "$(cat "$HAKO_IMAGE_DIR/p2/pid")" = 1 ]
	"$HAKO" terminate p2
}
