#!/bin/bash
# The C sources as .clang-format lays them out (clang-format 14, Debian 12's): src/, tests/unit,
# tests/fuzz and tests/helpers. Data tables and hand-aligned blocks sit between
# "// clang-format off" and "// clang-format on". Prints TAP; the "not ok" line names the files
# that differ; `clang-format -i FILE` fixes one.
set -u
cd "$(dirname "$0")/.."
# Until the one-time `clang-format -i` over every file (the commit that makes this false), a
# difference is reported as a skip, so the unit tests pass on branches made before it.
reformat_pending=true

echo "1..1"
if ! command -v clang-format > /dev/null; then
	echo "not ok 1 - format: clang-format is not installed (scripts/install-deps.sh)"
	exit 0
fi
bad=()
while IFS= read -r f; do
	clang-format --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done < <(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]' 'tests/helpers/*.[ch]')
if [ ${#bad[@]} -eq 0 ]; then
	echo "ok 1 - format: every C file is as clang-format lays it out"
elif $reformat_pending; then
	echo "ok 1 - format # SKIP ${#bad[@]} files wait for the one-time clang-format -i (reformat_pending)"
else
	echo "not ok 1 - format: clang-format would change ${bad[*]}"
fi
