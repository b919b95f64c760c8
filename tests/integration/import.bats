#!/usr/bin/env bats
# hako import-tar, import-fs, export-tar, pull-tar (machinectl's and importctl's transfers, for
# directory images) and the raw verbs they refuse.
load helpers

setup() {
	common_setup
	SRC=$(make_root "$TEST_TMP/src")
	# What an image must keep: numeric owners, modes, and file capabilities (ping's).
	echo secret > "$SRC/etc/shadow-like"
	chown 1234:5678 "$SRC/etc/shadow-like"
	chmod 640 "$SRC/etc/shadow-like"
	setcap cap_net_raw+ep "$SRC/bin/busybox"
	mkdir -p "$TEST_TMP/outside"
}

teardown() {
	kill_test_supervisors
	# --read-only images are immutable: let the teardown remove them.
	chattr -i "$HAKO_IMAGE_DIR"/* 2>/dev/null || true
	common_teardown
}

# listing DIR: every entry's path, type, mode, owner, size and link target, then the caps.
listing() {
	(cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | sort && getcap -r . | sort)
}

# same_tree A B: the listings and the contents agree.
same_tree() {
	diff <(listing "$1") <(listing "$2")
	diff -r --no-dereference "$1" "$2"
}

# inodes DIR PATH...: "inode links" of each PATH below DIR, one a line.
inodes() {
	local dir=$1; shift
	(cd "$dir" && stat -c '%i %h' "$@")
}

# one_inode LINE...: the lines of inodes are all the same.
one_inode() {
	local first=$1; shift
	for l in "$@"; do [ "$l" = "$first" ] || return 1; done
}

# link_groups DIR: the names of each file with more than one, a line a file ("a b"), sorted.
link_groups() {
	(cd "$1" && find . -xdev -type f -links +1 -printf '%i %p\n' | sort -k1,1n -k2 |
		awk '$1 != last { if (line) print line; line = $2; last = $1; next } { line = line " " $2 } END { if (line) print line }' |
		sort)
}

# nothing_left: no image and no hidden temp directory in the images dir.
nothing_left() {
	[ -z "$(ls -A "$HAKO_IMAGE_DIR")" ]
}

@test "import-tar unpacks each compression, names the image from the file, and keeps owners, modes and caps" {
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$SRC" -cf "$TEST_TMP/plain.tar" .
	for z in gzip xz zstd bzip2; do
		"$z" -c "$TEST_TMP/plain.tar" > "$TEST_TMP/$z.tar.$z"
	done
	mv "$TEST_TMP/gzip.tar.gzip" "$TEST_TMP/gzip.tgz"
	mv "$TEST_TMP/bzip2.tar.bzip2" "$TEST_TMP/bzip2.tar.bz2"
	mv "$TEST_TMP/zstd.tar.zstd" "$TEST_TMP/zstd.tar.zst"
	for f in plain.tar gzip.tgz xz.tar.xz zstd.tar.zst bzip2.tar.bz2; do
		run "$HAKO" import-tar "$TEST_TMP/$f"
		[ "$status" -eq 0 ]
		same_tree "$SRC" "$HAKO_IMAGE_DIR/${f%%.t*}"
	done
	run "$HAKO" image list
	[[ "$output" == *"5 images listed."* ]]
	# It runs.
	run "$HAKO" run -D "$HAKO_IMAGE_DIR/xz" /bin/cat /etc/shadow-like
	[ "$status" -eq 0 ]
	[ "$output" = secret ]
}

@test "import-tar reads stdin with NAME (hako image import-tar too) and refuses - without one" {
	tar --numeric-owner -C "$SRC" -czf "$TEST_TMP/bb.tar.gz" .
	run "$HAKO" image import-tar - fromstdin < "$TEST_TMP/bb.tar.gz"
	[ "$status" -eq 0 ]
	[ -x "$HAKO_IMAGE_DIR/fromstdin/bin/busybox" ]
	run "$HAKO" import-tar - < "$TEST_TMP/bb.tar.gz"
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: "*"give NAME"* ]]
	[ "${#lines[@]}" -eq 1 ]
	# An existing name and an invalid one are refused before anything is read.
	run "$HAKO" import-tar "$TEST_TMP/bb.tar.gz" fromstdin
	[ "$status" -eq 125 ]
	[[ "$output" == *"image fromstdin already exists"* ]]
	run "$HAKO" import-tar "$TEST_TMP/bb.tar.gz" ../x
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid image name"* ]]
}

@test "a tar that breaks off halfway leaves no image and no temp directory" {
	tar --numeric-owner -C "$SRC" -cf "$TEST_TMP/whole.tar" .
	head -c 300000 "$TEST_TMP/whole.tar" > "$TEST_TMP/cut.tar"
	run "$HAKO" import-tar "$TEST_TMP/cut.tar"
	[ "$status" -eq 126 ]
	[[ "$output" == "hako: cannot import $TEST_TMP/cut.tar as image cut: "* ]]
	[ "${#lines[@]}" -eq 1 ]
	nothing_left
}

@test "an import killed halfway leaves a hidden directory the next import removes, unless one still fills it" {
	tar --numeric-owner -C "$SRC" -cf "$TEST_TMP/bb.tar" .
	mkdir -p "$HAKO_IMAGE_DIR/.tar-killed-AbC123/etc" "$HAKO_IMAGE_DIR/.fs-busy-XyZ789"
	exec 8< "$HAKO_IMAGE_DIR/.fs-busy-XyZ789"
	flock 8
	run "$HAKO" import-tar "$TEST_TMP/bb.tar"
	exec 8<&-
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed $HAKO_IMAGE_DIR/.tar-killed-AbC123"* ]]
	[ "$(ls -A "$HAKO_IMAGE_DIR" | paste -sd' ')" = ".fs-busy-XyZ789 bb" ]
	run "$HAKO" image list
	[[ "$output" == *"1 images listed."* ]]
}

# evil NAME KIND: a tar whose second entry tries to write into $TEST_TMP/outside.
evil() {
	python3 - "$TEST_TMP/$1.tar" "$2" "$TEST_TMP/outside" <<'PY'
import io, sys, tarfile
path, kind, outside = sys.argv[1:]
def member(name, data=b"x", link=None):
    ti = tarfile.TarInfo(name)
    if link:
        ti.type, ti.linkname = tarfile.SYMTYPE, link
        return ti, None
    ti.size = len(data)
    return ti, io.BytesIO(data)
entries = [member("ok")]
depth = "../" * 12
if kind == "dotdot":
    entries.append(member(depth + outside.lstrip("/") + "/escaped"))
elif kind == "absolute":
    entries.append(member(outside + "/escaped"))
elif kind == "symlink":
    entries += [member("link", link=outside), member("link/escaped")]
else:
    # A hard link to a file outside, then data written through it.
    victim = outside.rsplit("/", 1)[0] + "/victim"
    target = victim if kind == "hardlink-absolute" else depth + victim.lstrip("/")
    link = tarfile.TarInfo("h")
    link.type, link.linkname = tarfile.LNKTYPE, target
    entries += [(link, None), member("h", b"EVIL")]
with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
    for ti, f in entries:
        t.addfile(ti, f)
PY
}

@test "a tar with a .. path, an absolute path, a path through its own symlink or a hard link out writes nothing outside" {
	echo orig > "$TEST_TMP/victim"
	for kind in dotdot absolute symlink hardlink-absolute hardlink-dotdot; do
		evil "$kind" "$kind"
		run "$HAKO" import-tar "$TEST_TMP/$kind.tar"
		[ "$status" -eq 126 ]
		[ "${#lines[@]}" -eq 1 ]
		[ -z "$(ls -A "$TEST_TMP/outside")" ]
		[ "$(cat "$TEST_TMP/victim")" = orig ]
		[ "$(stat -c %h "$TEST_TMP/victim")" = 1 ]
		nothing_left
	done
	run "$HAKO" import-tar "$TEST_TMP/dotdot.tar"
	[[ "$output" == *"Path contains '..'"* ]]
	run "$HAKO" import-tar "$TEST_TMP/absolute.tar"
	[[ "$output" == *"Path is absolute"* ]]
	run "$HAKO" import-tar "$TEST_TMP/symlink.tar"
	[[ "$output" == *"symlink"* ]]
}

@test "import-tar --read-only makes an immutable image, as machinectl does for directories" {
	tar --numeric-owner -C "$SRC" -cf "$TEST_TMP/ro.tar" .
	run "$HAKO" import-tar --read-only "$TEST_TMP/ro.tar"
	[ "$status" -eq 0 ]
	[[ "$(lsattr -d "$HAKO_IMAGE_DIR/ro")" == *i*" $HAKO_IMAGE_DIR/ro" ]]
	run "$HAKO" image list
	[[ "$output" == *"ro   directory yes"* ]]
}

@test "import-fs copies a directory tree into a new image, keeping owners, modes and caps" {
	run "$HAKO" import-fs "$SRC"
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/src"
	run "$HAKO" image import-fs "$SRC" copy2
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/copy2"
	run "$HAKO" import-fs "$TEST_TMP/nonexistent" x
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: cannot open directory $TEST_TMP/nonexistent: "* ]]
}

@test "image clone keeps file capabilities too (the chown cleared them)" {
	run "$HAKO" import-tar - bb < <(tar --numeric-owner --xattrs --xattrs-include='*' -C "$SRC" -cf - .)
	[ "$status" -eq 0 ]
	run "$HAKO" image clone bb bb2
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/bb2"
}

@test "export-tar then import-tar gives the same tree, in every format" {
	run "$HAKO" import-fs "$SRC" bb
	[ "$status" -eq 0 ]
	declare -A magic=([tar]=POSIX [tar.gz]=gzip [tar.xz]=XZ [tar.zst]=Zstandard [tar.bz2]=bzip2)
	for suffix in tar tar.gz tar.xz tar.zst tar.bz2; do
		run "$HAKO" export-tar bb "$TEST_TMP/out.$suffix"
		[ "$status" -eq 0 ]
		[[ "$(file -b "$TEST_TMP/out.$suffix")" == *"${magic[$suffix]}"* ]]
		run "$HAKO" import-tar "$TEST_TMP/out.$suffix" "back-${suffix//./-}"
		[ "$status" -eq 0 ]
		same_tree "$SRC" "$HAKO_IMAGE_DIR/back-${suffix//./-}"
	done
	# --format= wins over the suffix; stdout with "-".
	"$HAKO" export-tar --format=xz bb - > "$TEST_TMP/stdout.tar"
	[[ "$(file -b "$TEST_TMP/stdout.tar")" == *XZ* ]]
}

@test "export-tar writes a file's other names as tar hard links; import-tar and import-fs make one inode of them" {
	mkdir -p "$SRC/srv/a" "$SRC/srv/b"
	head -c 8388608 /dev/urandom > "$SRC/srv/a/f"
	ln "$SRC/srv/a/f" "$SRC/srv/a/g"
	ln "$SRC/srv/a/f" "$SRC/srv/b/h"
	run "$HAKO" import-fs "$SRC" bb
	[ "$status" -eq 0 ]
	mapfile -t lines < <(inodes "$HAKO_IMAGE_DIR/bb" srv/a/f srv/a/g srv/b/h)
	one_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 3" ]]
	run "$HAKO" export-tar bb "$TEST_TMP/out.tar"
	[ "$status" -eq 0 ]
	# One copy of the 8 MiB (three would be 24), two link entries naming the name that came first.
	[ "$(tar -tvf "$TEST_TMP/out.tar" | grep -c ' link to ')" -eq 2 ]
	[ "$(stat -c %s "$TEST_TMP/out.tar")" -lt $((16 << 20)) ]
	run "$HAKO" import-tar "$TEST_TMP/out.tar" back
	[ "$status" -eq 0 ]
	mapfile -t lines < <(inodes "$HAKO_IMAGE_DIR/back" srv/a/f srv/a/g srv/b/h)
	one_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 3" ]]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/back"
	# GNU tar's own hard-link entries too.
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$SRC" -cf "$TEST_TMP/gnu.tar" .
	run "$HAKO" import-tar "$TEST_TMP/gnu.tar"
	[ "$status" -eq 0 ]
	mapfile -t lines < <(inodes "$HAKO_IMAGE_DIR/gnu" srv/a/f srv/a/g srv/b/h)
	one_inode "${lines[@]}"
	[[ "${lines[0]}" == *" 3" ]]
}

# The real Debian tree with systemd, through export-tar and import-tar as importctl users move
# images between hosts: the image that comes back is the same, and boots.
# lane: vm
@test "Debian round trip: export-tar, import-tar as another name keeps hard links, caps, setuid files, and it boots" {
	debian_tree
	run "$HAKO" import-fs "$DEB" deb
	[ "$status" -eq 0 ]
	# The tree has no ping: one of its programs gets ping's file capability for the trip.
	setcap cap_net_raw+ep "$HAKO_IMAGE_DIR/deb/usr/bin/ls"
	run "$HAKO" export-tar deb "$TEST_TMP/deb.tar.zst"
	[ "$status" -eq 0 ]
	run "$HAKO" import-tar "$TEST_TMP/deb.tar.zst" deb2
	[ "$status" -eq 0 ]
	local back=$HAKO_IMAGE_DIR/deb2
	[ -n "$(link_groups "$DEB")" ]
	diff <(link_groups "$DEB") <(link_groups "$back")
	diff <(cd "$DEB" && find . -xdev -links +1 -type f | wc -l) <(cd "$back" && find . -xdev -links +1 -type f | wc -l)
	[[ "$(getcap "$back/usr/bin/ls")" == *"cap_net_raw=ep" ]]
	diff <(cd "$HAKO_IMAGE_DIR/deb" && getcap -r . | sort) <(cd "$back" && getcap -r . | sort)
	for f in usr/bin/passwd usr/bin/su usr/bin/mount usr/bin/sudo; do
		[ -e "$DEB/$f" ] || continue
		[ "$(stat -c '%a %u %g' "$back/$f")" = "$(stat -c '%a %u %g' "$DEB/$f")" ]
	done
	[ "$(stat -c %a "$back/usr/bin/passwd")" = 4755 ]
	"$HAKO" start --notify-ready=yes deb2
	run "$HAKO" shell deb2 systemctl is-system-running
	echo "$output"
	[[ "$output" =~ ^(running|degraded)$ ]]
	"$HAKO" poweroff --timeout=10 deb2
}

@test "export-tar refuses an existing file, an unknown format and a missing image" {
	run "$HAKO" import-fs "$SRC" bb
	echo keep > "$TEST_TMP/there.tar"
	run "$HAKO" export-tar bb "$TEST_TMP/there.tar"
	[ "$status" -eq 125 ]
	[ "$output" = "hako: $TEST_TMP/there.tar already exists (--force overwrites it)" ]
	[ "$(cat "$TEST_TMP/there.tar")" = keep ]
	# --force overwrites it in one step, leaving no temporary file beside it.
	ln "$TEST_TMP/there.tar" "$TEST_TMP/old-link"
	run "$HAKO" export-tar --force bb "$TEST_TMP/there.tar"
	[ "$status" -eq 0 ]
	[[ "$(file -b "$TEST_TMP/there.tar")" == *POSIX* ]]
	[ "$(cat "$TEST_TMP/old-link")" = keep ]
	[ -z "$(ls "$TEST_TMP" | grep '\.tmp$')" ]
	run "$HAKO" export-tar --format=lz4 bb "$TEST_TMP/x.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: unknown --format=lz4 "* ]]
	run "$HAKO" export-tar nosuch "$TEST_TMP/x.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: no image nosuch in "* ]]
	[ ! -e "$TEST_TMP/x.tar" ]
}

# serve DIR: python3's http.server on 127.0.0.1:8080 of the test's own network namespace,
# ready once the port listens.
serve() {
	bg python3 -m http.server --bind 127.0.0.1 --directory "$1" 8080 2> "$TEST_TMP/http.log"
	wait_for 20 listening
}
listening() { grep -q '0100007F:1F90 00000000:0000 0A' /proc/net/tcp; }

@test "pull-tar downloads a tar checked against SHA256SUMS; a wrong sum, a 404 and signature are refused" {
	mkdir "$TEST_TMP/www"
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$SRC" -cJf "$TEST_TMP/www/busybox.tar.xz" .
	cp "$TEST_TMP/www/busybox.tar.xz" "$TEST_TMP/www/tampered.tar.xz"
	(cd "$TEST_TMP/www" && sha256sum busybox.tar.xz > SHA256SUMS)
	echo "$(sha256sum < /dev/null | cut -d' ' -f1)  tampered.tar.xz" >> "$TEST_TMP/www/SHA256SUMS"
	serve "$TEST_TMP/www"
	run "$HAKO" pull-tar http://127.0.0.1:8080/busybox.tar.xz
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/busybox"
	# The server has no busybox.nspawn: not an error, and none is made.
	[ ! -e "$HAKO_IMAGE_DIR/busybox.nspawn" ]
	run "$HAKO" pull-tar http://127.0.0.1:8080/tampered.tar.xz
	[ "$status" -eq 126 ]
	[[ "$output" == "hako: checksum of http://127.0.0.1:8080/tampered.tar.xz does not match "* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(ls -A "$HAKO_IMAGE_DIR")" = busybox ]
	run "$HAKO" pull-tar http://127.0.0.1:8080/missing.tar.xz
	[ "$status" -eq 126 ]
	[[ "$output" == "hako: cannot download http://127.0.0.1:8080/missing.tar.xz: "*404* ]]
	[ "${#lines[@]}" -eq 1 ]
	run "$HAKO" pull-tar --verify=signature http://127.0.0.1:8080/busybox.tar.xz other
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: --verify=signature is not supported: "*keyring* ]]
	# --verify=no needs no SHA256SUMS; hako image pull-tar is the same verb.
	rm "$TEST_TMP/www/SHA256SUMS"
	run "$HAKO" image pull-tar --verify=no http://127.0.0.1:8080/tampered.tar.xz
	[ "$status" -eq 0 ]
	[ -x "$HAKO_IMAGE_DIR/tampered/bin/busybox" ]
	run "$HAKO" pull-tar http://127.0.0.1:8080/busybox.tar.xz again
	[ "$status" -eq 126 ]
	[[ "$output" == "hako: cannot download http://127.0.0.1:8080/SHA256SUMS: "*404* ]]
	[ ! -e "$HAKO_IMAGE_DIR/again" ]
	run "$HAKO" pull-tar file:///etc/passwd x
	[ "$status" -eq 125 ]
	[[ "$output" == "hako: invalid URL file:///etc/passwd "* ]]
}

@test "pull-tar fetches URL.nspawn beside the image as untrusted settings, checked against SHA256SUMS too" {
	mkdir "$TEST_TMP/www"
	for n in bb nosum bad; do
		tar --numeric-owner -C "$SRC" -cJf "$TEST_TMP/www/$n.tar.xz" .
		printf '[Exec]\nEnvironment=FROMFILE=%s\nCapability=CAP_SYS_ADMIN\n' "$n" > "$TEST_TMP/www/$n.nspawn"
	done
	(cd "$TEST_TMP/www" && sha256sum bb.tar.xz bb.nspawn nosum.tar.xz bad.tar.xz > SHA256SUMS)
	echo "$(sha256sum < /dev/null | cut -d' ' -f1)  bad.nspawn" >> "$TEST_TMP/www/SHA256SUMS"
	serve "$TEST_TMP/www"
	run "$HAKO" pull-tar http://127.0.0.1:8080/bb.tar.xz
	[ "$status" -eq 0 ]
	cmp "$TEST_TMP/www/bb.nspawn" "$HAKO_IMAGE_DIR/bb.nspawn"
	# Beside the image it counts as nspawn counts it there: Environment= applies, Capability= not.
	run "$HAKO" run -D "$HAKO_IMAGE_DIR/bb" /bin/sh -c 'echo "$FROMFILE"'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = bb ]
	[[ "$output" == *"Capability= ignored: the file is not in a trusted directory"* ]]
	# A settings file SHA256SUMS does not name, or names with another digest, fails the pull whole.
	run "$HAKO" pull-tar http://127.0.0.1:8080/nosum.tar.xz
	[ "$status" -eq 126 ]
	[ "$output" = "hako: http://127.0.0.1:8080/SHA256SUMS has no line for nosum.nspawn" ]
	run "$HAKO" pull-tar http://127.0.0.1:8080/bad.tar.xz
	[ "$status" -eq 126 ]
	[[ "$output" == "hako: checksum of http://127.0.0.1:8080/bad.nspawn does not match "* ]]
	[ "$(ls -A "$HAKO_IMAGE_DIR" | paste -sd' ')" = "bb bb.nspawn" ]
	# --verify=no takes it unchecked.
	run "$HAKO" pull-tar --verify=no http://127.0.0.1:8080/bad.tar.xz
	[ "$status" -eq 0 ]
	cmp "$TEST_TMP/www/bad.nspawn" "$HAKO_IMAGE_DIR/bad.nspawn"
}

@test "--force replaces an existing image (import-tar, import-fs, pull-tar, and its .nspawn); without it nothing changes" {
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$SRC" -cf "$TEST_TMP/bb.tar" .
	run "$HAKO" import-fs "$SRC" bb
	[ "$status" -eq 0 ]
	touch "$HAKO_IMAGE_DIR/bb/old"
	run "$HAKO" import-tar "$TEST_TMP/bb.tar" bb
	[ "$status" -eq 125 ]
	[ "$output" = "hako: image bb already exists" ]
	[ -e "$HAKO_IMAGE_DIR/bb/old" ]
	run "$HAKO" import-tar --force "$TEST_TMP/bb.tar" bb
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/bb"
	# A read-only (immutable) image is replaced as well, by import-fs --force.
	run "$HAKO" import-tar --force --read-only "$TEST_TMP/bb.tar" bb
	[ "$status" -eq 0 ]
	run "$HAKO" import-fs "$SRC" bb
	[ "$status" -eq 125 ]
	run "$HAKO" import-fs --force "$SRC" bb
	[ "$status" -eq 0 ]
	same_tree "$SRC" "$HAKO_IMAGE_DIR/bb"
	[ "$(ls -A "$HAKO_IMAGE_DIR")" = bb ]
	# pull-tar: the image and its settings file.
	mkdir "$TEST_TMP/www"
	cp "$TEST_TMP/bb.tar" "$TEST_TMP/www/"
	echo '[Exec]' > "$TEST_TMP/www/bb.nspawn"
	echo old > "$HAKO_IMAGE_DIR/bb.nspawn"
	touch "$HAKO_IMAGE_DIR/bb/old"
	serve "$TEST_TMP/www"
	run "$HAKO" pull-tar --verify=no http://127.0.0.1:8080/bb.tar
	[ "$status" -eq 125 ]
	[ "$output" = "hako: image bb already exists" ]
	# An image gone but its settings file left: refused before anything is unpacked.
	run "$HAKO" pull-tar --verify=no http://127.0.0.1:8080/bb.tar other
	[ "$status" -eq 0 ]
	mv "$HAKO_IMAGE_DIR/bb.nspawn" "$HAKO_IMAGE_DIR/third.nspawn"
	run "$HAKO" pull-tar --verify=no http://127.0.0.1:8080/bb.tar third
	[ "$status" -eq 126 ]
	[ "$output" = "hako: $HAKO_IMAGE_DIR/third.nspawn already exists (--force replaces it)" ]
	[ ! -e "$HAKO_IMAGE_DIR/third" ]
	[ "$(cat "$HAKO_IMAGE_DIR/third.nspawn")" = old ]
	run "$HAKO" pull-tar --verify=no --force http://127.0.0.1:8080/bb.tar third
	[ "$status" -eq 0 ]
	cmp "$TEST_TMP/www/bb.nspawn" "$HAKO_IMAGE_DIR/third.nspawn"
	run "$HAKO" pull-tar --verify=no --force http://127.0.0.1:8080/bb.tar
	[ "$status" -eq 0 ]
	[ ! -e "$HAKO_IMAGE_DIR/bb/old" ]
	cmp "$TEST_TMP/www/bb.nspawn" "$HAKO_IMAGE_DIR/bb.nspawn"
	[ "$(ls -A "$HAKO_IMAGE_DIR" | paste -sd' ')" = "bb bb.nspawn other other.nspawn third third.nspawn" ]
	# Not an image a machine runs on.
	sed -i '/hostname -F/d' "$HAKO_IMAGE_DIR/bb/etc/inittab"
	"$HAKO" start --private-users=no bb
	run "$HAKO" import-tar --force "$TEST_TMP/bb.tar" bb
	[ "$status" -eq 125 ]
	[ "$output" = "hako: machine bb is running (hako stop bb first)" ]
	"$HAKO" stop bb
}

@test "import-raw, export-raw and pull-raw are refused with one line: hako runs directory trees" {
	for verb in import-raw export-raw pull-raw "image import-raw"; do
		run $HAKO $verb whatever.raw
		[ "$status" -eq 125 ]
		[[ "$output" == "hako: "*"raw disk images are not supported: hako runs directory trees"* ]]
		[ "${#lines[@]}" -eq 1 ]
	done
	nothing_left
}
