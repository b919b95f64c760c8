#!/usr/bin/env bats
# nspawn's process options (issue 15): --rlimit= and Limit*=, --suppress-sync=, --uuid=,
# --link-journal=, with systemd-nspawn 252's meanings.

load helpers

setup() {
	common_setup
	ROOT=$(make_root)
	# The trusted directories: the test's own, never the host's /etc/systemd/nspawn.
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
}

teardown() {
	kill_test_supervisors
	common_teardown
}

# refused TEXT ARGS...: `hako run ARGS` is bad input: exit 125, TEXT in what it says.
refused() {
	local text=$1
	shift
	run "$HAKO" run -q -D "$ROOT" "$@"
	[ "$status" -eq 125 ]
	[[ "$output" == *"$text"* ]]
}

# trust_settings: moves NAME.nspawn from beside the tree into a trusted directory.
trust_settings() {
	mv "$TEST_TMP/root.nspawn" "$HAKO_NSPAWN_DIRS/"
}

# (busybox prints -c in blocks of 512 bytes, -l in KiB.)
# nspawn gives the payload the kernel's limits for PID 1, NOFILE at 1024 soft and a raised hard
# limit (at most 512Ki; hako's own hard limit without CAP_SYS_RESOURCE), whatever the caller had.
# lane: vm
@test "rlimit: nspawn's defaults, --rlimit=NOFILE=SOFT:HARD, one value sets both" {
	local want_hard=$((512 * 1024)) nr_open
	nr_open=$(cat /proc/sys/fs/nr_open)
	[ "$nr_open" -ge "$want_hard" ] || want_hard=$nr_open
	ulimit -Sn 2000
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc) $(ulimit -Hl)'
	[ "$status" -eq 0 ]
	read -r soft hard core memlock <<<"$output"
	[ "$soft" = 1024 ]
	[ "$core" = 0 ]
	[ "$memlock" = 8192 ]
	# Without CAP_SYS_RESOURCE (this sandbox) hako cannot raise a hard limit: nspawn's rule then
	# gives the closest, our own.
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	if (((0x$eff >> 24) & 1)) || [ "$(ulimit -Hn)" -ge "$want_hard" ]; then
		[ "$hard" = "$want_hard" ]
	else
		[ "$hard" = "$(ulimit -Hn)" ]
	fi
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE=100:200 --rlimit=RLIMIT_CORE=1M sh -c \
		'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "100 200 2048" ]
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE=300 sh -c 'echo $(ulimit -Sn) $(ulimit -Hn)'
	[ "$status" -eq 0 ]
	[ "$output" = "300 300" ]
}

@test "rlimit: a soft limit above the hard one, or an unknown name, is one line and exit 125" {
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE=300:200 true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--rlimit=NOFILE=300:200: the soft limit is above the hard limit"* ]]
	refused "unknown resource" --rlimit=FILES=3 true
	refused "expected NAME=SOFT[:HARD]" --rlimit=NOFILE true
}

# Limit*= count only from a trusted directory (nspawn: "Ignoring LimitNOFILE= setting, file is
# not trusted"), and --rlimit= wins over the file for its resource.
@test "rlimit: LimitNOFILE= from a trusted .nspawn, ignored beside the image, --rlimit= wins" {
	printf '[Exec]\nLimitNOFILE=150:250\nLimitCORE=2K\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(ulimit -Sn)'
	[ "$status" -eq 0 ]
	[[ "$output" == *"LimitNOFILE= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" = 1024 ]
	trust_settings
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "150 250 4" ]
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE=120 sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "120 120 4" ]
	printf '[Exec]\nLimitNOFILE=9:8\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	refused "invalid LimitNOFILE=9:8: the soft limit is above the hard limit" true
}

# systemd.nspawn(5): with --settings=override the file's settings win over the command line's, so
# its LimitNOFILE= beats --rlimit=NOFILE=, for that resource only (--rlimit=CORE= stays); beside
# the image the key is still ignored, so the command line's stays. With --settings=trusted
# (systemd-nspawn(1): "regardless of being found ... next to the image file ..., all settings
# will take effect") the file beside the image counts, and the command line still wins.
@test "rlimit: --settings=override, LimitNOFILE= wins over --rlimit=; trusted applies it beside the image" {
	printf '[Exec]\nLimitNOFILE=150:250\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" --settings=override --rlimit=NOFILE=120 --rlimit=CORE=3K \
		sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "150 250 6" ]
	mv "$HAKO_NSPAWN_DIRS/root.nspawn" "$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" --settings=override --rlimit=NOFILE=120 sh -c 'echo $(ulimit -Sn)'
	[ "$status" -eq 0 ]
	[[ "$output" == *"LimitNOFILE= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" = 120 ]
	run "$HAKO" run -q -D "$ROOT" --settings=trusted sh -c 'echo $(ulimit -Sn) $(ulimit -Hn)'
	[ "$status" -eq 0 ]
	[ "$output" = "150 250" ]
	run "$HAKO" run -q -D "$ROOT" --settings=trusted --rlimit=NOFILE=120 sh -c 'echo $(ulimit -Sn)'
	[ "$status" -eq 0 ]
	[ "$output" = 120 ]
}

# nspawn's --suppress-sync: fsync(2) on /dev/null fails EINVAL in the kernel (no fsync there);
# with the option it returns 0 without reaching it. Also from a file beside the image (nspawn
# does not count it as a privilege).
# lane: vm
@test "suppress-sync: fsync(2) returns 0 without reaching the kernel; SuppressSync= in a .nspawn" {
	run "$HAKO" run -q -D "$ROOT" dd if=/dev/null of=/dev/null conv=fsync
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	run "$HAKO" run -q -D "$ROOT" --suppress-sync=yes dd if=/dev/null of=/dev/null conv=fsync
	[ "$status" -eq 0 ]
	refused "invalid --suppress-sync=maybe: expected a boolean" --suppress-sync=maybe true
	printf '[Exec]\nSuppressSync=yes\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" dd if=/dev/null of=/dev/null conv=fsync
	[ "$status" -eq 0 ]
	run "$HAKO" run -q -D "$ROOT" --suppress-sync=no dd if=/dev/null of=/dev/null conv=fsync
	[ "$status" -ne 0 ]
}

# nspawn's --uuid (and MachineID=, trusted files only): container_uuid= in PID 1's environment,
# the machine's Id=; a tree with a machine-id of its own is that machine, whatever --uuid says.
@test "uuid: --uuid= is container_uuid=; random without; the tree's machine-id wins; bad ids refused" {
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789ABCDEF0123456789abcdef sh -c 'echo $container_uuid'
	[ "$status" -eq 0 ]
	[ "$output" = 01234567-89ab-cdef-0123-456789abcdef ]
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $container_uuid'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	first=$output
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $container_uuid'
	[ "$output" != "$first" ]
	refused "the all-zero id is not a machine id" --uuid=00000000-0000-0000-0000-000000000000 true
	refused "invalid --uuid=0123-xyz: expected 32 hex digits or a UUID" --uuid=0123-xyz true
	echo 11112222333344445555666677778888 >"$ROOT/etc/machine-id"
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789abcdef0123456789abcdef sh -c 'echo $container_uuid'
	[ "$output" = 11112222-3333-4444-5555-666677778888 ]
	echo uninitialized >"$ROOT/etc/machine-id"
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789abcdef0123456789abcdef sh -c 'echo $container_uuid'
	[ "$output" = 01234567-89ab-cdef-0123-456789abcdef ]
	echo not-an-id >"$ROOT/etc/machine-id"
	refused "/etc/machine-id is not a machine id, refusing" true
}

@test "uuid: MachineID= from a trusted .nspawn only; a machine's show Id= and status are its uuid" {
	# Never the host's systemd (as machines.bats): units in the test's directory.
	export HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/no-systemd HAKO_SYSTEMD_UNIT_DIR=$TEST_TMP/units
	printf '[Exec]\nMachineID=aaaabbbbccccddddeeeeffff00001111\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $container_uuid'
	[[ "$output" == *"MachineID= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" != aaaabbbb-cccc-dddd-eeee-ffff00001111 ]
	trust_settings
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $container_uuid'
	[ "$output" = aaaabbbb-cccc-dddd-eeee-ffff00001111 ]
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789abcdef0123456789abcdef sh -c 'echo $container_uuid'
	[ "$output" = 01234567-89ab-cdef-0123-456789abcdef ]
	cp -a "$ROOT" "$HAKO_IMAGE_DIR/u1"
	sed -i '/hostname -F/d' "$HAKO_IMAGE_DIR/u1/etc/inittab"
	"$HAKO" start --uuid=fedcba9876543210fedcba9876543210 u1
	run "$HAKO" show u1
	[[ "$output" == *$'\n'"Id=fedcba9876543210fedcba9876543210"$'\n'* ]]
	run "$HAKO" status u1
	[ "${lines[0]}" = "u1(fedcba9876543210fedcba9876543210)" ]
	"$HAKO" stop u1
}

# journal_tmpfs: a tmpfs over the host's /var/log/journal in this test's own mount namespace
# (tests/run's), so the host's journal is never touched.
journal_tmpfs() {
	[ -d /var/log/journal ]
	mount -t tmpfs -o mode=0755 hako-test-journal /var/log/journal
}

# nspawn's --link-journal: guest makes /var/log/journal/ID on the host a symlink to the tree's
# directory; host binds the host's directory into the tree; auto (the default) binds it only
# when the host has one; -j is try-guest; ephemeral machines link nothing.
# lane: vm
@test "link-journal: guest symlinks, host binds, auto binds an existing host directory, -j, bad mode" {
	journal_tmpfs
	local id=0123456789abcdef0123456789abcdef
	run "$HAKO" run -q -D "$ROOT" --uuid=$id --link-journal=guest sh -c "ls /var/log/journal"
	[ "$status" -eq 0 ]
	[ "$output" = $id ]
	[ "$(readlink /var/log/journal/$id)" = "$ROOT/var/log/journal/$id" ]
	rm /var/log/journal/$id
	run "$HAKO" run -q -D "$ROOT" --uuid=$id --link-journal=host sh -c "echo from-guest >/var/log/journal/$id/f"
	[ "$status" -eq 0 ]
	[ -d /var/log/journal/$id ] && [ ! -L /var/log/journal/$id ]
	[ "$(cat /var/log/journal/$id/f)" = from-guest ]
	[ ! -e "$ROOT/var/log/journal/$id/f" ]
	# auto: the host has a directory for this machine now, so it is bound.
	run "$HAKO" run -q -D "$ROOT" --uuid=$id sh -c "cat /var/log/journal/$id/f"
	[ "$output" = from-guest ]
	run "$HAKO" run -q -D "$ROOT" --uuid=$id --link-journal=no sh -c "cat /var/log/journal/$id/f"
	[ "$status" -ne 0 ]
	# -j (try-guest) replaces the empty host directory by the symlink.
	rm /var/log/journal/$id/f
	run "$HAKO" run -q -D "$ROOT" --uuid=$id -j true
	[ "$status" -eq 0 ]
	[ "$(readlink /var/log/journal/$id)" = "$ROOT/var/log/journal/$id" ]
	# auto leaves other machines alone: nothing made on the host.
	run "$HAKO" run -q -D "$ROOT" --uuid=fedcba9876543210fedcba9876543210 true
	[ ! -e /var/log/journal/fedcba9876543210fedcba9876543210 ]
	run "$HAKO" run -q -D "$ROOT" --uuid=fedcba9876543210fedcba9876543210 -x --link-journal=guest true
	[ "$status" -eq 0 ]
	[ ! -e /var/log/journal/fedcba9876543210fedcba9876543210 ]
	refused "invalid --link-journal=sometimes: expected no, auto, host" --link-journal=sometimes true
	umount /var/log/journal
}

# guest mode on a host directory that has files refuses (strict) or skips (try-), as nspawn.
@test "link-journal: guest refuses a host directory in the way; try-guest goes on; LinkJournal= trusted only" {
	journal_tmpfs
	local id=0123456789abcdef0123456789abcdef
	mkdir /var/log/journal/$id && touch /var/log/journal/$id/keep
	run "$HAKO" run -q -D "$ROOT" --uuid=$id --link-journal=guest true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--link-journal: cannot replace /var/log/journal/$id"* ]]
	run "$HAKO" run -q -D "$ROOT" --uuid=$id --link-journal=try-guest true
	[ "$status" -eq 0 ]
	[ -e /var/log/journal/$id/keep ]
	rm -r /var/log/journal/$id
	printf '[Exec]\nLinkJournal=guest\nMachineID=%s\n' $id >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" true
	[[ "$output" == *"LinkJournal= ignored: the file is not in a trusted directory"* ]]
	[ ! -e /var/log/journal/$id ]
	trust_settings
	run "$HAKO" run -q -D "$ROOT" true
	[ "$status" -eq 0 ]
	[ -L /var/log/journal/$id ]
	umount /var/log/journal
}

# The keys nspawn 252 has and hako ignored (issue 15): each through its option, with nspawn's
# trust rule (OOMScoreAdjust= only from trusted files; Ephemeral= and Personality= from any).
@test "exec keys: Ephemeral=, --personality=/Personality=, --oom-score-adjust=/OOMScoreAdjust=" {
	printf '[Exec]\nEphemeral=yes\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" touch /written
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/written" ]
	run "$HAKO" run -q -D "$ROOT" --personality=x86 uname -m
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
	printf '[Exec]\nPersonality=x86\nOOMScoreAdjust=700\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(uname -m) $(cat /proc/self/oom_score_adj)'
	[[ "$output" == *"OOMScoreAdjust= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" = "i686 0" ]
	trust_settings
	run "$HAKO" run -q -D "$ROOT" --personality=x86-64 sh -c 'echo $(uname -m) $(cat /proc/self/oom_score_adj)'
	[ "$status" -eq 0 ]
	[ "$output" = "x86_64 700" ]
	refused "invalid --oom-score-adjust=1001: expected a number from -1000 to 1000" --oom-score-adjust=1001 true
	refused "invalid --personality=sparc" --personality=sparc true
}

# nspawn's --ambient-capability: a command run as a user keeps exactly these (CAP_CHOWN is bit 0,
# CAP_NET_RAW bit 13); only kept ones, never "all", never with -b; the key from trusted files.
@test "ambient-capability: -u USER gets them in every set; refusals; AmbientCapability= trusted only" {
	run "$HAKO" run -q -D "$ROOT" -u user --ambient-capability=CAP_NET_RAW,chown sh -c \
		'grep -E "^Cap(Inh|Prm|Eff|Amb)" /proc/self/status | cut -f2 | sort -u'
	[ "$status" -eq 0 ]
	[ "$output" = 0000000000002001 ]
	run "$HAKO" run -q -D "$ROOT" -u user sh -c 'grep ^CapAmb /proc/self/status | cut -f2'
	[ "$output" = 0000000000000000 ]
	refused "--ambient-capability=CAP_SYS_ADMIN: not kept by the container" --ambient-capability=CAP_SYS_ADMIN true
	run "$HAKO" run -q -D "$ROOT" --ambient-capability=all true
	[ "$status" -eq 125 ]
	refused "not for -b" -b --ambient-capability=CAP_CHOWN
	printf '[Exec]\nAmbientCapability=CAP_NET_RAW\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" -u user sh -c 'grep ^CapAmb /proc/self/status | cut -f2'
	[[ "$output" == *"AmbientCapability= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" = 0000000000000000 ]
	trust_settings
	run "$HAKO" run -q -D "$ROOT" -u user sh -c 'grep ^CapAmb /proc/self/status | cut -f2'
	[ "$output" = 0000000000002000 ]
}

# nspawn chowns the host's journal directory to the container's root with -U, so a booted
# guest's journald (running as the shifted root) writes its files there.
# lane: vm
@test "link-journal: try-host with -U, a booted Debian's journald writes in the host's directory" {
	journal_tmpfs
	debian_boot_bg --private-users=pick --link-journal=try-host
	local base id
	id=$(cat "$TEST_TMP/deb/etc/machine-id") # the tree's own, which --uuid= would not change
	base=$(awk 'NR == 1 {print $2}' "/proc/$INIT/uid_map")
	[ "$base" -ne 0 ]
	# The owner is the container's root (the guest's tmpfiles then gives the group to its
	# systemd-journal).
	[ "$(stat -c %u /var/log/journal/$id)" = "$base" ]
	nsenter -t "$INIT" -a journalctl --flush
	wait_for 30 test -e /var/log/journal/$id/system.journal
	debian_poweroff
	umount /var/log/journal
}
