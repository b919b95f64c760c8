#!/usr/bin/env bats
# meson install (issue 15): the man pages, roff made from docs/man/*.md, and the bash completion,
# in the places Debian's packages use; the pages render cleanly; the completion offers commands,
# options and the names of machines and networks.
load helpers

DOCS=$BATS_TEST_DIRNAME/../../docs/man

setup() {
	machine_setup
	DEST=$TEST_TMP/dest
	meson install -C "$(dirname "$HAKO")" --destdir "$DEST" --no-rebuild --quiet
}

teardown() {
	kill_test_supervisors
	"$HAKO" lab down clab >/dev/null 2>&1 || true
	common_teardown
}

# installed PATTERN: the files below $DEST whose path matches PATTERN (find -path), sorted.
installed() { (cd "$DEST" && find . -path "$1" -type f | sort); }

# complete WORDS...: what the installed completion offers for the last of the words of
# `hako WORDS...` (the way bash calls it once bash-completion has loaded it), one a line.
complete_words() {
	local file
	file=$DEST$(installed '*/share/bash-completion/completions/hako' | cut -c2-)
	mkdir -p "$TEST_TMP/bin"
	ln -sf "$HAKO" "$TEST_TMP/bin/hako"
	PATH=$TEST_TMP/bin:$PATH bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"; shift
		COMP_WORDS=(hako "$@") COMP_CWORD=$# COMP_LINE="hako $*" COMP_POINT=$((${#COMP_LINE}))
		_hako hako
		printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$@"
}

# section MD: the man section a docs/man page gives on its title line ("% NAME SECTION ...").
section() { sed -n '1s/^% [^ ]* \([0-9]\) .*/\1/p' "$1"; }

@test "install: man pages in man1 (commands) and man5 (hako.lab) for every docs/man page, the completion in bash-completion's directory" {
	local want=() md
	for md in "$DOCS"/*.md; do want+=("$(basename "$md" .md).$(section "$md")"); done
	# The topology file's format is a page of section 5 of its own (hako.lab(5)).
	[[ " ${want[*]} " == *" hako.lab.5 "* ]]
	run installed '*/share/man/man[15]/*'
	[ "$status" -eq 0 ]
	[ -z "$(grep -vE '/man1/[^/]+\.1$|/man5/[^/]+\.5$' <<<"$output")" ]
	[ "$(xargs -n1 basename <<<"$output" | sort)" = "$(printf '%s\n' "${want[@]}" | sort)" ]
	[ ${#want[@]} -ge 5 ]
	# Where Debian's bash-completion loads completions from on demand.
	run installed '*/bash-completion/completions/*'
	[ "$output" = ./usr/share/bash-completion/completions/hako ]
	cmp "$DEST/usr/share/bash-completion/completions/hako" "$BATS_TEST_DIRNAME/../../shell-completion/bash/hako"
}

@test "install: every man page renders with man -l without a warning, with its NAME, SYNOPSIS and every section" {
	local page name md heading sec
	for page in $(installed '*/share/man/man[15]/*.[15]'); do
		page=$DEST/${page#./} sec=${page##*.} name=$(basename "$page" ".$sec") md=$DOCS/$name.md
		# Each control line is a macro: a text line starting with "." is one roff would take
		# for an unknown macro, or drop ("...").
		run grep -nE "^['.]" "$page"
		[ -z "$(grep -vE '^[0-9]+:\.[A-Za-z]{1,2}( |$)' <<<"$output")" ]
		# A Markdown list the converter took for text (it needs a blank line before it).
		run ! grep -nE '^(\\)?- ' "$page"
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$page"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$name: $stderr"; false; }
		[[ ${lines[0]} == "$name($sec) "*" $name($sec)" ]]
		[[ $output == *$'\nSYNOPSIS\n       '* ]]
		# NAME: the Markdown's paragraph, on one line when the page is wide enough.
		run env MANWIDTH=1000 man -l "$page"
		[ "${lines[1]}" = NAME ]
		[ "$(tr -s ' ' <<<"${lines[2]}")" = " $(sed -n '/^## NAME$/,/^$/p' "$md" | sed '1d;$d' | paste -sd' ')" ]
		while read -r heading; do
			grep -qxF "$heading" <<<"$output" || { echo "$name: section $heading is missing"; false; }
		done < <(sed -n 's/^## //p' "$md")
	done
	# hako-lab(1) points to the file format's page.
	grep -q 'hako\.lab(5)' "$DOCS/hako-lab.md"
}

@test "install: the completion offers commands, subcommands and options from hako's help" {
	run complete_words r
	grep -qx run <<<"$output"
	run -1 grep -qx network <<<"$output"
	run complete_words network ''
	[ "$(sort <<<"$output" | paste -sd' ')" = "--help create list rm show up" ]
	run complete_words run --dir
	[ "$output" = --directory= ]
	run complete_words stop --t
	[ "$output" = --timeout= ]
	run complete_words network create x --sub
	[ "$output" = --subnet= ]
	run complete_words run -D "$TEST_TMP/des"
	[ "$output" = "$DEST" ]
}

@test "install: the completion offers running machines to stop, images to start, networks to join" {
	image() { make_root "$HAKO_IMAGE_DIR/$1" >/dev/null; sed -i '/hostname -F/d' "$HAKO_IMAGE_DIR/$1/etc/inittab"; }
	image busy
	cp -a "$HAKO_IMAGE_DIR/busy" "$HAKO_IMAGE_DIR/idle"
	"$HAKO" start --private-network busy
	"$HAKO" network create cnet --subnet=10.77.0.0/24
	run complete_words stop ''
	[ "$output" = busy ]
	run complete_words start ''
	[ "$(paste -sd' ' <<<"$output")" = "busy idle" ]
	run complete_words shell b
	[ "$output" = busy ]
	run complete_words network show ''
	[ "$output" = cnet ]
	run complete_words run --network=c
	[ "$output" = cnet ]
	run complete_words image clone i
	[ "$output" = idle ]
}

@test "install: the completion offers the values an option's help lists" {
	run complete_words run --console=
	[ "$(paste -sd' ' <<<"$output")" = "interactive read-only passive pipe autopipe" ]
	run complete_words run --settings=
	[ "$(paste -sd' ' <<<"$output")" = "yes no trusted override" ]
	run complete_words run --notify-ready=
	[ "$(paste -sd' ' <<<"$output")" = "yes no" ]
	run complete_words stop --kill-whom=
	[ "$(paste -sd' ' <<<"$output")" = "all leader" ]
	run complete_words lab graph x --format=
	[ "$(paste -sd' ' <<<"$output")" = "dot svg" ]
	run complete_words lab nat-check x y --proto=
	[ "$(paste -sd' ' <<<"$output")" = "udp tcp both" ]
	run complete_words run --resolv-conf=copy
	[ "$(paste -sd' ' <<<"$output")" = "copy-host copy-static copy-uplink copy-stub" ]
	# Every mode of nspawn 252, from the help's "{copy,replace,bind}-{host,...}" family.
	run complete_words run --resolv-conf=
	[ "$(sort <<<"$output" | paste -sd' ')" = "auto bind-host bind-static bind-stub bind-uplink copy-host copy-static copy-stub copy-uplink delete off replace-host replace-static replace-stub replace-uplink" ]
	# The list may come before the help's ": " or after it, and a "(...)" aside is no value.
	run complete_words run --timezone=
	[ "$(paste -sd' ' <<<"$output")" = "auto off copy bind symlink delete" ]
	run complete_words run --volatile=
	[ "$(paste -sd' ' <<<"$output")" = "yes state overlay no" ]
	run complete_words run --link-journal=
	[ "$(paste -sd' ' <<<"$output")" = "no auto host try-host guest try-guest" ]
	# A free-form value (a name) is not guessed at.
	run complete_words run --hostname=
	[ -z "$output" ]
	run complete_words stop -s SIGTE
	[ "$output" = SIGTERM ]
}

@test "install: the completion offers labs, lab files where a file is taken too, and the running lab's nodes" {
	printf '[Lab]\nName=clab\n[Network n]\nSubnet=10.66.0.0/24\n[Network o]\nSubnet=10.67.0.0/24\n' > "$TEST_TMP/clab.lab"
	printf '[Nat gw]\nInside=n\nOutside=o\n[Node h]\nNetwork=n\n[Node h2]\nNetwork=n\n' >> "$TEST_TMP/clab.lab"
	"$HAKO" lab up "$TEST_TMP/clab.lab"
	run complete_words lab exec c
	[ "$output" = clab ]
	# exec and conntrack take any member, nat-check a node only.
	run complete_words lab exec clab ''
	[ "$(sort <<<"$output" | paste -sd' ')" = "gw h h2" ]
	run complete_words lab conntrack clab g
	[ "$output" = gw ]
	run complete_words lab nat-check clab ''
	[ "$(sort <<<"$output" | paste -sd' ')" = "h h2" ]
	run complete_words lab nat-check --proto=udp clab h
	[ "$(sort <<<"$output" | paste -sd' ')" = "h h2" ]
	run complete_words lab exec clab h ''
	[ -z "$output" ]
	run complete_words lab exec nolab ''
	[ -z "$output" ]
	run complete_words lab down "$TEST_TMP/cl"
	[ "$output" = "$TEST_TMP/clab.lab" ]
	run complete_words lab up "$TEST_TMP/cl"
	[ "$output" = "$TEST_TMP/clab.lab" ]
	"$HAKO" lab down clab
}
