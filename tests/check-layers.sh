#!/bin/bash
# The layers of src/ (docs/HACKING.md): src/cmd/ and src/hako.c on top, which nothing below
# includes (issue 20.1); src/base/ at the bottom, which includes nothing of hako's above it.
# Prints TAP; "not ok" lines name the files that break a rule.
set -u
cd "$(dirname "$0")/.."

# check N WHAT FILES...: ok when no file is named.
check() {
	local n=$1 what=$2
	shift 2
	if [ $# -eq 0 ]; then
		echo "ok $n - layers: $what"
	else
		echo "not ok $n - layers: $what: $*"
	fi
}

echo "1..2"
# shellcheck disable=SC2046 # file names without spaces, one per word
check 1 "nothing below src/cmd/ includes it" \
	$(grep -rl --include='*.[ch]' '#include "cmd/' src | grep -v -e '^src/cmd/' -e '^src/hako\.c$')
# shellcheck disable=SC2046
check 2 "src/base/ includes only src/base/" \
	$(grep -rlE --include='*.[ch]' '#include "(settings|container|net|machine|lab|image|cmd)/' src/base)
