#!/usr/bin/env bats
# machinectl's verbs on running machines and images (issue 15): copy-to, copy-from, bind,
# show -p/--value, list -o json/--no-legend/--max-addresses, read-only, clean, set-limit, the
# image aliases and enable --now. Teardown kills every supervisor these tests started.
load helpers

setup() {
	machine_setup
}

teardown() {
	kill_test_supervisors
	# An immutable image (hako read-only) would survive rm -rf.
	[ -z "${TEST_TMP:-}" ] || chattr -R -i "$HAKO_IMAGE_DIR" 2>/dev/null || true
	common_teardown
}

# image NAME: a busybox tree in the image directory.
image() {
	make_root "$HAKO_IMAGE_DIR/$1" >/dev/null
	sed -i '/hostname -F/d' "$HAKO_IMAGE_DIR/$1/etc/inittab"
}

# inside NAME CMD...: runs CMD inside the running machine NAME.
inside() { "$HAKO" shell "$@"; }

# same_inode LINE...: the lines (stat -c '%i ...' of several names) are all the same.
same_inode() {
	local first=$1; shift
	for f in "$@"; do [ "$f" = "$first" ] || return 1; done
}

@test "copy-to, copy-from: files and directories arrive with their content, mode and owner" {
	image cp1
	"$HAKO" start --private-users=no cp1
	mkdir -p "$TEST_TMP/src/sub"
	printf 'hello\n' > "$TEST_TMP/src/file"
	printf 'deep\n' > "$TEST_TMP/src/sub/deep"
	ln -s file "$TEST_TMP/src/link"
	chmod 0640 "$TEST_TMP/src/file"
	chown 1000:1000 "$TEST_TMP/src/file"
	chmod 0710 "$TEST_TMP/src/sub"
	"$HAKO" copy-to cp1 "$TEST_TMP/src/file" /root/file
	run inside cp1 stat -c '%a %u:%g' /root/file
	[ "$output" = "640 1000:1000" ]
	[ "$(inside cp1 cat /root/file)" = hello ]
	"$HAKO" copy-to cp1 "$TEST_TMP/src" /srv
	run inside cp1 sh -c 'cat /srv/sub/deep; readlink /srv/link; stat -c "%a" /srv/sub'
	[ "$output" = "$(printf 'deep\nfile\n710')" ]
	# Nothing is overwritten without --force; with it, the file is replaced.
	printf 'new\n' > "$TEST_TMP/new"
	run -126 "$HAKO" copy-to cp1 "$TEST_TMP/new" /root/file
	[ "$output" = "hako: cannot copy $TEST_TMP/new to cp1:/root/file: it exists (--force replaces it)" ]
	[ "$(inside cp1 cat /root/file)" = hello ]
	"$HAKO" copy-to --force cp1 "$TEST_TMP/new" /root/file
	[ "$(inside cp1 cat /root/file)" = new ]
	# --mkdir makes the missing parents; without it the copy fails.
	run -126 "$HAKO" copy-to cp1 "$TEST_TMP/new" /a/b/c
	"$HAKO" copy-to --mkdir cp1 "$TEST_TMP/new" /a/b/c
	[ "$(inside cp1 cat /a/b/c)" = new ]
	# copy-from; the destination defaults to the same path on the host.
	inside cp1 sh -c 'mkdir -p /out/d && echo out > /out/d/f && chown -R 1000:1000 /out && chmod 600 /out/d/f'
	"$HAKO" copy-from cp1 /out "$TEST_TMP/out"
	run stat -c '%a %u:%g' "$TEST_TMP/out/d/f"
	[ "$output" = "600 1000:1000" ]
	[ "$(cat "$TEST_TMP/out/d/f")" = out ]
	run -126 "$HAKO" copy-from cp1 /out/d/f "$TEST_TMP/out/d/f"
	run -125 "$HAKO" copy-to cp1 "$TEST_TMP/new" relative
	[ "$output" = "hako: destination relative is not an absolute path (a path inside the machine)" ]
	run -125 "$HAKO" copy-to nosuch "$TEST_TMP/new" /x
	[ "$output" = "hako: no machine nosuch is running (see hako list)" ]
}

# As machinectl copies: a file's names stay one inode, also across directories.
@test "copy-to, copy-from keep hard links as hard links, also when the second name is in another directory" {
	image hl
	"$HAKO" start --private-users=no hl
	mkdir -p "$TEST_TMP/src/a" "$TEST_TMP/src/b"
	echo one > "$TEST_TMP/src/a/f"
	ln "$TEST_TMP/src/a/f" "$TEST_TMP/src/a/g"
	ln "$TEST_TMP/src/a/f" "$TEST_TMP/src/b/h"
	echo solo > "$TEST_TMP/src/solo"
	chown 1000:1000 "$TEST_TMP/src/a/f"
	chmod 0604 "$TEST_TMP/src/a/f"
	"$HAKO" copy-to hl "$TEST_TMP/src" /srv
	run inside hl stat -c '%i %h %a %u' /srv/a/f /srv/a/g /srv/b/h /srv/solo
	echo "$output"
	[ "${#lines[@]}" -eq 4 ]
	same_inode "${lines[0]}" "${lines[1]}" "${lines[2]}"
	[[ "${lines[0]}" == *" 3 604 1000" ]]
	[[ "${lines[3]}" == *" 1 644 0" ]]
	[ "$(inside hl cat /srv/b/h)" = one ]
	# --force over the names already there: the new copy and its links replace them.
	inside hl sh -c 'echo mine > /srv/a/g'
	"$HAKO" copy-to --force hl "$TEST_TMP/src" /srv
	run inside hl stat -c '%i %h' /srv/a/f /srv/a/g /srv/b/h
	same_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 3" ]]
	[ "$(inside hl cat /srv/a/g)" = one ]
	# copy-from, with a second name in a sibling directory and a third in the same one.
	inside hl sh -c 'mkdir -p /out/x /out/y && echo two > /out/x/p && ln /out/x/p /out/y/q && ln /out/x/p /out/x/r && echo other > /out/y/s'
	"$HAKO" copy-from hl /out "$TEST_TMP/out"
	run stat -c '%i %h' "$TEST_TMP/out/x/p" "$TEST_TMP/out/y/q" "$TEST_TMP/out/x/r"
	same_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 3" ]]
	[ "$(stat -c %h "$TEST_TMP/out/y/s")" = 1 ]
	[ "$(cat "$TEST_TMP/out/y/q")" = two ]
}

# lane: vm
@test "copy-to, copy-from: a second name the first copy cannot be linked to from (a mount between them) is copied" {
	image hx
	"$HAKO" start --private-users=no hx
	# copy-from into a host directory with a tmpfs inside it (this test's mount namespace): the
	# second name lands on the tmpfs, where a link to the first copy fails with EXDEV.
	inside hx sh -c 'mkdir -p /out/m && echo two > /out/f && ln /out/f /out/m/g'
	mkdir -p "$TEST_TMP/out/m"
	mount -t tmpfs tmpfs "$TEST_TMP/out/m"
	"$HAKO" copy-from hx /out "$TEST_TMP/out"
	[ "$(cat "$TEST_TMP/out/f")" = two ]
	[ "$(cat "$TEST_TMP/out/m/g")" = two ]
	[ "$(stat -c %d "$TEST_TMP/out/f")" != "$(stat -c %d "$TEST_TMP/out/m/g")" ]
	umount "$TEST_TMP/out/m"
	# copy-to into a directory of the machine's with a tmpfs mounted inside it there.
	mkdir -p "$TEST_TMP/src/m"
	echo one > "$TEST_TMP/src/f"
	ln "$TEST_TMP/src/f" "$TEST_TMP/src/m/g"
	inside hx sh -c 'mkdir -p /srv/m && mount -t tmpfs tmpfs /srv/m'
	"$HAKO" copy-to hx "$TEST_TMP/src" /srv
	run inside hx sh -c 'cat /srv/f /srv/m/g; stat -c %d /srv/f /srv/m/g'
	echo "$output"
	[ "${lines[0]}" = one ]
	[ "${lines[1]}" = one ]
	[ "${lines[2]}" != "${lines[3]}" ]
}

@test "copy-to, copy-from: a -U machine gets what is copied in as its root's, the host gets it back as root's" {
	image cpu
	"$HAKO" start -U cpu
	printf 'hello\n' > "$TEST_TMP/file"
	chown 1000:1000 "$TEST_TMP/file"
	chmod 0604 "$TEST_TMP/file"
	"$HAKO" copy-to cpu "$TEST_TMP/file" /tmp/file
	run inside cpu stat -c '%a %u:%g' /tmp/file
	[ "$output" = "604 0:0" ]
	[ "$(inside cpu cat /tmp/file)" = hello ]
	# Hard links too: the link is made as the machine's root, who owns the copy.
	mkdir -p "$TEST_TMP/dir/sub"
	ln "$TEST_TMP/file" "$TEST_TMP/dir/a"
	ln "$TEST_TMP/file" "$TEST_TMP/dir/sub/b"
	"$HAKO" copy-to cpu "$TEST_TMP/dir" /tmp/dir
	run inside cpu stat -c '%i %h %u' /tmp/dir/a /tmp/dir/sub/b
	same_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 2 0" ]]
	inside cpu sh -c 'echo back > /tmp/back && chown 1000:1000 /tmp/back'
	"$HAKO" copy-from cpu /tmp/back "$TEST_TMP/back"
	run stat -c '%u:%g' "$TEST_TMP/back"
	[ "$output" = "0:0" ]
	[ "$(cat "$TEST_TMP/back")" = back ]
}

# A machine's symlinks name its own files: docker cp resolved them on the host (CVE-2018-15664,
# CVE-2019-14271), so a container could make it write or read the host's files. The victim here
# stands for the host's /etc/passwd: a file of the host's, named by its absolute path.
# lane: vm
@test "copy-to, copy-from: a symlink in the machine to a host path never reaches the host's file" {
	image sym
	"$HAKO" start --private-users=no sym
	echo host-secret > "$TEST_TMP/victim"
	echo evil > "$TEST_TMP/evil"
	inside sym sh -c "ln -s $TEST_TMP/victim /tmp/pw && ln -s / /tmp/root && mkdir -p $TEST_TMP && echo inner > $TEST_TMP/victim.in"
	# Onto the symlink: refused; with --force the link itself is replaced.
	run -126 "$HAKO" copy-to sym "$TEST_TMP/evil" /tmp/pw
	"$HAKO" copy-to --force sym "$TEST_TMP/evil" /tmp/pw
	[ "$(cat "$TEST_TMP/victim")" = host-secret ]
	run inside sym sh -c 'test -L /tmp/pw || cat /tmp/pw'
	[ "$output" = evil ]
	# Through a symlink to / in the parent: the machine's root, not the host's.
	"$HAKO" copy-to --force sym "$TEST_TMP/evil" "/tmp/root$TEST_TMP/victim"
	[ "$(cat "$TEST_TMP/victim")" = host-secret ]
	[ "$(inside sym cat "$TEST_TMP/victim")" = evil ]
	# copy-from through the same links reads the machine's files (the link itself at the end).
	"$HAKO" copy-from sym "/tmp/root$TEST_TMP/victim.in" "$TEST_TMP/got"
	[ "$(cat "$TEST_TMP/got")" = inner ]
	inside sym ln -s "$TEST_TMP/victim" /tmp/pw2
	"$HAKO" copy-from sym /tmp/pw2 "$TEST_TMP/got2"
	[ -L "$TEST_TMP/got2" ]
}

# lane: vm
@test "bind: a host directory appears in the running machine, read-only with --read-only; the host's mounts do not change" {
	image bd
	"$HAKO" start bd
	mkdir -p "$TEST_TMP/share"
	echo shared > "$TEST_TMP/share/f"
	chmod 0777 "$TEST_TMP/share" # the -U machine's root is nobody to the host
	echo single > "$TEST_TMP/one"
	before=$(awk '{print $5}' /proc/self/mountinfo | sort)
	run -126 "$HAKO" bind bd "$TEST_TMP/share" /mnt/share
	[ "$output" = "hako: cannot bind $TEST_TMP/share into bd:/mnt/share: No such file or directory" ]
	"$HAKO" bind --mkdir bd "$TEST_TMP/share" /mnt/share
	[ "$(inside bd cat /mnt/share/f)" = shared ]
	inside bd sh -c 'echo fromguest > /mnt/share/g'
	[ "$(cat "$TEST_TMP/share/g")" = fromguest ]
	"$HAKO" bind --read-only --mkdir bd "$TEST_TMP/share" /ro
	run inside bd sh -c 'echo x > /ro/h'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$TEST_TMP/share/h" ]
	# A file onto a file; the destination defaults to the host path.
	"$HAKO" bind --mkdir bd "$TEST_TMP/one"
	[ "$(inside bd cat "$TEST_TMP/one")" = single ]
	[ "$(awk '{print $5}' /proc/self/mountinfo | sort)" = "$before" ]
	run -125 "$HAKO" bind bd "$TEST_TMP/share" mnt
	[ "$output" = "hako: mount point mnt is not an absolute path (a path inside the machine)" ]
}

@test "list and show: -o json, --no-legend, --no-pager, --max-addresses, show -p NAME,NAME --value" {
	image la
	image lb
	"$HAKO" network create lnet --subnet=10.98.0.0/24
	"$HAKO" start --network=lnet la lb
	inside lb sh -c 'ip addr add 10.98.0.222/24 dev $(ls /sys/class/net | grep -v ^lo$ | head -n1)'
	# Each has its address on lnet and, once its link is up, an IPv6 link-local one.
	for m in la lb; do wait_for 10 sh -c "\"$HAKO\" show -p Addresses --value $m | grep -q fe80::"; done
	a=$("$HAKO" show -p Addresses --value la)
	b=$("$HAKO" show -p Addresses --value lb)
	[[ "$a" == "10.98.0."*" fe80::"* ]]
	[[ "$b" == "10.98.0."*" 10.98.0.222 fe80::"* ]]
	json() { printf '"%s",' $1 | sed 's/,$//'; }
	run "$HAKO" list --no-legend --no-pager
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "la container hako busybox 1.35 ${a%% *}…" ]
	[ "${lines[1]}" = "lb container hako busybox 1.35 ${b%% *}…" ]
	[ "${#lines[@]}" = 2 ]
	run "$HAKO" list --no-legend --max-addresses=all
	[ "${lines[1]}" = "lb container hako busybox 1.35 ${b}" ]
	run "$HAKO" list --no-legend --max-addresses=0
	[ "${lines[1]}" = "lb container hako busybox 1.35" ]
	run "$HAKO" list -o json
	[ "$output" = "[{\"machine\":\"la\",\"class\":\"container\",\"service\":\"hako\",\"os\":\"busybox\",\"version\":\"1.35\",\"addresses\":[$(json "$a")]},{\"machine\":\"lb\",\"class\":\"container\",\"service\":\"hako\",\"os\":\"busybox\",\"version\":\"1.35\",\"addresses\":[$(json "$b")]}]" ]
	[ "$("$HAKO" list --output=json)" = "$output" ]
	[ "$("$HAKO" list --json)" = "$output" ]
	run "$HAKO" show -p Name,Class -p OS la
	[ "$output" = "$(printf 'Name=la\nClass=container\nOS=BusyBox test tree')" ]
	run "$HAKO" show --property=Name --property=State --value la
	[ "$output" = "$(printf 'la\nrunning')" ]
	run "$HAKO" show -o json -p Name,Addresses lb
	[ "$output" = "{\"Name\":\"lb\",\"Addresses\":[$(json "$b")]}" ]
	"$HAKO" status --no-pager la >/dev/null
	run -125 "$HAKO" list -o yaml
	[ "$output" = "hako: invalid --output=yaml: expected short or json" ]
	run -125 "$HAKO" list --max-addresses=-1
	"$HAKO" stop la lb
	run "$HAKO" list --no-legend
	[ "$output" = "" ]
	"$HAKO" network rm lnet
}

@test "read-only: the image gets the immutable flag, image list shows RO, it boots read-only; no makes it writable again" {
	image ro
	"$HAKO" read-only ro
	[[ "$(lsattr -d "$HAKO_IMAGE_DIR/ro" | cut -d" " -f1)" == *i* ]]
	run touch "$HAKO_IMAGE_DIR/ro/new"
	[ "$status" -ne 0 ]
	run "$HAKO" list-images
	[[ "${lines[1]}" == "ro   directory yes "* ]]
	run "$HAKO" show-image ro
	[ "${lines[3]}" = ReadOnly=yes ]
	run "$HAKO" image-status ro
	[ "${lines[3]}" = "        RO: read-only" ]
	# Started by name, it runs read-only (as nspawn starts a read-only image).
	"$HAKO" start ro
	run inside ro touch /etc/x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	"$HAKO" stop ro
	run -125 "$HAKO" read-only ro maybe
	[ "$output" = "hako: invalid read-only value maybe: expected a boolean (yes, no...)" ]
	"$HAKO" read-only ro no
	[[ "$(lsattr -d "$HAKO_IMAGE_DIR/ro" | cut -d" " -f1)" != *i* ]]
	touch "$HAKO_IMAGE_DIR/ro/new"
	run "$HAKO" image show ro
	[ "${lines[3]}" = ReadOnly=no ]
	run -125 "$HAKO" read-only nosuch
	[ "$output" = "hako: no image nosuch in $HAKO_IMAGE_DIR (see hako image list)" ]
}

@test "clean removes the hidden images, --all every image not running nor read-only; set-limit refuses what is not btrfs" {
	image keep
	image run1
	image frozen
	mkdir -p "$HAKO_IMAGE_DIR/.hidden/etc"
	echo '[Exec]' > "$HAKO_IMAGE_DIR/keep.nspawn"
	"$HAKO" read-only frozen
	"$HAKO" start --private-users=no run1
	run "$HAKO" clean
	[ "$output" = "Removed image '.hidden'." ]
	[ ! -e "$HAKO_IMAGE_DIR/.hidden" ]
	[ -d "$HAKO_IMAGE_DIR/keep" ]
	run "$HAKO" clean --all
	[ "$output" = "Removed image 'keep'." ]
	[ ! -e "$HAKO_IMAGE_DIR/keep" ]
	[ ! -e "$HAKO_IMAGE_DIR/keep.nspawn" ]
	[ -d "$HAKO_IMAGE_DIR/run1" ]
	[ -d "$HAKO_IMAGE_DIR/frozen" ]
	run -125 "$HAKO" clean --everything
	# set-limit: a btrfs quota, nothing elsewhere (this host's /tmp is ext4).
	run -126 "$HAKO" set-limit run1 1G
	[ "$output" = "hako: cannot limit image run1: limits are btrfs quotas, and it is not a btrfs subvolume" ]
	run -125 "$HAKO" set-limit run1 lots
	[ "$output" = "hako: invalid size lots: expected bytes with an optional K, M, G or T, or infinity" ]
}

@test "machinectl's names for the image commands: list-images, clone, rename, remove, image-status, show-image" {
	image orig
	"$HAKO" clone orig copy
	"$HAKO" rename copy moved
	run "$HAKO" list-images
	[[ "${lines[1]}" == "moved directory no  "* ]]
	[[ "${lines[2]}" == "orig  directory no  "* ]]
	run "$HAKO" show-image moved orig
	[ "${lines[0]}" = Name=moved ]
	[ "${lines[1]}" = "Path=$HAKO_IMAGE_DIR/moved" ]
	[ "${lines[2]}" = Type=directory ]
	[ "${lines[6]}" = Name=orig ]
	run "$HAKO" image-status moved
	[ "${lines[0]}" = moved ]
	[ "${lines[1]}" = "      Type: directory" ]
	[ "${lines[2]}" = "      Path: $HAKO_IMAGE_DIR/moved" ]
	"$HAKO" remove moved
	[ ! -e "$HAKO_IMAGE_DIR/moved" ]
	run -125 "$HAKO" show-image moved
	run "$HAKO" clone --help
	[ "${lines[0]}" = "Usage: hako clone SRC DST" ]
}

@test "enable --now starts the machine as well, disable --now stops it" {
	image en
	"$HAKO" enable --now en
	[ -e "$HAKO_STATE_DIR/enabled/en" ]
	run "$HAKO" show -p State --value en
	[ "$output" = running ]
	"$HAKO" disable en --now
	[ ! -e "$HAKO_STATE_DIR/enabled/en" ]
	run "$HAKO" list
	[ "$output" = "No machines." ]
	# Without --now nothing starts.
	"$HAKO" enable en
	run "$HAKO" list
	[ "$output" = "No machines." ]
}

@test "set-limit: on a btrfs subvolume the image's quota group gets the limit, and writes past it fail" {
	truncate -s 300M "$TEST_TMP/btrfs.img"
	mkfs.btrfs -q "$TEST_TMP/btrfs.img"
	mkdir "$TEST_TMP/pool"
	# In this test's own mount namespace; teardown unmounts it (the loop device goes with it).
	mount -o loop "$TEST_TMP/btrfs.img" "$TEST_TMP/pool"
	export HAKO_IMAGE_DIR=$TEST_TMP/pool
	btrfs -q subvolume create "$HAKO_IMAGE_DIR/lim"
	"$HAKO" set-limit lim 20M
	run btrfs qgroup show -re --raw "$HAKO_IMAGE_DIR"
	[[ "$output" == *" $((20 << 20)) "* ]]
	btrfs -q quota rescan -w "$HAKO_IMAGE_DIR"
	run dd if=/dev/zero of="$HAKO_IMAGE_DIR/lim/big" bs=1M count=40 conv=fsync
	[ "$status" -ne 0 ]
	[[ "$output" == *"Disk quota exceeded"* ]]
	"$HAKO" set-limit lim infinity
	# A plain directory on the same btrfs is no subvolume: refused.
	mkdir "$HAKO_IMAGE_DIR/plain"
	run -126 "$HAKO" set-limit plain 1G
}
