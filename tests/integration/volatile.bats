#!/usr/bin/env bats
# nspawn's --volatile= and --overlay=/--overlay-ro= (issue 15): the container never writes the
# tree, except through an overlay's UPPER.
load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; ROOT=$(make_root); }
teardown() {
	[ -z "${DEB_MARK:-}" ] || rm -f "$DEB/$DEB_MARK" "$DEB/etc/$DEB_MARK" "$DEB/var/$DEB_MARK"
	common_teardown
}

gone() { ! grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
tree_hash() { (cd "$1" && find . -printf '%p %s %m %T@\n' | sort | sha256sum); }

# merged_root: a busybox tree with a merged /usr (bin -> usr/bin), as --volatile=yes needs.
merged_root() {
	local dir=$TEST_TMP/merged
	make_root "$dir" >/dev/null
	mv "$dir"/bin/* "$dir/usr/bin/"
	rmdir "$dir/bin"
	ln -s usr/bin "$dir/bin"
	echo "$dir"
}

# lane: vm
@test "volatile: yes is a tmpfs root with the tree's /usr read-only; the tree's /etc is hidden, nothing reaches it" {
	local m before
	m=$(merged_root)
	before=$(tree_hash "$m")
	run "$HAKO" run -q -D "$m" --volatile /bin/sh -c '
		echo hi >/new && cat /new && echo x >/etc/x &&
		test ! -e /etc/passwd && test ! -e /etc/os-release && test -x /usr/bin/busybox &&
		test "$(readlink /bin)" = usr/bin && test -d /var && test -d /root &&
		if touch /usr/x 2>/dev/null; then echo wrote /usr; else echo ok; fi'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'hi\nok')" ]
	[ "$(tree_hash "$m")" = "$before" ]
	# --volatile=yes and =no as booleans, as nspawn takes them.
	run "$HAKO" run -q -D "$m" --volatile=no /bin/sh -c 'test -e /etc/passwd && echo seen'
	[ "$output" = seen ]
}

@test "volatile: yes refuses a tree whose /bin is a directory, in one line, and changes nothing" {
	local before
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" --volatile=yes /bin/true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --volatile=yes needs a tree with a merged /usr: $ROOT/bin is not a symlink to usr/bin" ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
}

# lane: vm
@test "volatile: state keeps the tree read-only, /etc too, and gives a fresh writable /var" {
	local before
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" --volatile=state /bin/sh -c '
		test -e /etc/passwd && test ! -e /var/tmp && echo x >/var/x && cat /var/x &&
		for f in /etc/x /x /root/x; do if touch $f 2>/dev/null; then echo wrote $f; fi; done; echo done'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\ndone')" ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
}

# lane: vm
@test "volatile: overlay lets the container write anywhere; the writes vanish, the tree is unchanged" {
	local before
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" --volatile=overlay /bin/sh -c '
		echo x >/x && echo changed >/etc/os-release && rm /etc/passwd && cat /x /etc/os-release'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\nchanged')" ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
	run "$HAKO" run -q -D "$ROOT" --volatile=overlay /bin/sh -c 'test ! -e /x && test -e /etc/passwd && echo clean'
	[ "$output" = clean ]
}

@test "volatile: Volatile= in NAME.nspawn; a bad mode and --read-only with it are one line and 125" {
	local before
	before=$(tree_hash "$ROOT")
	printf '[Exec]\nVolatile=state\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'touch /var/x && if touch /x 2>/dev/null; then echo wrote; else echo ro; fi'
	[ "$status" -eq 0 ]
	[ "$output" = ro ]
	rm "$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" --volatile=sometimes /bin/true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: invalid --volatile=sometimes: expected yes, no, state or overlay" ]
	run "$HAKO" run -q -D "$ROOT" --volatile=state --read-only /bin/true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --read-only and --volatile= exclude each other: --volatile already keeps the tree read-only" ]
	run "$HAKO" run -q -D "$ROOT" -U --private-users-ownership=chown --volatile=state /bin/true
	[ "$status" -eq 125 ]
	[ "$output" = "hako: --private-users-ownership=chown writes the tree: not with --volatile=" ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
}

@test "volatile: with -x and with a user namespace (-U) the tree is not written either" {
	local m before
	m=$(merged_root)
	before=$(tree_hash "$m")
	run "$HAKO" run -q -D "$m" -x --volatile=state /bin/sh -c 'touch /var/x && if touch /x 2>/dev/null; then echo wrote; else echo ro; fi'
	[ "$output" = ro ]
	run "$HAKO" run -q -D "$m" -U --volatile=yes /bin/sh -c 'echo x >/etc/x && test ! -e /etc/passwd && id -u'
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	run "$HAKO" run -q -D "$m" -U --volatile=overlay /bin/sh -c 'echo x >/x && echo ok'
	[ "$output" = ok ]
	[ "$(tree_hash "$m")" = "$before" ]
}

# The real Debian tree (never written: the test also checks that).
# lane: vm
@test "volatile: on the Debian tree no mode writes the tree; yes hides /etc, state keeps it read-only" {
	debian_tree
	DEB_MARK=hako-volatile-$$
	run "$HAKO" run -q -D "$DEB" --volatile=yes /bin/sh -c "
		test ! -e /etc/debian_version && test -x /usr/bin/dpkg && touch /$DEB_MARK /etc/$DEB_MARK && echo yes"
	[ "$output" = yes ]
	run "$HAKO" run -q -D "$DEB" --volatile=state /bin/sh -c "
		test -e /etc/debian_version && touch /var/$DEB_MARK && ! touch /etc/$DEB_MARK 2>/dev/null && echo state"
	[ "$output" = state ]
	run "$HAKO" run -q -D "$DEB" --volatile=overlay /bin/sh -c "touch /$DEB_MARK /etc/$DEB_MARK /var/$DEB_MARK && echo overlay"
	[ "$output" = overlay ]
	[ ! -e "$DEB/$DEB_MARK" ] && [ ! -e "$DEB/etc/$DEB_MARK" ] && [ ! -e "$DEB/var/$DEB_MARK" ]
}

# lane: vm
@test "volatile: the Debian tree boots from its /usr alone with -b --volatile=yes (systemd running, /etc empty)" {
	debian_tree
	# An empty /etc is a first boot: systemd-firstboot would wait for answers on the console, as
	# under nspawn; its kernel command line option (init's arguments in a container) skips it.
	bg "$HAKO" run -q -b -D "$DEB" -M deb --volatile=yes --console=read-only systemd.firstboot=off \
		</dev/null >"$TEST_TMP/console" 2>&1
	local pid=$! init st=0
	wait_for 10 pgrep -P "$pid" -x systemd
	init=$(pgrep -P "$pid" -x systemd)
	wait_running nsenter -t "$init" -a
	wait_for 10 grep -q 'login: ' "$TEST_TMP/console" || { cat "$TEST_TMP/console"; false; }
	run nsenter -t "$init" -a /bin/sh -c 'test ! -e /etc/debian_version && findmnt -no FSTYPE / && findmnt -no OPTIONS /usr'
	[ "${lines[0]}" = tmpfs ]
	[[ "${lines[1]}" == ro,* ]]
	nsenter -t "$init" -a systemctl poweroff
	wait_for 10 gone "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
}

# lane: vm
@test "volatile: hako start with Volatile=state in a trusted .nspawn boots Debian to a running systemd" {
	debian_tree
	printf '[Exec]\nBoot=yes\nVolatile=state\n' >"$HAKO_CONFIG_DIR/deb.nspawn"
	"$HAKO" start -D "$DEB" deb
	wait_running "$HAKO" shell deb
	run "$HAKO" shell deb /bin/sh -c 'if touch /etc/x 2>/dev/null; then echo wrote; fi; findmnt -no FSTYPE /var'
	[ "$output" = tmpfs ]
	"$HAKO" poweroff --timeout=10 deb
	wait_for 10 bash -c '[ "$("$0" list)" = "No machines." ]' "$HAKO"
}

# ---- --overlay= and --overlay-ro= ----

# layers: lower/ and upper/ on the host with a file each, and one only in lower.
layers() {
	mkdir -p "$TEST_TMP/lower" "$TEST_TMP/upper" "$TEST_TMP/top"
	echo lower >"$TEST_TMP/lower/f"
	echo lower >"$TEST_TMP/lower/only-lower"
	echo top >"$TEST_TMP/top/f"
}
layers_hash() { tree_hash "$TEST_TMP/lower"; tree_hash "$TEST_TMP/upper"; tree_hash "$TEST_TMP/top"; }

# lane: vm
@test "overlay: a write through --overlay=LOWER:UPPER:DEST lands in UPPER, LOWER is unchanged" {
	layers
	local before
	before=$(tree_hash "$TEST_TMP/lower")
	run "$HAKO" run -q -D "$ROOT" --overlay="$TEST_TMP/lower:$TEST_TMP/upper:/mnt/ov" /bin/sh -c '
		cat /mnt/ov/f && echo new >/mnt/ov/g && echo changed >/mnt/ov/f && rm /mnt/ov/only-lower && echo ok'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'lower\nok')" ]
	[ "$(cat "$TEST_TMP/upper/g")" = new ]
	[ "$(cat "$TEST_TMP/upper/f")" = changed ]
	[ "$(tree_hash "$TEST_TMP/lower")" = "$before" ]
	# A second run sees what the first wrote (UPPER persists); the work directory sits beside it.
	run "$HAKO" run -q -D "$ROOT" --overlay="$TEST_TMP/lower:$TEST_TMP/upper:/mnt/ov" /bin/sh -c 'cat /mnt/ov/g; ls /mnt/ov | wc -l'
	[ "$output" = "$(printf 'new\n2')" ]
	[ -d "$TEST_TMP/.#hako-work.upper" ]
}

@test "overlay: an empty UPPER is a tmpfs (the writes vanish); two paths mean LOWER:UPPER with DEST=UPPER" {
	layers
	local before
	before=$(layers_hash)
	run "$HAKO" run -q -D "$ROOT" --overlay="$TEST_TMP/lower::/srv" /bin/sh -c 'echo x >/srv/new && cat /srv/f /srv/new'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'lower\nx')" ]
	[ "$(layers_hash)" = "$before" ]
	# With -U too: the host's layers are opened before the container gives up the host's ids
	# (TEST_TMP is 0700, closed to the container's root).
	run "$HAKO" run -q -D "$ROOT" -U --overlay="$TEST_TMP/lower::/srv" /bin/sh -c 'echo x >/srv/new && cat /srv/f /srv/new'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'lower\nx')" ]
	[ "$(layers_hash)" = "$before" ]
	# Two paths: DEST is UPPER's path, in the container.
	run "$HAKO" run -q -D "$ROOT" --overlay="$TEST_TMP/lower:$TEST_TMP/upper" /bin/sh -c "echo w >$TEST_TMP/upper/w && cat $TEST_TMP/upper/f"
	[ "$output" = lower ]
	[ "$(cat "$TEST_TMP/upper/w")" = w ]
	[ ! -e "$TEST_TMP/lower/w" ]
}

@test "overlay: +PATH layers are in the tree (Overlay= in a trusted .nspawn too)" {
	mkdir -p "$ROOT/srv/low" "$ROOT/srv/up"
	echo in-tree >"$ROOT/srv/low/f"
	run "$HAKO" run -q -D "$ROOT" --overlay=+/srv/low:+/srv/up:/data /bin/sh -c 'cat /data/f && echo w >/data/w'
	[ "$status" -eq 0 ]
	[ "$output" = in-tree ]
	[ "$(cat "$ROOT/srv/up/w")" = w ]
	[ ! -e "$ROOT/srv/low/w" ]
	mkdir -p "$HAKO_CONFIG_DIR"
	printf '[Files]\nOverlay=+/srv/low::/data2\n' >"$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'cat /data2/f && echo v >/data2/v && echo ok'
	[ "$output" = "$(printf 'in-tree\nok')" ]
	[ ! -e "$ROOT/srv/low/v" ] && [ ! -e "$ROOT/srv/up/v" ]
}

# lane: vm
@test "overlay: --overlay-ro stacks the layers (the last on top) and refuses writes" {
	layers
	local before
	before=$(layers_hash)
	run "$HAKO" run -q -D "$ROOT" --overlay-ro="$TEST_TMP/lower:$TEST_TMP/top:/mnt" /bin/sh -c '
		cat /mnt/f /mnt/only-lower; if touch /mnt/x 2>/dev/null; then echo wrote; else echo ro; fi'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'top\nlower\nro')" ]
	[ "$(layers_hash)" = "$before" ]
}

@test "overlay: bad syntax is one line naming the value, exit 125, nothing mounted" {
	local v
	for v in /only-one relative:/x /a:/b:relative /a/../b:/c:/d "/a::" "+/a:" ; do
		run "$HAKO" run -q -D "$ROOT" --overlay="$v" /bin/true
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "hako: invalid --overlay=$v: "* ]]
	done
	run "$HAKO" run -q -D "$ROOT" --overlay-ro="/a::/c" /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: invalid --overlay-ro=/a::/c: "* ]]
	run "$HAKO" run -q -D "$ROOT" --overlay="/nonexistent/low:$TEST_TMP:/mnt" /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: cannot open the overlay layer /nonexistent/low: No such file or directory" ]
}
