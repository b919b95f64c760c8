#!/bin/bash
# Installs every Debian package hako's build, demo, tests and benchmarks need (Debian 12, root).
set -euo pipefail
packages=(
	# build
	build-essential meson ninja-build pkg-config clang clang-format
	libmnl-dev libnftables-dev libnetfilter-conntrack-dev libseccomp-dev libsystemd-dev
	# image transfers (import-tar, export-tar, pull-tar): dlopen()ed, headers at build time
	libarchive-dev libcurl4-openssl-dev
	# Curve25519 keys of labs encrypted with WireGuard: dlopen()ed, headers at build time
	libsodium-dev
	# the man pages (roff from docs/man/*.md) and where bash completion goes
	go-md2man bash-completion
	# tests and demo
	bats busybox-static iproute2 nftables conntrack dnsmasq-base uidmap file procps psmisc
	util-linux graphviz man-db strace
	# set-limit's test: a btrfs on a loop device (mkfs.btrfs, btrfs subvolume, qgroup show)
	btrfs-progs
	# the VM lane (tests/vm/): a stock Debian 12 host in QEMU, its disks made with e2fsprogs
	qemu-system-x86 e2fsprogs debootstrap
	# the two-host run (tests/vm/run.sh --hosts): its ssh keys, made on this side
	openssh-client
	# benchmarks: the peers hako is measured against
	hyperfine systemd-container bubblewrap debootstrap time python3 iperf3
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
