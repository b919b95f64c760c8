#!/bin/bash
# The README's demo: installs what hako needs, builds it, makes a small root tree from
# busybox-static and shows what hako does: containers, a managed NAT network with a port
# forward, background machines, and a NAT lab. Everything happens in a scratch directory and a
# scratch network + mount namespace: the host's network, nftables and mounts are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 2; }
./scripts/install-deps.sh
./scripts/build.sh
if [ -z "${HAKO_DEMO_INNER:-}" ]; then
	exec unshare --net --mount --propagation private env HAKO_DEMO_INNER=1 "$0" "$@"
fi
ip link set lo up
HAKO=$PWD/build/hako
DEMO=$(mktemp -d /tmp/hako-demo.XXXXXX)
export HAKO_RUNTIME_DIR=$DEMO/run HAKO_STATE_DIR=$DEMO/state HAKO_CONFIG_DIR=$DEMO/etc HAKO_IMAGE_DIR=$DEMO/machines
cleanup() {
	"$HAKO" lab down natlab >/dev/null 2>&1 || true
	for m in web m1 m2 m3; do "$HAKO" terminate "$m" >/dev/null 2>&1 || true; done
	"$HAKO" network rm demo >/dev/null 2>&1 || true
	rm -rf "$DEMO"
}
trap cleanup EXIT
# 0700, as /var/lib/machines: files a -U machine writes setuid must not be reachable by others.
install -d -m 0700 "$HAKO_IMAGE_DIR"
ROOT=$HAKO_IMAGE_DIR/demo
tests/fixtures/mkroot.sh "$ROOT" >/dev/null

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

# --- containers ---
step "A container runs its command as PID 2 under hako's stub init, with its own hostname" \
	"$HAKO" run -D "$ROOT" /bin/sh -c 'echo "pid $$, hostname $(hostname)"; ps'
step "Its own network: only lo, with --private-network" \
	"$HAKO" run -D "$ROOT" --private-network /bin/ip -o link
step "An ephemeral copy: writes land in a tmpfs overlay, the tree stays as it was" \
	"$HAKO" run -D "$ROOT" --ephemeral /bin/sh -c 'echo hello > /etc/motd; cat /etc/motd; hostname'
echo "after the ephemeral run, $ROOT/etc/motd exists: $([ -e "$ROOT/etc/motd" ] && echo yes || echo no)"
step "What a container may not do: mount, load modules, write /proc/sys" \
	"$HAKO" run -D "$ROOT" /bin/sh -c 'mount -t tmpfs none /mnt 2>&1; { echo 1 > /proc/sys/kernel/panic; } 2>&1; true'
step "Exit statuses pass through" \
	bash -c "'$HAKO' run -D '$ROOT' /bin/sh -c 'exit 7'; echo \"exit status \$?\""

# --- a managed network with NAT and a port forward ---
# Machines are trees under the image directory, booted (busybox init reads /etc/inittab).
for m in web m1 m2 m3; do
	tests/fixtures/mkroot.sh "$HAKO_IMAGE_DIR/$m" >/dev/null
	sed -i "/hostname -F/d" "$HAKO_IMAGE_DIR/$m/etc/inittab" # keep the machine name hako gave
done
mkdir -p "$HAKO_IMAGE_DIR/web/www" && echo "hello from a container" > "$HAKO_IMAGE_DIR/web/www/index.html"
echo "::respawn:/bin/httpd -f -p 80 -h /www" >> "$HAKO_IMAGE_DIR/web/etc/inittab"
step "A managed NAT network" \
	"$HAKO" network create demo --subnet=10.77.0.0/24
step "A web server on it, port 8080 of the host forwarded to its port 80" \
	"$HAKO" start web --network=demo -p 8080:80
for i in $(seq 50); do timeout 1 busybox wget -q -O /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done
step "Reached from the host itself at 127.0.0.1:8080" \
	timeout 5 busybox wget -q -O - http://127.0.0.1:8080/
step "hako network show" "$HAKO" network show demo

# --- machines ---
step "Three more machines on the network" "$HAKO" start m1 m2 m3 --network=demo
step "Machines in the background, as machinectl lists them" "$HAKO" list
step "A command inside a running machine" "$HAKO" shell m2 /bin/hostname
step "Stopping them" "$HAKO" stop web m1 m2 m3
step "A network removed leaves no link or rule behind" "$HAKO" network rm demo

# --- a lab: two hosts behind NATs of different behaviour ---
step "Seed 003's lab from examples/natlab.lab" "$HAKO" lab up examples/natlab.lab
step "hako lab status" "$HAKO" lab status natlab
step "What c1's NAT does, measured" "$HAKO" lab nat-check natlab c1 --lifetime-max=5
step "Down again" "$HAKO" lab down natlab
