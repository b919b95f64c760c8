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

@test "each test runs in its own network namespace" {
	[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]
	[ "$(ip -o link show | wc -l)" -eq 1 ]
}
