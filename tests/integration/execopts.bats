#!/usr/bin/env bats
# nspawn's process options (issue 15): --rlimit= and Limit*=, --suppress-sync=, --uuid=,
# --link-journal=, with systemd-nspawn 252's meanings.

load helpers

setup() {
	common_setup
	ROOT=$(make_root)
}

teardown() {
	kill_test_supervisors
	common_teardown
}

# (busybox prints -c in blocks of 512 bytes, -l in KiB.)
# nspawn gives the payload the kernel's limits for PID 1, NOFILE at 1024 soft and a raised hard
# limit (at most 512Ki; hako's own hard limit without CAP_SYS_RESOURCE), whatever the caller had.
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
	run "$HAKO" run -q -D "$ROOT" --rlimit=FILES=3 true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown resource"* ]]
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE true
	[ "$status" -eq 125 ]
	[[ "$output" == *"expected NAME=SOFT[:HARD]"* ]]
}

# Limit*= count only from a trusted directory (nspawn: "Ignoring LimitNOFILE= setting, file is
# not trusted"), and --rlimit= wins over the file for its resource.
@test "rlimit: LimitNOFILE= from a trusted .nspawn, ignored beside the image, --rlimit= wins" {
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn
	mkdir -p "$HAKO_NSPAWN_DIRS"
	printf '[Exec]\nLimitNOFILE=150:250\nLimitCORE=2K\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(ulimit -Sn)'
	[ "$status" -eq 0 ]
	[[ "$output" == *"LimitNOFILE= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" = 1024 ]
	mv "$TEST_TMP/root.nspawn" "$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "150 250 4" ]
	run "$HAKO" run -q -D "$ROOT" --rlimit=NOFILE=120 sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sc)'
	[ "$status" -eq 0 ]
	[ "$output" = "120 120 4" ]
	printf '[Exec]\nLimitNOFILE=9:8\n' >"$HAKO_NSPAWN_DIRS/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid LimitNOFILE=9:8: the soft limit is above the hard limit"* ]]
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
	run "$HAKO" run -q -D "$ROOT" --suppress-sync=maybe true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --suppress-sync=maybe: expected a boolean"* ]]
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
	run "$HAKO" run -q -D "$ROOT" --uuid=00000000-0000-0000-0000-000000000000 true
	[ "$status" -eq 125 ]
	[[ "$output" == *"the all-zero id is not a machine id"* ]]
	run "$HAKO" run -q -D "$ROOT" --uuid=0123-xyz true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --uuid=0123-xyz: expected 32 hex digits or a UUID"* ]]
	echo 11112222333344445555666677778888 >"$ROOT/etc/machine-id"
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789abcdef0123456789abcdef sh -c 'echo $container_uuid'
	[ "$output" = 11112222-3333-4444-5555-666677778888 ]
	echo uninitialized >"$ROOT/etc/machine-id"
	run "$HAKO" run -q -D "$ROOT" --uuid=0123456789abcdef0123456789abcdef sh -c 'echo $container_uuid'
	[ "$output" = 01234567-89ab-cdef-0123-456789abcdef ]
	echo not-an-id >"$ROOT/etc/machine-id"
	run "$HAKO" run -q -D "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/etc/machine-id is not a machine id, refusing"* ]]
}

@test "uuid: MachineID= from a trusted .nspawn only; a machine's show Id= and status are its uuid" {
	export HAKO_NSPAWN_DIRS=$TEST_TMP/nspawn HAKO_SYSTEMD_RUNTIME_DIR=$TEST_TMP/no-systemd
	export HAKO_SYSTEMD_UNIT_DIR=$TEST_TMP/units
	mkdir -p "$HAKO_NSPAWN_DIRS"
	printf '[Exec]\nMachineID=aaaabbbbccccddddeeeeffff00001111\n' >"$TEST_TMP/root.nspawn"
	run "$HAKO" run -q -D "$ROOT" sh -c 'echo $container_uuid'
	[[ "$output" == *"MachineID= ignored: the file is not in a trusted directory"* ]]
	[ "${lines[-1]}" != aaaabbbb-cccc-dddd-eeee-ffff00001111 ]
	mv "$TEST_TMP/root.nspawn" "$HAKO_NSPAWN_DIRS/"
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
