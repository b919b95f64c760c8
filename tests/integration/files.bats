#!/usr/bin/env bats
# nspawn's file options (issue 15): --timezone=, --resolv-conf= modes, --inaccessible=, --bind= forms.
load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; ROOT=$(make_root); }
teardown() { common_teardown; }

tree_hash() { (cd "$1" && find . -printf '%p %s %m %l\n' | sort | sha256sum); }

# The host's zone as the tree knows it: the host's /etc/localtime is a symlink into the zoneinfo
# (checked: the test needs it), and the busybox tree gets that zone file.
host_zone() {
	local link
	link=$(readlink /etc/localtime)
	[ -n "$link" ] || { echo "the host's /etc/localtime is not a symlink"; return 1; }
	echo "${link#*/usr/share/zoneinfo/}"
}

add_zone() {
	mkdir -p "$ROOT/usr/share/zoneinfo/$(dirname "$1")"
	cp /etc/localtime "$ROOT/usr/share/zoneinfo/$1"
}

# lane: vm
@test "files: --timezone=symlink and auto link the guest's /etc/localtime to the host's zone" {
	zone=$(host_zone)
	add_zone "$zone"
	ln -s ../usr/share/zoneinfo/Other/Zone "$ROOT/etc/localtime"
	run "$HAKO" run -q -D "$ROOT" --timezone=symlink /bin/readlink /etc/localtime
	[ "$status" -eq 0 ]
	[ "$output" = "../usr/share/zoneinfo/$zone" ]
	ln -sfn ../usr/share/zoneinfo/Other/Zone "$ROOT/etc/localtime"
	run "$HAKO" run -q -D "$ROOT" /bin/readlink /etc/localtime
	[ "$output" = "../usr/share/zoneinfo/$zone" ]
	# off leaves it alone
	ln -sfn ../usr/share/zoneinfo/Other/Zone "$ROOT/etc/localtime"
	run "$HAKO" run -q -D "$ROOT" --timezone=off /bin/readlink /etc/localtime
	[ "$output" = ../usr/share/zoneinfo/Other/Zone ]
}

@test "files: --timezone binds the host's file where the tree lacks the zone or is read-only" {
	host_zone >/dev/null
	want=$(md5sum < /etc/localtime)
	# auto never creates a file the tree lacks (hako's default: a plain run leaves the tree as it
	# was); --timezone=bind does, as nspawn
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" /bin/sh -c 'test -e /etc/localtime || echo none'
	[ "$output" = none ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
	run "$HAKO" run -q -D "$ROOT" --timezone=bind /bin/sh -c 'md5sum < /etc/localtime'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	# auto on a read-only tree: a bind, the tree is not written
	echo "# tree" > "$ROOT/etc/localtime"
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" --read-only /bin/sh -c 'md5sum < /etc/localtime'
	[ "$output" = "$want" ]
	[ "$(tree_hash "$ROOT")" = "$before" ]
	# symlink without the zone in the tree falls back to the bind
	run "$HAKO" run -q -D "$ROOT" --timezone=symlink /bin/sh -c 'md5sum < /etc/localtime'
	[ "$output" = "$want" ]
	[ "$(cat "$ROOT/etc/localtime")" = "# tree" ]
}

@test "files: --timezone=copy writes a copy, delete removes it, Timezone= in a .nspawn file" {
	host_zone >/dev/null
	run "$HAKO" run -q -D "$ROOT" --timezone=copy /bin/true
	[ "$status" -eq 0 ]
	[ -f "$ROOT/etc/localtime" ] && [ ! -L "$ROOT/etc/localtime" ]
	cmp /etc/localtime "$ROOT/etc/localtime"
	run "$HAKO" run -q -D "$ROOT" --timezone=delete /bin/true
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/etc/localtime" ] && [ ! -L "$ROOT/etc/localtime" ]
	mkdir -p "$HAKO_CONFIG_DIR"
	printf '[Exec]\nTimezone=copy\n' > "$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/true
	[ "$status" -eq 0 ]
	cmp /etc/localtime "$ROOT/etc/localtime"
	run "$HAKO" run -q -D "$ROOT" --timezone=sometimes /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--timezone"*"expected auto, off, copy, bind, symlink or delete"* ]]
}

# An empty /run/systemd/resolve, in this test's mount namespace only: a tmpfs on it, or where the
# host has none, a tmpfs over /run/systemd with the host's entries bound back (on a systemd host
# hako still finds /run/systemd/system and the rest), never a directory made on the host.
resolve_dir() {
	if [ -d /run/systemd/resolve ]; then
		mount -t tmpfs tmpfs /run/systemd/resolve
		return
	fi
	local orig=$TEST_TMP/run-systemd e n
	mkdir "$orig"
	mount --bind /run/systemd "$orig"
	mount -t tmpfs tmpfs /run/systemd
	for e in "$orig"/* "$orig"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		n=${e##*/}
		if [ -L "$e" ]; then
			cp -P "$e" /run/systemd/
		elif [ -d "$e" ]; then
			mkdir "/run/systemd/$n" && mount --rbind "$e" "/run/systemd/$n"
		else
			touch "/run/systemd/$n" && mount --bind "$e" "/run/systemd/$n"
		fi
	done
	mkdir /run/systemd/resolve
}

# resolved's files: resolve/resolv.conf (uplink) and resolve/stub-resolv.conf (stub), the static
# file bound over.
fake_resolved() {
	resolve_dir
	echo "nameserver 192.0.2.1 # uplink" > /run/systemd/resolve/resolv.conf
	echo "nameserver 127.0.0.53 # stub" > /run/systemd/resolve/stub-resolv.conf
	echo "nameserver 127.0.0.53 # static" > "$TEST_TMP/static"
	[ -f /usr/lib/systemd/resolv.conf ] || { echo "no /usr/lib/systemd/resolv.conf on this host"; return 1; }
	mount --bind "$TEST_TMP/static" /usr/lib/systemd/resolv.conf
}

# lane: vm
@test "files: --resolv-conf= copy-, bind- and replace- of resolved's static, uplink and stub files" {
	fake_resolved
	echo "# tree" > "$ROOT/etc/resolv.conf"
	before=$(tree_hash "$ROOT")
	for src in static uplink stub; do
		case $src in
		static) want="nameserver 127.0.0.53 # static" ;;
		uplink) want="nameserver 192.0.2.1 # uplink" ;;
		stub) want="nameserver 127.0.0.53 # stub" ;;
		esac
		run "$HAKO" run -q -D "$ROOT" --resolv-conf=copy-$src /bin/cat /etc/resolv.conf
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ]
		run "$HAKO" run -q -D "$ROOT" --resolv-conf=bind-$src /bin/sh -c 'cat /etc/resolv.conf; echo x 2>/dev/null >> /etc/resolv.conf || echo read-only'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "$want" ]
		[ "${lines[1]}" = read-only ]
		# replace- covers a plain file as copy- does
		run "$HAKO" run -q -D "$ROOT" --resolv-conf=replace-$src /bin/cat /etc/resolv.conf
		[ "$output" = "$want" ]
		[ "$(tree_hash "$ROOT")" = "$before" ]
	done
	# replace- replaces a symlink in the tree (resolved's usual one), as nspawn does
	ln -sfn ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
	run "$HAKO" run -q -D "$ROOT" --resolv-conf=replace-uplink /bin/cat /etc/resolv.conf
	[ "$output" = "nameserver 192.0.2.1 # uplink" ]
	[ ! -L "$ROOT/etc/resolv.conf" ]
	[ "$(cat "$ROOT/etc/resolv.conf")" = "nameserver 192.0.2.1 # uplink" ]
	# ResolvConf= takes the same
	printf '[Exec]\nResolvConf=copy-stub\n' > "$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/cat /etc/resolv.conf
	[ "$output" = "nameserver 127.0.0.53 # stub" ]
}

@test "files: a missing resolv.conf source is an error naming the file" {
	resolve_dir
	for mode in copy-uplink bind-stub replace-stub; do
		run "$HAKO" run -q -D "$ROOT" --resolv-conf=$mode /bin/true
		[ "$status" -ne 0 ]
		[[ "$output" == "hako: cannot set up /etc/resolv.conf from /run/systemd/resolve/"*": No such file or directory" ]]
	done
	run "$HAKO" run -q -D "$ROOT" --resolv-conf=copy-everything /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--resolv-conf"*"expected auto, off, delete"* ]]
}

# nspawn's auto on a host that runs systemd-resolved (its stub on 127.0.0.53:53): the static file,
# whose 127.0.0.53 the container reaches on the host's network.
@test "files: --resolv-conf=auto gives resolved's static file when its stub listens" {
	fake_resolved
	echo "# tree" > "$ROOT/etc/resolv.conf"
	run "$HAKO" run -q -D "$ROOT" /bin/cat /etc/resolv.conf
	[ "$output" = "$(cat /etc/resolv.conf)" ]
	bg python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.53", 53)); time.sleep(60)'
	wait_for 10 grep -q ' 3500007F:0035 ' /proc/net/udp
	run "$HAKO" run -q -D "$ROOT" /bin/cat /etc/resolv.conf
	[ "$output" = "nameserver 127.0.0.53 # static" ]
	# a private network: the guest's own file
	run "$HAKO" run -q -D "$ROOT" --private-network /bin/cat /etc/resolv.conf
	[ "$output" = "# tree" ]
}

@test "files: --inaccessible= hides a file and a directory of the tree, which stays as it was" {
	mkdir -p "$ROOT/srv/secret"
	echo hidden > "$ROOT/srv/secret/data"
	echo hidden > "$ROOT/etc/secret"
	ln -s /srv/secret "$ROOT/etc/link"
	before=$(tree_hash "$ROOT")
	run "$HAKO" run -q -D "$ROOT" --inaccessible=/etc/secret --inaccessible=/etc/link /bin/sh -c '
		cat /etc/secret; ls -A /srv/secret; stat -c "%a %F" /etc/secret /srv/secret
		touch /srv/secret/x 2>/dev/null || echo read-only'
	[ "$status" -eq 0 ]
	[ "$output" = "0 regular empty file
0 directory
read-only" ]
	run "$HAKO" run -q -D "$ROOT" -u user --inaccessible=/etc/secret /bin/sh -c 'cat /etc/secret || echo denied'
	[[ "$output" == *denied ]]
	[ "$(tree_hash "$ROOT")" = "$before" ]
	[ "$(cat "$ROOT/etc/secret")" = hidden ]
	# Inaccessible= in a trusted .nspawn file; a missing path is an error naming it
	printf '[Files]\nInaccessible=/srv/secret\n' > "$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/ls -A /srv/secret
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$HAKO" run -q -D "$ROOT" --inaccessible=/nonexistent /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: cannot make /nonexistent inaccessible in the container: No such file or directory" ]
	run "$HAKO" run -q -D "$ROOT" --inaccessible=relative /bin/true
	[ "$status" -ne 0 ]
}

@test "files: --bind=+PATH binds a path of the tree, relative sources are from the working directory" {
	mkdir -p "$ROOT/srv/data" "$TEST_TMP/host/dir"
	echo in-tree > "$ROOT/srv/data/f"
	echo from-cwd > "$TEST_TMP/host/dir/f"
	run "$HAKO" run -q -D "$ROOT" --bind=+/srv/data:/mnt --bind-ro=+/srv/data /bin/sh -c 'cat /mnt/f /srv/data/f; touch /srv/data/x 2>/dev/null || echo ro'
	[ "$status" -eq 0 ]
	[ "$output" = "in-tree
in-tree
ro" ]
	# +PATH is resolved in the tree: an absolute symlink there does not reach the host's files
	ln -s /etc "$ROOT/escape"
	echo guest-etc > "$ROOT/etc/marker"
	run "$HAKO" run -q -D "$ROOT" --bind-ro=+/escape/marker:/m /bin/cat /m
	[ "$output" = guest-etc ]
	run "$HAKO" run -q -D "$ROOT" --bind=+/missing:/m /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: bind source +/missing: No such file or directory" ]
	# a relative source, from hako's working directory; also in Bind= of a .nspawn file
	run bash -c "cd '$TEST_TMP/host' && '$HAKO' run -q -D '$ROOT' --bind=dir:/mnt /bin/cat /mnt/f"
	[ "$output" = from-cwd ]
	printf '[Files]\nBindReadOnly=+/srv/data:/opt\n' > "$HAKO_CONFIG_DIR/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" /bin/cat /opt/f
	[ "$output" = in-tree ]
	run "$HAKO" run -q -D "$ROOT" --bind=dir /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"a relative source needs a destination"* ]]
}

# lane: vm
@test "files: --bind=SRC:DST:idmap shows the host's root-owned files as the container's root (-U)" {
	mkdir -p "$TEST_TMP/shared/sub"
	echo data > "$TEST_TMP/shared/f"
	chown 0:0 "$TEST_TMP/shared" "$TEST_TMP/shared/f"
	run "$HAKO" run -q -D "$ROOT" -U --bind="$TEST_TMP/shared:/mnt:idmap" /bin/sh -c 'stat -c "%u %g" /mnt/f; echo new > /mnt/new'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0 0" ]
	# what the container's root writes is the host's root's on the host
	[ "$(stat -c '%u %g' "$TEST_TMP/shared/new")" = "0 0" ]
	# without idmap the same file is nobody's in the container
	run "$HAKO" run -q -D "$ROOT" -U --bind="$TEST_TMP/shared:/mnt:noidmap" /bin/stat -c "%u" /mnt/f
	[ "$output" = 65534 ]
	# idmap without a user namespace is refused, as nspawn does
	run "$HAKO" run -q -D "$ROOT" --private-users=no --bind="$TEST_TMP/shared:/mnt:idmap" /bin/true
	[ "$status" -ne 0 ]
	[ "$output" = "hako: bind $TEST_TMP/shared: idmap needs a user namespace (-U, --private-users=)" ]
	run "$HAKO" run -q -D "$ROOT" --bind="$TEST_TMP/shared:/mnt:idmapped" /bin/true
	[ "$status" -ne 0 ]
}
