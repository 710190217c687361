#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The include graph of user/ against the layer order: a file may include
# headers of its own folder and of the folders below it, never above.
#
#   shared helpers (user/*.h)  <  hook  <  store  <  read  <  path
#                              <  capture  <  cmd  <  user/main.c
#
# hook (the kernel side), store (files) and read (others' files) know nothing
# of each other except that read may use store's encoder constants and
# decompression; path moves frames from hook to store; capture runs a
# session of all of them; cmd is one file per subcommand. Every include of a
# project header names its folder ("hook/classifier.h"); shared helpers have
# none ("log.h"). Prints each violation, one per line; exit 1 if any.
# usage: include_layers.sh [SOURCE_DIR]
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top/user" || exit 2

rank() { # rank FOLDER: its place in the order; shared helpers are 0
	case $1 in
	.) echo 0 ;; hook) echo 1 ;; store) echo 2 ;; read) echo 3 ;; path) echo 4 ;;
	capture) echo 5 ;; cmd) echo 6 ;; main) echo 7 ;; *) echo 99 ;;
	esac
}

bad=0
while IFS= read -r file; do
	folder=$(dirname "$file")
	[ "$file" = ./main.c ] && folder=main
	folder=${folder#./}
	[ "$folder" = "" ] && folder=.
	mine=$(rank "$folder")
	while IFS= read -r inc; do
		case $inc in
		vpncap/*|*.skel.h) continue ;;      # the ABI (include/), generated skeletons and vpncap/version.h
		*/*) theirs=$(rank "${inc%%/*}") ;;
		*)
			if [ ! -f "$inc" ]; then
				echo "$file: includes \"$inc\": not a shared helper (user/$inc); name its folder"
				bad=1
				continue
			fi
			theirs=0 ;;
		esac
		if [ "$theirs" = 99 ]; then
			echo "$file: includes \"$inc\": unknown folder"
			bad=1
		elif [ "$theirs" -gt "$mine" ]; then
			echo "$file: includes \"$inc\": a higher layer than ${folder/#./shared helpers}"
			bad=1
		elif [ "$theirs" = "$mine" ] && [ "$mine" != 0 ] && [ "${inc%%/*}" != "$folder" ]; then
			echo "$file: includes \"$inc\": the same layer as $folder but another folder"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find . -name '*.[ch]' | sort)
[ "$bad" = 0 ] && echo "include layers: $(find . -name '*.[ch]' | wc -l) files, no header of a higher layer included"
exit "$bad"
