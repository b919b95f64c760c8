#!/bin/bash
# The README's demo: installs what hako needs, builds it, makes a small root tree from
# busybox-static and shows what hako does. Everything happens in a scratch directory and, for the
# network parts, in a scratch network namespace: your host's network and mounts are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 2; }
./scripts/install-deps.sh
./scripts/build.sh
HAKO=$PWD/build/hako
DEMO=$(mktemp -d /tmp/hako-demo.XXXXXX)
trap 'rm -rf "$DEMO"' EXIT
export HAKO_RUNTIME_DIR=$DEMO/run HAKO_STATE_DIR=$DEMO/state HAKO_CONFIG_DIR=$DEMO/etc HAKO_IMAGE_DIR=$DEMO/machines
ROOT=$DEMO/machines/demo
tests/fixtures/mkroot.sh "$ROOT"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "A container runs its command as PID 2 under hako's stub init, with its own hostname" \
	"$HAKO" run -D "$ROOT" /bin/sh -c 'echo "pid $$, hostname $(hostname)"; ps'
step "Its own network: only lo, with --private-network" \
	"$HAKO" run -D "$ROOT" --private-network /bin/ip -o link
step "An ephemeral copy: writes land in a tmpfs overlay, the tree stays as it was" \
	"$HAKO" run -D "$ROOT" --ephemeral /bin/sh -c 'echo hello > /etc/motd; cat /etc/motd; hostname'
echo "after the ephemeral run, $ROOT/etc/motd exists: $([ -e "$ROOT/etc/motd" ] && echo yes || echo no)"
step "What a container may not do: mount, load modules, write /proc/sys" \
	"$HAKO" run -D "$ROOT" /bin/sh -c 'mount -t tmpfs none /mnt 2>&1; echo 1 > /proc/sys/kernel/panic 2>&1; true'
step "Exit statuses pass through" \
	bash -c "'$HAKO' run -D '$ROOT' /bin/sh -c 'exit 7'; echo \"exit status \$?\""
