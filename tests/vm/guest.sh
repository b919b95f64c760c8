#!/bin/bash
# Runs inside the VM lane's guest, as root, from hako-tests.service once multi-user.target is
# reached: the payload's exec.sh, or tests/run --lane=vm on the files in args. Writes everything
# to out.tap on the payload disk (read back by tests/vm/run.sh) and, as it goes, to the second
# serial port (live.tap on the host).
cd "$(dirname "$0")/../.." || exit 1
export HAKO=$PWD/build/hako HAKO_TEST_DEBIAN=/srv/hako-tests/debian HAKO_TEST_LANE=vm
# Emulated (TCG) the guest runs several times slower: the tests' readiness waits stretch.
[ "$(cat accel 2>/dev/null)" = tcg ] && export HAKO_TEST_SLOW=4
stty -F /dev/ttyS1 raw -echo 2>/dev/null
# The phases' times: the boot up to this service (from /proc/uptime), then the tests.
read -r up _ </proc/uptime
start=$SECONDS
{
	echo "# vm: kernel $(uname -r), PID 1 $(cat /proc/1/comm), /sys/fs/cgroup $(stat -fc %T /sys/fs/cgroup)"
	echo "# vm: booted in ${up%.*} s"
	if [ -x exec.sh ]; then
		./exec.sh
	else
		mapfile -t files < <(grep . args)
		tests/run --lane=vm "${files[@]}"
	fi
	echo "# vm: done (exit $?) in $((SECONDS - start)) s"
} 2>&1 | tee out.tap >/dev/ttyS1
sync
