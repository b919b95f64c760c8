#!/usr/bin/env bats
# RFC 4787 (UDP), RFC 5382 (TCP) and RFC 5508 (ICMP), measured on the lab NATs of every
# Mapping x Filtering pair (issue 16): nat-conformance.py runs the probes (nat-agent.py in every
# member) and writes the table; docs/nat-conformance.md must be exactly what it measured.
# HAKO_UPDATE_DOCS=1 copies a new table there instead of failing on the difference.
# It takes five minutes: RFC 4787 REQ-5c asks a mapping to idle 5 minutes.
load helpers

CONFORMANCE=$BATS_TEST_DIRNAME/nat-conformance.py
TABLE=$BATS_TEST_DIRNAME/../../docs/nat-conformance.md

setup() {
	common_setup
}

teardown() {
	"$HAKO" lab down conf >/dev/null 2>&1 || true
	"$HAKO" lab down confk >/dev/null 2>&1 || true
	common_teardown
}

@test "nat conformance: every MUST of RFC 4787, 5382 and 5508 holds, and docs/nat-conformance.md is what was measured" {
	python3 "$CONFORMANCE" lab conf > "$TEST_TMP/conf.lab"
	python3 "$CONFORMANCE" lab confk UdpTimeout=3s Hairpin=yes > "$TEST_TMP/confk.lab"
	"$HAKO" lab up "$TEST_TMP/conf.lab"
	"$HAKO" lab up "$TEST_TMP/confk.lab"
	run python3 "$CONFORMANCE" measure "$HAKO" conf confk "$TEST_TMP/nat-conformance.md"
	[ "$status" -eq 0 ]
	if [ -n "${HAKO_UPDATE_DOCS:-}" ]; then
		cp "$TEST_TMP/nat-conformance.md" "$TABLE"
	fi
	run diff -u "$TABLE" "$TEST_TMP/nat-conformance.md"
	[ "$status" -eq 0 ]
}
