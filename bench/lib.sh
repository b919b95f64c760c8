# Shared by the benchmarks: trees to run, and measuring commands side by side.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
HAKO=${HAKO:-$REPO/build/hako}
CACHE=${HAKO_BENCH_CACHE:-/var/cache/hako-bench}

busybox_tree() {
	local dir=$CACHE/busybox
	[ -x "$dir/bin/busybox" ] || "$REPO/tests/fixtures/mkroot.sh" "$dir" >/dev/null
	echo "$dir"
}

# A debootstrap'd Debian 12 minbase tree, made once (about 30 s) and cached.
debian_tree() {
	local dir=$CACHE/debian
	if [ ! -x "$dir/usr/bin/dpkg" ]; then
		rm -rf "$dir.tmp"
		debootstrap --variant=minbase bookworm "$dir.tmp" http://deb.debian.org/debian >&2 &&
			mv "$dir.tmp" "$dir" || return 1
	fi
	echo "$dir"
}

# measure LABEL RUNS CMD...: median wall time (ms) by hyperfine, median peak RSS (KiB) by GNU
# time's %M (the largest process of the run), appended as a TSV row to $RESULTS.
measure() {
	local label=$1 runs=$2; shift 2
	local json rss=() i out
	json=$(mktemp) out=$(mktemp)
	hyperfine -N -w 3 -r "$runs" --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1 ||
		{ echo "bench: '$label' failed: $*" >&2; rm -f "$json"; return 0; }
	for ((i = 0; i < 9; i++)); do
		/usr/bin/time -f '%M' -o "$out" "$@" >/dev/null 2>&1 || true
		rss+=("$(tail -1 "$out")")
	done
	python3 - "$json" "$label" "${rss[@]}" >>"$RESULTS" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))["results"][0]
rss = sorted(int(x) for x in sys.argv[3:] if x.strip().isdigit())
print(f"{sys.argv[2]}\t{statistics.median(d['times'])*1000:.2f}\t{rss[len(rss)//2] if rss else 0}")
PY
	rm -f "$json" "$out"
}

# measure_debug LABEL RUNS SED_EXPR CMD...: the median of a cost hako times itself (HAKO_DEBUG=1
# debug lines; SED_EXPR turns the line into milliseconds, several numbers are added up), appended
# as a row without a memory figure.
measure_debug() {
	local label=$1 runs=$2 expr=$3 i vals=()
	shift 3
	for ((i = 0; i < runs; i++)); do
		vals+=("$(HAKO_DEBUG=1 "$@" 2>&1 >/dev/null | sed -n "$expr" | head -1)")
	done
	python3 - "$label" "${vals[@]}" >>"$RESULTS" <<'PY'
import statistics, sys
v = [sum(float(x) for x in s.split()) for s in sys.argv[2:] if s.strip()]
if v:
    print(f"{sys.argv[1]}\t{statistics.median(v):.3f}\t0")
else:
    print(f"bench: '{sys.argv[1]}': no timing from hako", file=sys.stderr)
PY
}

# report TITLE FLOOR_LABEL: prints $RESULTS as one table with ratios to the floor's row.
report() {
	python3 - "$RESULTS" "$1" "$2" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
floor = {}
for label, ms, rss in rows:
    if label.startswith(sys.argv[3]):
        floor[label.split(" | ")[-1]] = (float(ms), int(rss))
print(sys.argv[2])
print(f"{'command':58} {'median ms':>10} {'x floor':>8} {'peak KiB':>9} {'x floor':>8}")
for label, ms, rss in rows:
    tree = label.split(" | ")[-1]
    f = floor.get(tree) or next(iter(floor.values()), (0, 0))
    tr = f"{float(ms)/f[0]:.2f}" if f[0] else "-"
    mr = f"{int(rss)/f[1]:.2f}" if f[1] and int(rss) else "-"
    print(f"{label:58} {float(ms):10.2f} {tr:>8} {int(rss) or '-':>9} {mr:>8}")
PY
}

# probe_namespaces NSFILE...: a veth "probeN" here to each namespace (a file bound to it). The
# kernel dismantles a namespace asynchronously after its last user; when it does it unregisters
# the probe's end there, which takes the end here with it: no probe left = every namespace gone.
probe_namespaces() {
	local f i=0
	for f in "$@"; do
		[ -e "$f" ] || continue
		echo "link add probe$i type veth peer name probe netns $f"
		i=$((i + 1))
	done | ip -batch -
}

# wait_probes_gone SECONDS: waits until no probe of probe_namespaces is left, at most SECONDS;
# prints the ms waited, fails (one line) if some are still there.
wait_probes_gone() {
	local t0 end=$((SECONDS + $1))
	t0=$(date +%s%N)
	while ip -o link show type veth 2>/dev/null | grep -q ': probe[0-9]*@'; do
		[ $SECONDS -lt "$end" ] || { echo "bench: namespaces still there after $1 s" >&2; return 1; }
		sleep 0.01
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

# pct P < NUMBERS: the P-th percentile (nearest rank) of one number a line.
pct() { sort -g | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999); print a[i < 1 ? 1 : i] }'; }

# wait_netns_freed SECONDS: once the probes are gone, the kernel may still be freeing those
# namespaces (cleanup_net goes on past unregistering their devices: RCU barriers, each pernet
# exit, on the CPUs the next measurement needs). Its work item takes one batch of dead namespaces
# at a time, to the end; so a namespace killed now is dismantled in this batch's successor, once
# this batch is done: its probe going is the sign. Bounded; prints nothing, fails in one line.
wait_netns_freed() {
	ip netns add bench-sentinel
	probe_namespaces /run/netns/bench-sentinel
	ip netns delete bench-sentinel
	wait_probes_gone "$1" >/dev/null
}
