#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The bash completion (scripts/completion/vpncap.bash) driven as bash does:
# COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set, _vpncap called, COMPREPLY
# checked. Usage: completion.sh SCRIPT VPNCAP_BINARY. No root needed.
set -uo pipefail

script=$1
vpncap=$2
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# bash-completion's own library when installed (as on an admin's machine);
# the script must work with and without it.
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	# shellcheck disable=SC1091
	source /usr/share/bash-completion/bash_completion
	echo "completion: with bash-completion's library"
fi
# shellcheck disable=SC1090
source "$script"
PATH=$(dirname "$vpncap"):$PATH

# complete LINE: COMPREPLY for the cursor at the end of LINE.
complete_line() {
	local line=$1
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_vpncap vpncap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
}

has() { printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$1"; }

expect_has() { # LINE WORD...
	local line=$1 w
	shift
	complete_line "$line"
	for w in "$@"; do
		if ! has "$w"; then
			echo "FAIL: '$line' does not offer '$w' (offers: ${COMPREPLY[*]})"
			fails=$((fails + 1))
		fi
	done
}

expect_lacks() { # LINE WORD...
	local line=$1 w
	shift
	complete_line "$line"
	for w in "$@"; do
		if has "$w"; then
			echo "FAIL: '$line' offers '$w'"
			fails=$((fails + 1))
		fi
	done
}

expect_exactly() { # LINE WORD...
	local line=$1 want got
	shift
	complete_line "$line"
	want=$(printf '%s\n' "$@" | sort)
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
	if [[ $want != "$got" ]]; then
		echo "FAIL: '$line' offers [${COMPREPLY[*]}], want [$*]"
		fails=$((fails + 1))
	fi
}

# Subcommands: every command of `vpncap help`.
commands=$("$vpncap" help | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }')
[[ $(wc -l <<<"$commands") -ge 10 ]] || { echo "FAIL: vpncap help lists no commands"; fails=$((fails + 1)); }
# shellcheck disable=SC2086
expect_has "vpncap " $commands capture filter start stop status show report counters list help
expect_exactly "vpncap fi" filter
expect_exactly "vpncap filter " add list remove help
expect_has "vpncap help " capture report

# Options and their values.
expect_exactly "vpncap capture --mo" --mode
expect_exactly "vpncap capture --mode " auto inline bypass
expect_exactly "vpncap capture --compress " gzip zstd
expect_exactly "vpncap capture --xdp-mode " auto native skb
expect_has "vpncap capture -i " lo any
expect_has "vpncap capture --interface " lo any
expect_has "vpncap capture --comp " lo any nics
expect_has "vpncap start -i " lo any
expect_exactly "vpncap capture --duration " # a number: nothing to guess
expect_has "vpncap show --" --since --until --date --filter --help
expect_has "vpncap report --" --json --html
expect_has "vpncap counters " lo
expect_lacks "vpncap start --" --persistent --realtime
expect_has "vpncap start --" --mode --rotate-size

# Every option of `vpncap capture --help`, taken here independently of the
# script's parser: the option columns of its lines.
opts=$("$vpncap" capture --help |
	sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z0-9-]*).*/\1 \2/p' | tr -d ',' | tr ' ' '\n' | grep .)
[[ $(wc -l <<<"$opts") -ge 40 ]] || { echo "FAIL: few options in capture --help: $opts"; fails=$((fails + 1)); }
longs=$(grep -- '^--' <<<"$opts")
shorts=$(grep -v -- '^--' <<<"$opts")
# shellcheck disable=SC2086
expect_has "vpncap capture --" $longs
# shellcheck disable=SC2086
expect_has "vpncap capture -" $shorts
# The options of filter add, likewise.
fopts=$("$vpncap" filter --help | sed -nE 's/^ +(-[a-z], )?(--[a-z][a-z0-9-]*).*/\2/p')
# shellcheck disable=SC2046
expect_has "vpncap filter add --" $(grep -vxE -- '--json' <<<"$fopts")

# filter remove NAME: the names of filters.conf in $VPNCAP_CONFIG_DIR.
mkdir "$tmp/conf" "$tmp/conf2"
printf '# comment\n[web]\nport = 443\n\n[IKEv2]\nprotocol = udp\nport = 500\n' >"$tmp/conf/filters.conf"
printf '[other.one]\nclass = esp\n' >"$tmp/conf2/filters.conf"
export VPNCAP_CONFIG_DIR=$tmp/conf
expect_exactly "vpncap filter remove " web IKEv2
expect_exactly "vpncap filter remove I" IKEv2
expect_exactly "vpncap filter remove --config-dir $tmp/conf2 " other.one
unset VPNCAP_CONFIG_DIR

# show and report: capture files and directories, not other files.
mkdir "$tmp/caps" "$tmp/caps/ring"
touch "$tmp/caps/a.pcap" "$tmp/caps/b.pcapng" "$tmp/caps/c.pcapng.gz" \
	"$tmp/caps/d.pcapng.zst" "$tmp/caps/notes.txt" "$tmp/caps/two words*.pcap"
expect_exactly "vpncap show $tmp/caps/" "$tmp/caps/a.pcap" "$tmp/caps/b.pcapng" \
	"$tmp/caps/c.pcapng.gz" "$tmp/caps/d.pcapng.zst" "$tmp/caps/ring" "$tmp/caps/two words*.pcap"
expect_lacks "vpncap report $tmp/caps/" "$tmp/caps/notes.txt"
expect_has "vpncap report $tmp/caps/" "$tmp/caps/a.pcap" "$tmp/caps/ring"
expect_has "vpncap capture -w $tmp/caps/" "$tmp/caps/notes.txt" "$tmp/caps/ring"
expect_has "vpncap report --html $tmp/caps/" "$tmp/caps/notes.txt"

# zsh runs the script through bashcompinit, its functions in sh emulation
# (0-based arrays, no `type -P`, no compopt); zsh matches the prefix itself.
if command -v zsh >/dev/null; then
	got=$(zsh -f -c 'autoload -U compinit && compinit -u -d "$1/zcompdump"
		autoload -U bashcompinit && bashcompinit
		source "$2"
		path=("${3:h}" $path)
		emulate -L sh
		COMP_WORDS=(vpncap capture --mode ""); COMP_CWORD=3
		_vpncap
		print -r -- "${COMPREPLY[*]}"' zsh "$tmp" "$script" "$vpncap" 2>&1)
	if [[ $got != "auto inline bypass" ]]; then
		echo "FAIL: zsh: 'vpncap capture --mode ' offers [$got]"
		fails=$((fails + 1))
	fi
else
	echo "completion: no zsh, its check skipped"
fi

if ((fails)); then
	echo "completion: $fails failure(s)"
	exit 1
fi
echo "completion: all checks passed"
