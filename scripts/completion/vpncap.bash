# SPDX-License-Identifier: GPL-2.0-only
# bash completion for vpncap (installed to bash-completion's completions
# directory as "vpncap"; zsh: autoload bashcompinit && bashcompinit, then
# source this file).
#
# The options, which of them take a value and their lowercase choices
# (--mode auto|inline|bypass) are read from `vpncap COMMAND --help` of the
# vpncap being completed, so they follow the binary and cannot drift from it.

# The help text of COMMAND (help: the command list), cached per binary: one
# run per command and shell.
declare -gA _vpncap_help_cache
_vpncap_help() {
	local bin=$1 cmd=$2 key="$1 $2"
	if [[ -z ${_vpncap_help_cache[$key]+set} ]]; then
		if [[ $cmd == help ]]; then
			_vpncap_help_cache[$key]=$("$bin" help 2>/dev/null)
		else
			_vpncap_help_cache[$key]=$("$bin" "$cmd" --help 2>/dev/null)
		fi
	fi
	printf '%s\n' "${_vpncap_help_cache[$key]}"
}

# Every option a help text names: --long anywhere (also in prose, as
# show's "--until T"), -x at a word boundary.
_vpncap_options_of() {
	grep -oE '(^|[][ (,|])--?[a-zA-Z][a-zA-Z0-9-]*' <<<"$1" |
		sed -E 's/^[][ (,|]//' |
		grep -E '^(--[a-z][a-z0-9-]*|-[a-zA-Z])$' | sort -u
}

# OPTION VALUE pairs of a help text: the options followed by an uppercase
# word (FILE, N) or a list of choices (auto|inline) take a value.
_vpncap_value_options_of() {
	grep -oE '(^|[][ (,|])--?[a-zA-Z][a-zA-Z0-9-]* ([A-Z][A-Za-z0-9_|./-]*|[a-z0-9-]+(\|[A-Za-z0-9-]+)+)' <<<"$1" |
		sed -E 's/^[][ (,|]//'
}

# The lowercase choices of OPTION in a help text, one per line.
_vpncap_choices_of() {
	_vpncap_value_options_of "$1" | awk -v o="$2" '$1 == o { print $2 }' |
		grep -E '^[a-z0-9-]+(\|[a-z0-9-]+)+$' | head -n 1 | tr '|' '\n'
}

# The options COMMAND offers: its help's options, less those of its help
# that belong elsewhere (start takes capture's options but two).
_vpncap_command_options() {
	local bin=$1 cmd=$2 sub=$3 help
	case $cmd in
	start)
		help=$(_vpncap_help "$bin" capture)
		_vpncap_options_of "$help" | grep -vxE -- '--persistent|--realtime'
		;;
	filter)
		help=$(_vpncap_help "$bin" filter)
		case $sub in
		list) printf '%s\n' --json --config-dir ;;
		remove) printf '%s\n' --all --config-dir ;;
		*) _vpncap_options_of "$help" | grep -vxE -- '--json|--all' ;;
		esac
		;;
	*)
		_vpncap_options_of "$(_vpncap_help "$bin" "$cmd")"
		;;
	esac
}

_vpncap_interfaces() {
	local d
	for d in /sys/class/net/*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
	echo any
}

# Capture files and directories for show and report.
_vpncap_capture_files() {
	local f
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			printf '%s\n' "${f%/}"
		elif [[ $f == *.pcap || $f == *.pcapng || $f == *.pcapng.gz || $f == *.pcapng.zst ]]; then
			printf '%s\n' "$f"
		fi
	done < <(compgen -f -- "$1")
}

# Named filters of filters.conf: --config-dir on the line, else
# $VPNCAP_CONFIG_DIR, else /etc/vpncap.
_vpncap_filter_names() {
	local dir=${VPNCAP_CONFIG_DIR:-/etc/vpncap} i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --config-dir ]] && dir=${COMP_WORDS[i + 1]}
	done
	[[ -r $dir/filters.conf ]] || return 0
	sed -nE 's/^\[([A-Za-z0-9._-]+)\][[:space:]]*$/\1/p' "$dir/filters.conf"
}

# COMPREPLY: the lines of standard input, unsplit and unglobbed (names may
# hold spaces or '*'). A read loop: zsh's bashcompinit has no mapfile.
_vpncap_reply_lines() {
	local line
	COMPREPLY=()
	while IFS= read -r line; do
		[[ -n $line ]] && COMPREPLY+=("$line")
	done
}

# COMPREPLY: the words of $1 (one per line) that start with $2.
_vpncap_reply() {
	local IFS=$'\n'
	_vpncap_reply_lines < <(compgen -W "$1" -- "$2")
}

_vpncap_files() {
	_vpncap_reply_lines < <(compgen -f -- "$1")
	compopt -o filenames 2>/dev/null
}

_vpncap_dirs() {
	_vpncap_reply_lines < <(compgen -d -- "$1")
	compopt -o filenames 2>/dev/null
}

# The value of OPTION (prev) of COMMAND; returns 1 when prev takes none.
_vpncap_value() {
	local bin=$1 cmd=$2 prev=$3 cur=$4 help choices
	[[ $cmd == start ]] && help=$(_vpncap_help "$bin" capture) || help=$(_vpncap_help "$bin" "$cmd")
	_vpncap_value_options_of "$help" | awk -v o="$prev" '$1 == o { f = 1 } END { exit !f }' || return 1
	case $cmd:$prev in
	capture:-i | capture:--interface | start:-i | start:--interface)
		_vpncap_reply "$(_vpncap_interfaces)" "$cur"
		return 0
		;;
	capture:--comp | start:--comp)
		_vpncap_reply "$(_vpncap_interfaces; echo nics)" "$cur"
		return 0
		;;
	*:-w | *:--write | *:--html | *:--config | *:--metrics-file | *:--on-rotate)
		_vpncap_files "$cur"
		return 0
		;;
	*:--config-dir)
		_vpncap_dirs "$cur"
		return 0
		;;
	esac
	choices=$(_vpncap_choices_of "$help" "$prev")
	[[ -n $choices ]] && _vpncap_reply "$choices" "$cur"
	return 0 # a value nobody can guess (N, SIZE): offer nothing
}

_vpncap() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' bin=${COMP_WORDS[0]} cmd='' sub='' i
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	[[ $bin == */* ]] || bin=$(command -v "$bin") || bin=vpncap
	local commands
	commands=$(_vpncap_help "$bin" help | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }')
	[[ -n $commands ]] || commands=$(printf '%s\n' capture filter start stop status show report counters list help version)

	if ((COMP_CWORD == 1)); then
		_vpncap_reply "$commands" "$cur"
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	[[ $cmd == help ]] && { ((COMP_CWORD == 2)) && _vpncap_reply "$commands" "$cur"; return 0; }
	grep -qxF -- "$cmd" <<<"$commands" || return 0

	if [[ $cmd == filter ]]; then
		if ((COMP_CWORD == 2)); then
			_vpncap_reply $'add\nlist\nremove\nhelp' "$cur"
			return 0
		fi
		sub=${COMP_WORDS[2]}
	fi

	_vpncap_value "$bin" "$cmd" "$prev" "$cur" && return 0

	if [[ $cur == -* ]]; then
		_vpncap_reply "$(_vpncap_command_options "$bin" "$cmd" "$sub")" "$cur"
		return 0
	fi
	case $cmd in
	show | report)
		_vpncap_reply_lines < <(_vpncap_capture_files "$cur")
		compopt -o filenames 2>/dev/null # readline marks directories with a /
		;;
	stop | counters)
		_vpncap_reply "$(_vpncap_interfaces)" "$cur"
		;;
	filter)
		[[ $sub == remove ]] && _vpncap_reply "$(_vpncap_filter_names)" "$cur"
		;;
	esac
	return 0
}

complete -F _vpncap vpncap
