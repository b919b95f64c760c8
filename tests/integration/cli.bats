#!/usr/bin/env bats
load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "hako --version prints the version" {
	run "$HAKO" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^hako\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "hako --help lists the commands" {
	run "$HAKO" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: hako"* ]]
}

@test "an unknown command is a one-line error" {
	run "$HAKO" frobnicate
	[ "$status" -ne 0 ]
	[ "$output" = "hako: unknown command 'frobnicate' (see hako --help)" ]
}

# Issue 20.2: one dispatcher for the commands that have subcommands, so one help style and one
# error for an unknown subcommand (there were three of each).
@test "network, lab and image: one help style; an unknown or missing subcommand is refused alike" {
	local f
	for f in network lab image; do
		run "$HAKO" "$f" --help
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "Usage: hako $f COMMAND ..." ]
		[[ "$output" == *$'\nCommands:\n'* ]]
		[[ "$output" == *$'\n  list'* ]]
		run "$HAKO" "$f" frobnicate
		[ "$status" -eq 125 ]
		[ "$output" = "hako: unknown $f command 'frobnicate' (see hako $f --help)" ]
		run "$HAKO" "$f"
		[ "$status" -eq 125 ]
		[ "${lines[0]}" = "Usage: hako $f COMMAND ..." ]
	done
}

# Review of issue 20: hako image --help collected stale machines; help must change nothing.
@test "image: --help and an unknown subcommand leave a stale machine's directory alone; a command collects it" {
	mkdir -p "$HAKO_RUNTIME_DIR/machines/ghost" # no supervisor holds its lock: stale
	run "$HAKO" image --help
	[ "$status" -eq 0 ]
	run "$HAKO" image frobnicate
	[ "$status" -eq 125 ]
	[ -d "$HAKO_RUNTIME_DIR/machines/ghost" ]
	run "$HAKO" image list
	[ "$status" -eq 0 ]
	[ ! -e "$HAKO_RUNTIME_DIR/machines/ghost" ]
}

@test "each test runs in its own network namespace" {
	[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]
	[ "$(ip -o link show | wc -l)" -eq 1 ]
}
