#!/bin/bash
# Builds the VM lane's stock Debian 12 host from Debian packages only: debootstrap bookworm with
# Debian's kernel, systemd as PID 1 (cgroup v2, machined), and what hako and its tests need. Made
# once, cached outside the repository, keyed by this recipe (edit it and a new image is built);
# prints the image's directory (disk.img, vmlinuz, initrd.img). Needs the package mirror: run it
# before any test enters a network namespace. A failure is loud, never a skip.
#   build-image.sh [CACHE_DIR]     (default: $HAKO_TEST_CACHE or /var/cache/hako-tests)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${HAKO_TEST_CACHE:-/var/cache/hako-tests}}

packages=(
	# a stock systemd host
	linux-image-amd64 initramfs-tools systemd systemd-sysv dbus udev kmod systemd-container
	# what hako links and dlopen()s
	libmnl0 libseccomp2 libnftables1 libnetfilter-conntrack3 libsystemd0 libarchive13 libcurl4 libsodium23
	# what the tests run
	bats busybox-static iproute2 nftables conntrack dnsmasq-base uidmap file procps psmisc
	util-linux python3 iputils-ping libcap2-bin
	# labhosts.bats's --all over a real ssh: the tests start their own sshd in a namespace
	openssh-server openssh-client
	# a stock host has these too: /etc/protocols and /etc/services (nft names protocols by them)
	netbase
)
guest_tree=$("$here/../fixtures/mkdebian.sh" "$cache")

key=$( { printf '%s\n' "${packages[@]}"; cat "$0"; basename "$guest_tree"; } | sha256sum | cut -c1-12)
dir=$cache/vm-$key
mkdir -p "$cache"
exec 9>"$cache/.vm.lock"
flock 9
if [ -f "$dir/disk.img" ]; then
	echo "$dir"
	exit 0
fi

# The mirror apt already uses on this machine.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
root=$cache/vm-$key.root
log=$cache/vm-$key.log
rm -rf "$dir" "$dir.tmp"
include=$(IFS=,; echo "${packages[*]}")
# A finished debootstrap is kept (and marked) until the image is made from it.
if [ ! -e "$root/.debootstrapped" ]; then
	rm -rf "$root"
	if ! timeout 1200 debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >"$log" 2>&1; then
		echo "build-image.sh: debootstrap of the VM image failed; its log: $log" >&2
		tail -5 "$log" >&2
		exit 1
	fi
	touch "$root/.debootstrapped"
fi

echo "/dev/vda / ext4 defaults 0 1" >"$root/etc/fstab"
echo hako-vm >"$root/etc/hostname"
chroot "$root" passwd -d root >/dev/null
# The tests' guest: a real Debian with systemd, for machines booted inside the VM.
rm -rf "$root/srv/hako-tests"
mkdir -p "$root/srv/hako-tests"
cp -a "$guest_tree" "$root/srv/hako-tests/debian"
# At boot: mount the payload disk (the tests and hako, made per run), run its guest script,
# power off. No payload disk: power off at once.
cat >"$root/etc/systemd/system/hako-tests.service" <<'UNIT'
[Unit]
Description=hako's VM lane: the tests on the payload disk
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'mkdir -p /srv/payload && mount /dev/vdb /srv/payload && /srv/payload/tests/vm/guest.sh; sync'
ExecStopPost=/bin/systemctl --no-block poweroff
TimeoutStartSec=infinity
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/hako-tests.service "$root/etc/systemd/system/multi-user.target.wants/"
# The host's own sshd is not the tests' (they start theirs, with their own config and keys, in
# their namespaces) and would cost boot time under TCG: masked, with its socket.
ln -sf /dev/null "$root/etc/systemd/system/ssh.service"
ln -sf /dev/null "$root/etc/systemd/system/ssh.socket"
# What ssh.service would make for it: sshd's privilege separation directory.
echo 'd /run/sshd 0755 root root -' >"$root/etc/tmpfiles.d/sshd.conf"
# No serial getty on the console: it would compete for ttyS0 with the service's output.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"

mkdir -p "$dir.tmp"
cp "$root"/boot/vmlinuz-* "$dir.tmp/vmlinuz"
cp "$root"/boot/initrd.img-* "$dir.tmp/initrd.img"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root/.debootstrapped"
mkfs.ext4 -q -F -L hako-vm -d "$root" "$dir.tmp/disk.img" 6G
rm -rf "$root"
mv "$dir.tmp" "$dir"
echo "$dir"
