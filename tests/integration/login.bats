#!/usr/bin/env bats
# hako login and hako shell on a guest with systemd, as machinectl's (issue 15): each login gets
# a getty of its own (container-getty@N.service on a new pty of the guest), and a shell is a
# transient service of the guest's systemd with PAMName=login, so a logind session, whose exit
# status comes back. A guest without systemd (busybox) keeps the console and hako's own shell.
load helpers

PTY=$BATS_TEST_DIRNAME/pty-drive.py

setup() {
	machine_setup
}

teardown() {
	kill_test_supervisors
	common_teardown
}

# starts_clean FILE: FILE starts with neither a NUL byte nor the "^@" a terminal echoes for one.
starts_clean() {
	local first
	first=$(head -c2 "$1" | od -An -c | tr -d ' ')
	[[ "$first" != '\0'* && "$first" != '^@' ]] || { echo "$1 starts with a NUL:"; od -c "$1" | head -3; false; }
}

gone() { ! grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# start_debian: the real Debian tree booted as the machine deb, until systemd says it runs.
start_debian() {
	debian_tree
	cp -a "$DEB" "$HAKO_IMAGE_DIR/deb"
	"$HAKO" start --notify-ready=yes deb
	wait_running "$HAKO" shell deb
}

# gettys: the guest's active container-getty@N units, one a line.
gettys() {
	"$HAKO" shell deb systemctl list-units --no-legend --plain --state=active 'container-getty@*' |
		awk '{print $1}'
}

# login_bg N: `hako login deb` in the background, its output in $TEST_TMP/login.N; it detaches
# (^]^]^]) once $TEST_TMP/detach exists.
# The redirection is on the command itself: a background command's stdin is /dev/null otherwise.
login_bg() {
	timeout 60 "$HAKO" login deb >"$TEST_TMP/login.$1" 2>&1 \
		< <(wait_for 50 test -e "$TEST_TMP/detach"; printf '\035\035\035') &
	BG_PIDS+=($!)
	LOGINS+=($!)
}

# lane: vm
@test "login: two logins at once on a Debian machine each get a getty of their own" {
	start_debian
	LOGINS=()
	login_bg 1
	login_bg 2
	wait_for 30 grep -q 'login: ' "$TEST_TMP/login.1" || { cat "$TEST_TMP/login.1"; false; }
	wait_for 30 grep -q 'login: ' "$TEST_TMP/login.2" || { cat "$TEST_TMP/login.2"; false; }
	run gettys
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	for unit in "${lines[@]}"; do
		[[ "$unit" =~ ^container-getty@[0-9]+\.service$ ]]
		[ "$("$HAKO" shell deb systemctl is-active "$unit")" = active ]
	done
	touch "$TEST_TMP/detach"
	for pid in "${LOGINS[@]}"; do
		wait_for 20 gone "$pid"
		wait "$pid"
	done
	grep -q 'Connection to machine deb terminated' "$TEST_TMP/login.1"
	# The ptys are gone with the logins, and so are their gettys.
	wait_for 20 test -z "$(gettys)"
	"$HAKO" poweroff deb
}

# lane: vm
@test "login: the guest's terminal has the caller's size, and follows the caller's resizes" {
	start_debian
	# The driver logs in at the getty, asks `stty size`, resizes its terminal and asks again.
	run timeout $((120 * ${HAKO_TEST_SLOW:-1})) "$PTY" login 50x132 40x100 "$TEST_TMP/login" -- "$HAKO" login deb
	echo "$output"
	cat -v "$TEST_TMP/login"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "size 50 132" ]
	[ "${lines[1]}" = "size 40 100" ]
	grep -q 'Connection to machine deb terminated' "$TEST_TMP/login"
	starts_clean "$TEST_TMP/login"
	"$HAKO" poweroff deb
}

# lane: vm
@test "login: shell on a Debian machine is a logind session of the guest's, and its status comes back" {
	start_debian
	run "$HAKO" shell deb /bin/sh -c 'loginctl list-sessions --no-legend; echo "runtime=$XDG_RUNTIME_DIR"; exit 7'
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" =~ [[:alnum:]]+\ +0\ +root ]]
	[[ "$output" == *"runtime=/run/user/0"* ]]
	# On a terminal: a pty of the guest's as the service's TTYPath=, the status all the same, and
	# nothing on it the caller did not type. (script(1), at the end of its own stdin, types a NUL
	# into a raw terminal, which the guest's pty echoes as "^@": hence a driver that types nothing.)
	local st=0
	timeout 60 "$PTY" run 50x132 -- "$HAKO" shell deb /bin/sh -c 'tty; stty size; exit 5' >"$TEST_TMP/tty" || st=$?
	cat "$TEST_TMP/tty"
	[ "$st" -eq 5 ]
	grep -q '/dev/pts/' "$TEST_TMP/tty"
	grep -q '^50 132' "$TEST_TMP/tty"
	starts_clean "$TEST_TMP/tty"
	# A terminal on one side only: a pty of the guest's all the same, as machinectl shell.
	run timeout 60 "$PTY" run 50x132 -- /bin/sh -c "$HAKO shell deb /bin/sh -c 'echo runtime=\$XDG_RUNTIME_DIR; tty; exit 6' >$TEST_TMP/out; echo st=\$?"
	echo "$output"; cat "$TEST_TMP/out"
	[[ "$output" == *st=6* ]]
	grep -q 'runtime=/run/user/0' "$TEST_TMP/out"
	grep -q '/dev/pts/' "$TEST_TMP/out"
	starts_clean "$TEST_TMP/out"
	run timeout 60 "$PTY" run 50x132 -- /bin/sh -c "echo | $HAKO shell deb /bin/sh -c 'echo runtime=\$XDG_RUNTIME_DIR; exit 4'; echo st=\$?"
	echo "$output"
	[[ "$output" == *runtime=/run/user/0* ]]
	[[ "$output" == *st=4* ]]
	# Its login shell by default, with -E and --uid as before.
	run "$HAKO" shell -E HAKO_X=42 --uid=nobody deb /bin/sh -c 'echo "$(id -un) $HAKO_X $PWD"'
	[ "$status" -eq 0 ]
	[ "$output" = "nobody 42 /nonexistent" ] || [ "$output" = "nobody 42 /" ]
	run -127 "$HAKO" shell deb no-such-command
	[ "$status" -eq 127 ]
	"$HAKO" poweroff deb
}

@test "login: a busybox machine (no systemd) still attaches to the console and runs hako's own shell" {
	make_root "$HAKO_IMAGE_DIR/bb" >/dev/null
	"$HAKO" start --private-network bb
	local out=$TEST_TMP/bb.out
	timeout 10 "$HAKO" login bb >"$out" 2>&1 \
		< <(printf 'echo on-$((6*7))\n'; wait_for 8 grep -q on-42 "$out"; printf '\035\035\035')
	grep -q 'Connected to machine bb' "$out"
	grep -q on-42 "$out" || { cat "$out"; false; }
	run "$HAKO" shell bb /bin/sh -c 'echo $$; exit 3'
	[ "$status" -eq 3 ]
	# On a terminal: a pty of the machine's, of the caller's size from the start.
	run timeout 30 "$PTY" run 50x132 -- "$HAKO" shell bb stty size
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = $'50 132\r' ]
	"$HAKO" stop bb
}
