#!/usr/bin/env bats
# nspawn's --bind-user= and BindUser= (issue 15): the host user's home at /run/host/home/USER,
# its ids mapped to 60514.., JSON records in /run/host/userdb/.
load helpers
bats_require_minimum_version 1.5.0

# A host user of the test's own: passwd, group and shadow bound over the host's in the test's
# mount namespace (tests/run made it private), so the machine's own databases stay untouched.
setup() {
	common_setup
	ROOT=$(make_root)
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
	mkdir -p "$TEST_TMP/db" "$TEST_TMP/home/hbu"
	cp /etc/passwd /etc/group /etc/shadow "$TEST_TMP/db/"
	echo 'hbu:x:4242:4343:bound user:'"$TEST_TMP"'/home/hbu:/bin/sh' >>"$TEST_TMP/db/passwd"
	echo 'hbusys:x:998:998::/:/bin/sh' >>"$TEST_TMP/db/passwd"
	echo 'hbugrp:x:4343:' >>"$TEST_TMP/db/group"
	echo 'hbu:$6$salt$hash:19000:0:99999:7:::' >>"$TEST_TMP/db/shadow"
	local f
	for f in passwd group shadow; do mount --bind "$TEST_TMP/db/$f" "/etc/$f"; done
	echo hello >"$TEST_TMP/home/hbu/file"
	chown -R 4242:4343 "$TEST_TMP/home/hbu"
}
teardown() {
	local f
	for f in passwd group shadow; do umount "/etc/$f" 2>/dev/null || true; done
	common_teardown
}

# lane: vm
@test "bind-user: the home is at /run/host/home/USER, owned by the mapped ids" {
	run "$HAKO" run -q -D "$ROOT" --private-users=pick --bind-user=hbu \
		/bin/sh -c 'cat /run/host/home/hbu/file; stat -c "%u:%g" /run/host/home/hbu/file; echo new >/run/host/home/hbu/new'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 60514:60514 ]
	# The container's root may write there too (the home's owner is mapped into its namespace).
	[ "$(cat "$TEST_TMP/home/hbu/new")" = new ]
}

@test "bind-user: the bound user in the container writes as the host's user" {
	run "$HAKO" run -q -D "$ROOT" --private-users=pick --bind-user=hbu --user=hbu \
		/bin/sh -c 'id -u; id -g; echo "$HOME"; echo mine >/run/host/home/hbu/mine'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 60514 ]
	[ "${lines[1]}" = 60514 ]
	[ "${lines[2]}" = /run/host/home/hbu ]
	[ "$(stat -c %u:%g "$TEST_TMP/home/hbu/mine")" = 4242:4343 ]
}

# lane: vm
@test "bind-user: JSON user and group records in /run/host/userdb" {
	run "$HAKO" run -q -D "$ROOT" --private-users=pick --bind-user=hbu /bin/sh -c '
		cd /run/host/userdb && ls | sort && cat hbu.user hbugrp.group &&
		for l in 60514.user 60514.group 60514.user-privileged; do readlink $l; done && stat -c %a hbu.user-privileged &&
		cat hbu.user-privileged'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 60514.group ]
	[ "${lines[1]}" = 60514.user ]
	[ "${lines[2]}" = 60514.user-privileged ]
	[ "${lines[3]}" = hbu.user ]
	[ "${lines[4]}" = hbu.user-privileged ]
	[ "${lines[5]}" = hbugrp.group ]
	[ "${lines[6]}" = '{"userName":"hbu","uid":60514,"gid":60514,"disposition":"regular","homeDirectory":"/run/host/home/hbu","service":"io.systemd.NSpawn"}' ]
	[ "${lines[7]}" = '{"groupName":"hbugrp","gid":60514,"disposition":"regular","service":"io.systemd.NSpawn"}' ]
	[ "${lines[8]}" = hbu.user ]
	[ "${lines[9]}" = hbugrp.group ]
	[ "${lines[10]}" = hbu.user-privileged ]
	[ "${lines[11]}" = 600 ]
	[ "${lines[12]}" = '{"userName":"hbu","uid":60514,"gid":60514,"disposition":"regular","homeDirectory":"/run/host/home/hbu","service":"io.systemd.NSpawn","privileged":{"hashedPassword":["$6$salt$hash"]}}' ]
	# The records live on a tmpfs of their own: nothing lands in the tree.
	[ ! -e "$ROOT/run/host/userdb/hbu.user" ]
}

@test "bind-user: an id the guest already uses is skipped" {
	echo 'other:x:60514:60514::/:/bin/sh' >>"$ROOT/etc/passwd"
	run "$HAKO" run -q -D "$ROOT" --private-users=pick --bind-user=hbu \
		/bin/sh -c 'stat -c "%u:%g" /run/host/home/hbu/file'
	[ "$status" -eq 0 ]
	[ "$output" = 60515:60515 ]
}

@test "bind-user: refusals are one line, and nothing runs" {
	run "$HAKO" run -q -D "$ROOT" --private-users=no --bind-user=hbu /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: --bind-user= needs a user namespace of root's (--private-users=pick or a range)" ]
	run "$HAKO" run -q -D "$ROOT" -U --bind-user=nosuchuser /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: --bind-user=nosuchuser: no such user on the host" ]
	run "$HAKO" run -q -D "$ROOT" -U --bind-user=hbusys /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: --bind-user=hbusys: a system user (uid or primary gid below 1000)" ]
	run "$HAKO" run -q -D "$ROOT" -U --bind-user=a/b /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == "hako: "*"--bind-user"*"not a user name"* ]]
	# identity maps the host's 0..65535 onto themselves: 4242 is taken.
	run "$HAKO" run -q -D "$ROOT" --private-users=identity --bind-user=hbu /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: --bind-user=: the user namespace range 0:65536 holds a bound user's host id or ends below 60578" ]
	echo 'hbu:x:1000:1000::/:/bin/sh' >>"$ROOT/etc/passwd"
	run "$HAKO" run -q -D "$ROOT" -U --bind-user=hbu /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: --bind-user=hbu: the container's /etc/passwd has a user of that name" ]
	[ ! -e "$ROOT/run/host/home" ]
}

@test "bind-user: BindUser= beside the image is ignored, with a warning" {
	printf '[Exec]\nPrivateUsers=pick\n[Files]\nBindUser=hbu\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -D "$ROOT" /bin/sh -c 'test -e /run/host/home/hbu && echo bound; echo done'
	[ "$status" -eq 0 ]
	[[ "$output" == *"BindUser= ignored: the file is not in a trusted directory"* ]]
	[[ "$output" != *bound* ]]
}

@test "bind-user: BindUser= in a trusted .nspawn file" {
	printf '[Exec]\nPrivateUsers=pick\n[Files]\nBindUser=hbu\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" --settings=trusted /bin/sh -c 'stat -c "%u" /run/host/home/hbu/file'
	[ "$status" -eq 0 ]
	[ "$output" = 60514 ]
}

# In a booted Debian with nss-systemd (the fixture lists systemd in nsswitch.conf), the bound
# user and its group resolve from the records in /run/host/userdb, and its home is bound.
# lane: vm
@test "bind-user: a booted Debian resolves the user through nss-systemd (getent, id)" {
	debian_boot_bg --private-users=pick --bind-user=hbu
	run nsenter -t "$INIT" -a getent passwd hbu
	[ "$status" -eq 0 ]
	[ "$output" = "hbu:x:60514:60514:hbu:/run/host/home/hbu:/bin/bash" ]
	run nsenter -t "$INIT" -a id hbu
	[ "$status" -eq 0 ]
	[ "$output" = "uid=60514(hbu) gid=60514(hbugrp) groups=60514(hbugrp)" ]
	run nsenter -t "$INIT" -a getent group hbugrp
	[ "$output" = "hbugrp:x:60514:" ]
	run nsenter -t "$INIT" -a cat /run/host/home/hbu/file
	[ "$output" = hello ]
	debian_poweroff
}
