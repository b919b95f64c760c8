#!/usr/bin/env bats
# nspawn options an admin reaches for (issue 15): --set-credential=/--load-credential=,
# --network-veth-extra= and --template=, each also as its .nspawn key where nspawn has one.
load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; ROOT=$(make_root); }
teardown() { common_teardown; }

# ---- credentials ----

# lane: vm
@test "credentials: the command finds them in \$CREDENTIALS_DIRECTORY, 0400 on a read-only ramfs, escapes decoded" {
	printf 'secret\0bytes' >"$TEST_TMP/key"
	run "$HAKO" run -q -D "$ROOT" --set-credential='hello:one\ntwo' --load-credential="key:$TEST_TMP/key" /bin/sh -c '
		echo "$CREDENTIALS_DIRECTORY"; cat "$CREDENTIALS_DIRECTORY/hello"; echo
		od -An -c /run/host/credentials/key | tr -s " "
		stat -c "%a %U" /run/host/credentials/hello /run/host/credentials/key
		if (echo x >/run/host/credentials/new) 2>/dev/null; then echo wrote; fi
		grep " /run/host/credentials " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /run/host/credentials ]
	[ "${lines[1]}" = one ] && [ "${lines[2]}" = two ]
	[ "${lines[3]}" = " s e c r e t \\0 b y t e s" ]
	[ "${lines[4]}" = "400 root" ] && [ "${lines[5]}" = "400 root" ]
	[ "${lines[6]}" = "ramfs ro" ]
	[ "${#lines[@]}" -eq 7 ]
	# Without credentials, neither the variable nor the mount.
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'echo "${CREDENTIALS_DIRECTORY:-none}"; grep -q " /run/host/credentials " /proc/self/mounts || echo absent'
	[ "$output" = "$(printf 'none\nabsent')" ]
}

@test "credentials: bad IDs, a missing file, a duplicate and a bad escape are refused in one line" {
	local long
	long=$(printf 'a%.0s' $(seq 256))
	for arg in --set-credential=a/b:x --set-credential=nocolon --set-credential=:x --set-credential="$long:x" \
		--set-credential=..:x --load-credential="k:$TEST_TMP/missing" --load-credential=k:relative \
		'--set-credential=k:a\q'; do
		run "$HAKO" run -q -D "$ROOT" "$arg" /bin/true
		[ "$status" -eq 125 ] || { echo "$arg: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] && [[ "$output" == hako:* ]]
	done
	run "$HAKO" run -q -D "$ROOT" --set-credential=k:1 --set-credential=k:2 /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"given already"* ]]
}

@test "credentials: SetCredential= and LoadCredential= count only from a trusted .nspawn" {
	echo loaded >"$TEST_TMP/cred"
	printf '[Exec]\nSetCredential=a:from-file\nLoadCredential=b:%s\n' "$TEST_TMP/cred" >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'cat /run/host/credentials/a /run/host/credentials/b 2>&1 || echo none'
	[[ "$output" == *"SetCredential= ignored: the file is not in a trusted directory"* ]]
	[[ "$output" == *"LoadCredential= ignored"* ]]
	[ "${lines[-1]}" = none ] || [[ "${lines[-1]}" == *"No such file"* ]]
	mv "$TEST_TMP/root.nspawn" "$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'cat /run/host/credentials/a; echo; cat /run/host/credentials/b'
	[ "$output" = "$(printf 'from-file\nloaded')" ]
	# The command line wins over the file, as for every key.
	run "$HAKO" run -q -D "$ROOT" --set-credential=c:cli /bin/sh -c 'ls /run/host/credentials'
	[ "$output" = c ]
}


gone() { ! grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# lane: vm
@test "credentials: a booted Debian's systemd takes them up as its own (/run/credentials/@system)" {
	debian_tree
	bg "$HAKO" run -q -b -x -D "$DEB" -M deb --console=read-only \
		--set-credential='tmpfiles.extra:f /run/hako-cred 0644 root root - made-from-credential\n' \
		</dev/null >"$TEST_TMP/console" 2>&1
	local pid=$! init st=0
	wait_for 10 pgrep -P "$pid" -x systemd
	init=$(pgrep -P "$pid" -x systemd)
	wait_running nsenter -t "$init" -a
	run nsenter -t "$init" -a /bin/sh -c 'tr "\0" "\n" </proc/1/environ | grep ^CREDENTIALS_DIRECTORY=
		readlink /run/credentials/@system; head -c 6 /run/credentials/@system/tmpfiles.extra; echo'
	[ "${lines[0]}" = CREDENTIALS_DIRECTORY=/run/host/credentials ]
	[ "${lines[1]}" = ../host/credentials ]
	[ "${lines[2]}" = "f /run" ]
	nsenter -t "$init" -a systemctl poweroff
	wait_for 20 gone "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
}

# lane: vm
@test "credentials: a booted Debian's service gets one by LoadCredential=ID; systemd-creds lists it" {
	# The unit is bound in, the tree stays as it is. systemd makes the service's
	# /run/credentials/UNIT in a child mount namespace and moves it into place: the init's
	# namespace sees it only if the container's mounts are shared, as nspawn makes them.
	printf '[Service]\nType=oneshot\nLoadCredential=foo\nExecStart=/bin/cat %%d/foo\nStandardOutput=file:/run/hako-cred-out\n' \
		>"$TEST_TMP/credtest.service"
	debian_boot_bg --set-credential=foo:the-value \
		--bind-ro="$TEST_TMP/credtest.service:/etc/systemd/system/credtest.service"
	nsenter -t "$INIT" -a systemctl start credtest.service
	run nsenter -t "$INIT" -a cat /run/hako-cred-out
	[ "$output" = the-value ]
	run nsenter -t "$INIT" -a systemd-creds --system --no-legend list
	[[ "$output" =~ ^foo\ +secure\ +9B\ +/run/credentials/@system/foo$ ]]
	debian_poweroff
}

# ---- --network-veth-extra= ----

@test "veth-extra: extra veth pairs on the host and inside, named as asked, gone with the container" {
	mkdir "$TEST_TMP/t"
	bg "$HAKO" run -q -D "$ROOT" --bind="$TEST_TMP/t:/t" --network-veth-extra=vx-hako1:inner0 \
		--network-veth-extra=vx-hako2 /bin/sh -c '
		ls /sys/class/net | sort | tr "\n" " " >/t/inside.tmp && mv /t/inside.tmp /t/inside
		while [ ! -e /t/go ]; do sleep 0.05; done'
	local pid=$! st=0
	wait_for 10 test -e "$TEST_TMP/t/inside"
	[ "$(cat "$TEST_TMP/t/inside")" = "inner0 lo vx-hako2 " ]
	ip -o link show vx-hako1 | grep -q 'vx-hako1@'
	ip -o link show vx-hako2 | grep -q 'vx-hako2@'
	touch "$TEST_TMP/t/go"
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	wait_for 10 bash -c '! ip link show vx-hako1 >/dev/null 2>&1 && ! ip link show vx-hako2 >/dev/null 2>&1'
}

@test "veth-extra: VirtualEthernetExtra= from a trusted .nspawn; bad names and a taken one are one line" {
	printf '[Network]\nVirtualEthernetExtra=vx-file:fromfile\n' >"$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'test -e /sys/class/net/fromfile && echo yes'
	[ "$output" = yes ]
	rm "$HAKO_CONFIG_DIR/root.nspawn"
	for arg in --network-veth-extra=a/b --network-veth-extra=ok:waytoolonginterfacename \
		--network-veth-extra=: --network-veth-extra=x:; do
		run "$HAKO" run -q -D "$ROOT" "$arg" /bin/true
		[ "$status" -eq 125 ] || { echo "$arg: $status"; false; }
		[ "${#lines[@]}" -eq 1 ]
	done
	ip link add vx-taken type veth peer name vx-taken-p
	run "$HAKO" run -q -D "$ROOT" --network-veth-extra=vx-taken /bin/true
	ip link del vx-taken
	[ "$status" -ne 0 ]
	[ "$output" = "hako: interface vx-taken exists already" ]
}

# ---- --template= ----

@test "template: a missing -D directory is made as a copy keeping owners, modes, xattrs and hard links" {
	local tpl=$TEST_TMP/tpl new=$TEST_TMP/new
	make_root "$tpl" >/dev/null
	echo data >"$tpl/etc/shared"
	ln "$tpl/etc/shared" "$tpl/etc/shared2"
	chown 1234:5678 "$tpl/etc/shared"
	chmod 4750 "$tpl/etc/shared"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.hako", b"kept")' "$tpl/etc/shared"
	run "$HAKO" run -q -D "$new" --template="$tpl" /bin/sh -c 'cat /etc/shared2'
	[ "$status" -eq 0 ]
	[ "$output" = data ]
	[ "$(stat -c '%i %h %u:%g %a' "$new/etc/shared")" = "$(stat -c '%i %h %u:%g %a' "$new/etc/shared2")" ]
	[ "$(stat -c '%h %u:%g %a' "$new/etc/shared")" = "2 1234:5678 4750" ]
	[ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.hako").decode())' "$new/etc/shared")" = kept ]
	[ "$(readlink "$new/bin/sh")" = "$(readlink "$tpl/bin/sh")" ]
	# An existing directory is used as it is.
	echo changed >"$tpl/etc/shared"
	run "$HAKO" run -q -D "$new" --template="$tpl" /bin/cat /etc/shared
	[ "$output" = data ]
	ls -a "$TEST_TMP" | grep -vq '^\.#' # no copy left behind
}

@test "template: refused with --ephemeral as nspawn refuses it, and a missing template; nothing is made" {
	local tpl=$TEST_TMP/tpl
	make_root "$tpl" >/dev/null
	run "$HAKO" run -q -x -D "$TEST_TMP/new" --template="$tpl" /bin/true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --ephemeral and --template= may not be combined" ]
	run "$HAKO" run -q -D "$TEST_TMP/new" --template="$TEST_TMP/none" /bin/true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$TEST_TMP/new" ]
	[ "$(ls -a "$TEST_TMP" | grep -c '^\.#')" -eq 0 ]
}
