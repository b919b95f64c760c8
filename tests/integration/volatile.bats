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

debian_tree() {
	DEB=${HAKO_TEST_DEBIAN:-$("$FIXTURES/mkdebian.sh")}
	[ -x "$DEB/lib/systemd/systemd" ] || { echo "no Debian tree at '$DEB'"; false; }
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

# wait_running CMD...: until `CMD systemctl is-system-running --wait` says running or degraded.
wait_running() {
	local deadline=$((SECONDS + 30 * ${HAKO_TEST_SLOW:-1})) out
	until out=$(timeout 30 "$@" systemctl is-system-running --wait 2>&1); [[ "$out" =~ ^(running|degraded)$ ]]; do
		[ $SECONDS -lt $deadline ] || { echo "not running after 30 s: $out"; return 1; }
		sleep 0.2
	done
}

# lane: vm
@test "volatile: the Debian tree boots from its /usr alone with -b --volatile=yes (systemd running, /etc empty)" {
	debian_tree
	bg "$HAKO" run -q -b -D "$DEB" -M deb --volatile=yes --console=read-only </dev/null >"$TEST_TMP/console" 2>&1
	local pid=$! init st=0
	wait_for 10 pgrep -P "$pid" -x systemd
	init=$(pgrep -P "$pid" -x systemd)
	wait_running nsenter -t "$init" -a
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
