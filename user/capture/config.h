/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-interface configuration file of vpncap (/etc/vpncap/IFACE.conf):
 * "key = value" lines whose keys are the long options of `vpncap capture`,
 * read by keyfile.c. No sections; whole-line comments start with '#' or ';'
 * (there are no inline comments: a value runs to the end of its line, so an
 * on-rotate command may hold " ; "). Flags take yes/no, true/false, on/off
 * or 1/0. Each error is one line: "PATH:LINE: problem".
 */
#ifndef VPNCAP_CAPTURE_CONFIG_H
#define VPNCAP_CAPTURE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "capture/options.h"

/*
 * The directory vpncap@.service reads its IFACE.conf from: one CMake setting
 * (VPNCAP_UNIT_CONFIG_DIR) fills in both the unit and this.
 */
#ifndef VPNCAP_UNIT_CONFIG_DIR
#error "VPNCAP_UNIT_CONFIG_DIR is set by CMakeLists.txt"
#endif
#define CONFIG_DIR_DEFAULT VPNCAP_UNIT_CONFIG_DIR

/*
 * The configuration directory in force: $VPNCAP_CONFIG_DIR, else
 * /etc/vpncap. The boot service's IFACE.conf files and filters.conf are there.
 */
const char *config_dir(void);

/*
 * Options from a configuration file, as command-line arguments: "--key"
 * "value" pairs ("--key" alone for a flag set to yes; a flag set to no adds
 * nothing).
 */
struct config_args {
	int argc;
	char **argv;      /* argv[0] is "capture", argv[argc] NULL; strings owned by this struct */
};

/*
 * Load path: every line is checked with capture_opts_apply_long, on its own
 * and together with the lines before it (an interface given twice, copy and
 * zero-copy). The first problem gives -1 and err = "PATH:LINE: problem";
 * an unreadable file gives "PATH: cannot read: <strerror>". A key may be
 * given once, except interface and queue. 0 on success. On failure out is
 * left empty (argc 0, argv NULL) and nothing stays allocated.
 */
int config_load(const char *path, struct config_args *out, char *err, size_t errlen);

/*
 * Same as config_load on text[0..len) already in memory; path only names it
 * in messages. (config_load reads the file and calls this; the fuzzer calls
 * it directly.)
 */
int config_parse(const char *path, const char *text, size_t len, struct config_args *out,
		 char *err, size_t errlen);

void config_args_free(struct config_args *a);

/*
 * The effective arguments of `vpncap capture` with --config: finds --config
 * FILE (or --config=FILE) in cli argv (argv[0] = "capture"), loads it, and
 * builds argv = "capture", the file's arguments, then the command-line
 * arguments without --config. Command-line options override the file: for
 * the repeatable options (interface/-i, queue/-q) and the group {copy,
 * zero-copy}, when the command line gives any of them the file's ones are
 * dropped; scalar options need nothing special because the last value wins
 * in the parser. Without --config, out is a copy of the CLI argv.
 * *config_path receives the file's path, pointing into argv (NULL without
 * --config). 0, or -1 with err.
 */
int config_expand_argv(int argc, char **argv, struct config_args *out,
		       const char **config_path, char *err, size_t errlen);

/*
 * Write a configuration file for --persistent: one "key = value" line per
 * option that differs from the defaults (flags as "key = yes"), under a
 * header comment. The interface is not written (the unit passes -i), nor
 * --config/--persistent. Written to PATH.tmp (mode 0640, never through a
 * symlink), fsynced and renamed over path. A value a configuration line
 * cannot hold as it is (a newline, white space at either end) is refused.
 * 0 or -errno with err.
 */
int config_write(const char *path, const struct capture_opts *o, char *err, size_t errlen);

/*
 * The text config_write writes, for the unit of iface (named in its header
 * comment): malloc'd into *text (the caller frees it), *len bytes. path
 * only names the file in messages. 0 or -errno with err.
 */
int config_format(const char *path, const char *iface, const struct capture_opts *o,
		  char **text, size_t *len, char *err, size_t errlen);

/*
 * What replacing a configuration old_text (NULL: none) by new_text changes,
 * key by key, onto out: "-key = value" for a line only the old text has,
 * "+key = value" for one only the new text has; a changed key's old lines
 * come right before its new ones, keys in the new text's order, then those
 * only the old text has. Comments, blank lines and spacing around '=' do
 * not count; a line that is not "key = value" is shown whole. Returns how
 * many lines were printed (0: same options), -EINVAL when a text holds a line
 * no configuration may hold (a NUL byte, too long), -ENOMEM.
 */
int config_diff(FILE *out, const char *old_text, size_t old_len, const char *new_text,
		size_t new_len);

/*
 * The file's format and its keys (the options marked COPT_IN_FILE, with
 * their --help), as `vpncap help config` prints it and vpncap.conf(5) shows it.
 */
void config_usage(FILE *f);

#endif /* VPNCAP_CAPTURE_CONFIG_H */
