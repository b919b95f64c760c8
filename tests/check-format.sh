#!/bin/bash
# The C sources as .clang-format lays them out (clang-format 14, Debian 12's): src/, tests/unit,
# tests/fuzz and tests/helpers. Data tables and hand-aligned blocks sit between
# "// clang-format off" and "// clang-format on". Prints TAP; the "not ok" line names the files
# that differ; `clang-format -i FILE` fixes one.
set -u
cd "$(dirname "$0")/.."
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
else
	echo "not ok 1 - format: clang-format would change ${bad[*]}"
fi
