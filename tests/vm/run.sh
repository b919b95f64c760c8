#!/bin/bash
# The VM lane: boots the stock Debian 12 host (tests/vm/build-image.sh) in QEMU and runs, inside
# it as root, the integration cases tagged for it ("# lane: vm" or "# lane: vm-only" above their
# @test) on this checkout's build/hako. Prints their TAP (names prefixed "vm: "); the caller
# counts it. What goes wrong around the tests (no image, no QEMU, a guest that never reports) is
# printed as a failed case, never a skip.
#   tests/vm/run.sh [FILE.bats...]     the tagged cases of these files (default: all)
#   tests/vm/run.sh --exec SCRIPT      run SCRIPT in the guest instead (the payload is its cwd)
# HAKO_VM_TIMEOUT (seconds, default 3900: the whole lane emulated, sharing the host with the
# host lane) bounds the whole VM; HAKO_VM_ACCEL=kvm|tcg skips the probe.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HAKO_TEST_CACHE:-/var/cache/hako-tests}
work=
qemu_pid=

fail() {
	echo "not ok 1 vm: $1"
	shift
	[ $# -eq 0 ] || printf '# %s\n' "$@"
	exit 1
}

cleanup() {
	[ -z "$qemu_pid" ] || kill -KILL "$qemu_pid" 2>/dev/null
	[ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT

# make_payload DIR: the second disk's tree: hako, its test helpers, the tests, examples and benchmarks.
make_payload() {
	local p=$1
	mkdir -p "$p/build/tests"
	cp -a "$top/tests" "$top/examples" "$top/bench" "$p/"
	cp "${HAKO_VM_BINARY:-$top/build/hako}" "$p/build/hako"
	cp "$top/build/tests/escape" "$top/build/tests/udpecho" "$p/build/tests/"
}

# boot ACCEL SECONDS PAYLOAD_IMG: runs the image with the payload until it powers off; the
# root disk is a snapshot, so the cached image never changes. The guest's second serial port
# (live.tap) is printed as it comes.
boot() {
	local accel=$1 limit=$2 payload=$3 cpu=max
	[ "$accel" = kvm ] && cpu=host
	: >"$work/live.tap"
	qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp 2 -m 3072 -display none -monitor none \
		-no-reboot -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 loglevel=5 panic=-1" \
		-drive file="$image/disk.img",if=virtio,format=raw,snapshot=on \
		-drive file="$payload",if=virtio,format=raw \
		-serial file:"$work/console.log" -serial file:"$work/live.tap" -nic none &
	qemu_pid=$!
	stream "$work/live.tap" "$qemu_pid" | vm_names &
	local stream_pid=$! deadline=$((SECONDS + limit))
	while kill -0 "$qemu_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 1
	done
	kill -KILL "$qemu_pid" 2>/dev/null && echo "# vm: killed after ${limit}s"
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=
	wait "$stream_pid"
}

# stream FILE PID: FILE's whole lines until PID ends; their count goes to $work/streamed.
stream() {
	local line n=0
	while IFS= read -r line; do
		printf '%s\n' "$line"
		n=$((n + 1))
	done < <(tail -n +1 -F --pid="$2" "$1" 2>/dev/null)
	echo "$n" >"$work/streamed"
}

# vm_names: the guest's TAP with "vm: " before each case's name, its closing line a comment.
vm_names() {
	sed -u -e 's/^ok \([0-9]*\) /ok \1 vm: /' -e 's/^not ok \([0-9]*\) /not ok \1 vm: /' \
		-e '/^[0-9]* passed, [0-9]* failed/s/^/# vm: /'
}

# result PAYLOAD_IMG FILE: a file the guest wrote at the payload's root.
result() { debugfs -R "cat /$2" "$1" 2>/dev/null; }

# The accelerator: KVM only where a KVM guest really boots (on some hosts /dev/kvm exists but
# the guest hangs or QEMU aborts); the answer is cached per host kernel and QEMU.
choose_accel() {
	[ -n "${HAKO_VM_ACCEL:-}" ] && { echo "$HAKO_VM_ACCEL"; return; }
	[ -w /dev/kvm ] || { echo tcg; return; }
	local key file
	key=$( { uname -r; qemu-system-x86_64 --version | head -1; grep -m1 'model name' /proc/cpuinfo; } | sha256sum | cut -c1-12)
	file=$cache/vm-accel-$key
	if [ ! -f "$file" ]; then
		mkdir -p "$work/probe"
		printf '#!/bin/sh\necho kvm-ok\n' >"$work/probe/exec.sh"
		chmod +x "$work/probe/exec.sh"
		mkdir -p "$work/probe/tests/vm" && cp "$top/tests/vm/guest.sh" "$work/probe/tests/vm/"
		mkfs.ext4 -q -F -d "$work/probe" "$work/probe.img" 64M >/dev/null 2>&1
		boot kvm 90 "$work/probe.img" >/dev/null
		if result "$work/probe.img" out.tap | grep -q kvm-ok; then echo kvm; else echo tcg; fi >"$file"
	fi
	cat "$file"
}

command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed (package qemu-system-x86)"
command -v debugfs >/dev/null || fail "debugfs is not installed (package e2fsprogs)"
start=$SECONDS
image=$("$top/tests/vm/build-image.sh" "$cache" 2>&1 | tail -1)
[ -f "$image/disk.img" ] || fail "the VM image could not be built" "$image"
[ -x "${HAKO_VM_BINARY:-$top/build/hako}" ] || fail "build hako first (scripts/build.sh)"
work=$(mktemp -d /var/tmp/hako-vm.XXXXXX)

make_payload "$work/payload"
if [ "${1:-}" = --exec ]; then
	[ -f "${2:-}" ] || fail "--exec needs a script to run in the guest"
	cp "$2" "$work/payload/exec.sh" && chmod +x "$work/payload/exec.sh"
else
	: >"$work/payload/args"
	for f in "$@"; do
		rel=$(realpath -m --relative-to="$top" "$f")
		[ -f "$top/$rel" ] && [[ $rel == tests/integration/*.bats ]] ||
			fail "$f: not a bats file of this checkout's tests/integration"
		echo "$rel" >>"$work/payload/args"
	done
fi
accel=$(choose_accel)
echo "$accel" >"$work/payload/accel"
mkfs.ext4 -q -F -d "$work/payload" "$work/payload.img" 2G >/dev/null 2>&1 || fail "cannot make the payload disk"
echo "# vm: image and payload ready in $((SECONDS - start)) s"
start=$SECONDS
echo "# vm: booting a stock Debian 12 host ($accel), running the lane's cases"
boot "$accel" "${HAKO_VM_TIMEOUT:-3900}" "$work/payload.img"
echo "# vm: $((SECONDS - start)) s in the VM"
# What the live stream missed (a lost serial line, a guest that stopped writing to it) is read
# back from out.tap, which the guest synced to the payload disk.
out=$(result "$work/payload.img" out.tap)
[ -n "$out" ] || fail "the guest wrote no results" "console, last lines:" "$(tail -15 "$work/console.log")"
printf '%s\n' "$out" | tail -n +"$(($(cat "$work/streamed" 2>/dev/null || echo 0) + 1))" | vm_names
grep -q '^# vm: done' <<<"$out" || fail "the guest stopped before the end of the lane" \
	"$(grep 'hako-test: ' "$work/console.log" | tail -1)" "console, the kernel's first complaint:" \
	"$(grep -m1 -A30 -E 'BUG:|WARNING:|stall|Oops|panic' "$work/console.log")" \
	"console, last lines:" "$(tail -15 "$work/console.log")"
