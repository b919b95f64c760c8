#!/bin/bash
# The VM lane: boots the stock Debian 12 host (tests/vm/build-image.sh) in QEMU and runs, inside
# it as root, the integration cases tagged for it ("# lane: vm" or "# lane: vm-only" above their
# @test) on this checkout's build/hako. Prints their TAP (names prefixed "vm: "); the caller
# counts it. What goes wrong around the tests (no image, no QEMU, a guest that never reports) is
# printed as a failed case, never a skip.
#   tests/vm/run.sh [FILE.bats...]     the tagged cases of these files (default: all)
#   tests/vm/run.sh --exec SCRIPT      run SCRIPT in the guest instead (the payload is its cwd)
#   tests/vm/run.sh --hosts            two guests, h1 and h2, on one wire: tests/vm/hosts-guest.sh
# HAKO_VM_TIMEOUT (seconds, default 3900: the whole lane emulated, sharing the host with the
# host lane) bounds the whole VM; HAKO_VM_ACCEL=kvm|tcg skips the probe.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HAKO_TEST_CACHE:-/var/cache/hako-tests}
work=
qemu_pid=
pair_pids=()

fail() {
	echo "not ok 1 vm: $1"
	shift
	[ $# -eq 0 ] || printf '# %s\n' "$@"
	exit 1
}

cleanup() {
	[ -z "$qemu_pid" ] || kill -KILL "$qemu_pid" 2>/dev/null
	[ ${#pair_pids[@]} -eq 0 ] || kill -KILL "${pair_pids[@]}" 2>/dev/null
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

# qemu_argv ACCEL PAYLOAD_IMG CONSOLE LIVE SMP: one guest's command line, in QEMU. The root disk
# is a snapshot, so the cached image never changes; the second serial port (LIVE) carries the
# guest's TAP as it comes.
qemu_argv() {
	local cpu=max
	[ "$1" = kvm ] && cpu=host
	QEMU=(qemu-system-x86_64 -accel "$1" -cpu "$cpu" -smp "$5" -m 3072 -display none -monitor none
		-no-reboot -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
		-append "root=/dev/vda rw console=ttyS0 loglevel=5 panic=-1"
		-drive file="$image/disk.img",if=virtio,format=raw,snapshot=on
		-drive file="$2",if=virtio,format=raw -serial file:"$3" -serial file:"$4")
}

# boot ACCEL SECONDS PAYLOAD_IMG: runs the image with the payload until it powers off, printing
# the live TAP as it comes.
boot() {
	local accel=$1 limit=$2 payload=$3
	: >"$work/live.tap"
	qemu_argv "$accel" "$payload" "$work/console.log" "$work/live.tap" 2
	"${QEMU[@]}" -nic none &
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

# ---- two hosts (--hosts) ----
# Guests h1 and h2 of the same image, each its own kernel, joined by one virtual wire: a stream
# socket between the two QEMUs, in $work (no host network is involved). Each runs
# tests/vm/hosts-guest.sh with its name in the payload's file "role"; h1 drives both (h2 through a
# real ssh, with a key made here) and its TAP is the result; h2's log follows as comments.

# pair_payload NAME: NAME's payload disk, $work/NAME.img.
pair_payload() {
	local p=$work/$1
	make_payload "$p"
	echo "$1" >"$p/role"
	echo "$accel" >"$p/accel"
	cp "$top/tests/vm/hosts-guest.sh" "$p/exec.sh"
	mkdir -p "$p/ssh" && cp "$work/id" "$work/id.pub" "$p/ssh/"
	mkfs.ext4 -q -F -d "$p" "$work/$1.img" 2G >/dev/null 2>&1 || fail "cannot make $1's payload disk"
}

# pair_boot NAME N SERVER: guest NAME in the background, its NIC's MAC ending in N, the wire's
# listening end if SERVER is on.
pair_boot() {
	: >"$work/$1.live.tap"
	qemu_argv "$accel" "$work/$1.img" "$work/$1.console.log" "$work/$1.live.tap" 1
	"${QEMU[@]}" -netdev stream,id=wire,server="$3",addr.type=unix,addr.path="$work/wire" \
		-device virtio-net-pci,netdev=wire,mac="52:54:00:00:02:0$2" &
	pair_pids+=($!)
}

run_hosts() {
	local limit=${HAKO_VM_TIMEOUT:-3900} deadline out
	ssh-keygen -q -t ed25519 -N '' -C hako-vm-hosts -f "$work/id" ||
		fail "cannot make the two hosts' ssh key (ssh-keygen: package openssh-client)"
	pair_payload h1
	pair_payload h2
	echo "# vm hosts: booting two stock Debian 12 hosts ($accel), h1 and h2, on one wire"
	start=$SECONDS deadline=$((SECONDS + limit))
	pair_boot h1 1 on
	while [ ! -S "$work/wire" ] && kill -0 "${pair_pids[0]}" 2>/dev/null; do sleep 0.1; done
	pair_boot h2 2 off
	while kill -0 "${pair_pids[0]}" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
	kill -KILL "${pair_pids[0]}" 2>/dev/null && echo "# vm hosts: h1 killed after ${limit}s"
	# h2 ends once h1 tells it it is done; if h1 never could, a minute later.
	deadline=$((SECONDS + 60))
	while kill -0 "${pair_pids[1]}" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
	kill -KILL "${pair_pids[1]}" 2>/dev/null && echo "# vm hosts: h2 killed a minute after h1 ended"
	wait "${pair_pids[@]}" 2>/dev/null
	pair_pids=()
	echo "# vm hosts: $((SECONDS - start)) s"
	result "$work/h2.img" out.tap | sed 's/^/# h2: /'
	out=$(result "$work/h1.img" out.tap)
	printf '%s\n' "$out" | sed -e 's/^ok \([0-9]*\) - /ok \1 vm hosts: /' \
		-e 's/^not ok \([0-9]*\) - /not ok \1 vm hosts: /' -e 's/^1\.\./# &/'
	grep -q '^# vm: done' <<<"$out" || fail "hosts: h1 stopped before the end of its run" \
		"h1's console, last lines:" "$(tail -15 "$work/h1.console.log")"
	grep -qE '^(not )?ok 1 ' <<<"$out" || fail "hosts: h1 reported no case"
}

command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed (package qemu-system-x86)"
command -v debugfs >/dev/null || fail "debugfs is not installed (package e2fsprogs)"
start=$SECONDS
image=$("$top/tests/vm/build-image.sh" "$cache" 2>&1 | tail -1)
[ -f "$image/disk.img" ] || fail "the VM image could not be built" "$image"
[ -x "${HAKO_VM_BINARY:-$top/build/hako}" ] || fail "build hako first (scripts/build.sh)"
work=$(mktemp -d /var/tmp/hako-vm.XXXXXX)

if [ "${1:-}" = --hosts ]; then
	accel=$(choose_accel)
	run_hosts
	exit 0
fi
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
