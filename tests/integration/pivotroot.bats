#!/usr/bin/env bats
# nspawn's --pivot-root=NEW[:OLD] and PivotRoot= (issue 15): a tree holding an OS tree in a
# subdirectory (as an ostree deployment does) runs with that subdirectory as its root.

load helpers

setup() {
	common_setup
	# The image: no OS of its own, a busybox tree at /sysroot, a marker in each.
	OS=$TEST_TMP/os
	mkdir -p "$OS"
	make_root "$OS/sysroot" >/dev/null
	mkdir "$OS/sysroot/oldroot"
	echo outer >"$OS/marker"
	echo inner >"$OS/sysroot/marker"
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
}

teardown() {
	kill_test_supervisors
	common_teardown
}

# The command is looked up in NEW (the image has no /bin/sh of its own); without OLD the image's
# root is out of reach, with it the image's root is at OLD.
@test "pivot-root: NEW becomes the root, the old root at OLD or out of reach" {
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot sh -c 'cat /marker; ls -A /oldroot | wc -l'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'inner\n0')" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot:/oldroot sh -c 'cat /marker /oldroot/marker; cat /oldroot/sysroot/marker'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'inner\nouter\ninner')" ]
	# An empty value drops an earlier one: the image's root again, which has no /bin/sh.
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot --pivot-root= /sysroot/bin/sh -c 'cat /marker'
	[ "$status" -eq 0 ]
	[ "$output" = outer ]
	# --ephemeral: the overlay is the whole image, NEW in it; nothing is written to the image.
	run "$HAKO" run -q -x -D "$OS" --pivot-root=/sysroot:/oldroot sh -c 'echo x >/oldroot/new; echo y >/new; cat /marker'
	[ "$status" -eq 0 ]
	[ "$output" = inner ]
	[ ! -e "$OS/new" ]
	[ ! -e "$OS/sysroot/new" ]
	# --read-only reaches the old root too.
	run "$HAKO" run -q --read-only -D "$OS" --pivot-root=/sysroot:/oldroot sh -c 'touch /oldroot/new'
	[ "$status" -ne 0 ]
	[ ! -e "$OS/new" ]
}

# PivotRoot= is not a privilege in nspawn: a file beside the image counts; the command line wins.
@test "pivot-root: PivotRoot= in a .nspawn file, beside the image too" {
	printf '[Exec]\nPivotRoot=/sysroot:/oldroot\n' >"$TEST_TMP/os.nspawn"
	run "$HAKO" run -q -D "$OS" sh -c 'cat /marker /oldroot/marker'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'inner\nouter')" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot sh -c 'ls -A /oldroot | wc -l'
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	printf '[Exec]\nPivotRoot=sysroot\n' >"$TEST_TMP/os.nspawn"
	run "$HAKO" run -q -D "$OS" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"os.nspawn:2: invalid PivotRoot=sysroot: expected absolute paths in the tree, as NEW[:OLD]" ]]
}

# Bad values are one line and exit 125, before anything is made. Paths resolve inside the image:
# a symlink to the host's /etc is the image's /etc, which it has not.
@test "pivot-root: a relative path, a missing directory or a way out of the image is refused" {
	run "$HAKO" run -q -D "$OS" --pivot-root=sysroot true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: invalid --pivot-root=sysroot: expected absolute paths in the tree, as NEW[:OLD]" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot:oldroot true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: invalid --pivot-root=/sysroot:oldroot: expected absolute paths in the tree, as NEW[:OLD]" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/nope true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --pivot-root=/nope: $OS has no directory /nope" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/marker true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --pivot-root=/marker: $OS has no directory /marker" ]
	run "$HAKO" run -q -D "$OS" --pivot-root=/sysroot:/nope true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --pivot-root=/sysroot:/nope: $OS/sysroot has no directory /nope for the old root" ]
	ln -s /etc "$OS/hostetc"
	ln -s ../../../../../../../.. "$OS/up"
	run "$HAKO" run -q -D "$OS" --pivot-root=/hostetc true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --pivot-root=/hostetc: $OS has no directory /hostetc" ]
	# .. stops at the image's root: /up/sysroot is the image's /sysroot.
	run "$HAKO" run -q -D "$OS" --pivot-root=/up/sysroot sh -c 'cat /marker'
	[ "$status" -eq 0 ]
	[ "$output" = inner ]
}

# The real Debian tree with systemd as the OS tree of an image: booted through --pivot-root=, its
# systemd reaches running (or degraded) and the image's own root is out of its sight.
# lane: vm
@test "pivot-root: a Debian tree at /sysroot of an image boots with --pivot-root=/sysroot" {
	debian_tree
	mkdir "$TEST_TMP/img"
	cp -a "$DEB" "$TEST_TMP/img/sysroot"
	echo outer >"$TEST_TMP/img/marker"
	"$HAKO" start -x -D "$TEST_TMP/img" --pivot-root=/sysroot --notify-ready=yes pdeb
	run "$HAKO" shell pdeb systemctl is-system-running
	echo "$output"
	[[ "$output" =~ ^(running|degraded)$ ]]
	run "$HAKO" shell pdeb sh -c 'test -e /marker || test -e /sysroot || echo alone'
	[ "$output" = alone ]
	"$HAKO" poweroff --timeout=10 pdeb
}
