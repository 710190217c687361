/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The capture files named on a command line (`vpncap show`, `vpncap
 * report`): a file as is, "-" for standard input (input_file reads it), a
 * directory as its capture files: vpncap-*.pcapng* (a file set's members,
 * compressed ones included), *.pcap and *.pcapng; never dot files nor
 * *.part (being written). A directory's files come in file-set order: the
 * members of one set by sequence number (000009 before 000010, whatever the
 * digits), other names by name. Each entry keeps the index of the argument
 * it came from, so a caller can group the files of one argument.
 */
#ifndef VPNCAP_READ_INPUT_LIST_H
#define VPNCAP_READ_INPUT_LIST_H

#include <stddef.h>

struct input_entry {
	char *path;             /* "DIR/NAME", the argument itself, or "-" */
	int arg;                /* index into the arguments it came from */
};

struct input_list {
	struct input_entry *v;
	size_t n, cap;
};

/*
 * Appends the files of args[0..n-1] to l (zeroed before the first call).
 * 0, or -1 with one line in err: "PATH: No such file or directory",
 * "DIR: no capture files (vpncap-*.pcapng*, *.pcap, *.pcapng)", "PATH: out
 * of memory". On error l keeps what was added before; input_list_free()
 * frees it either way.
 */
int input_list_expand(struct input_list *l, int n, char *const *args, char *err, size_t errlen);

/*
 * One argument's files, appended with index arg; 0, or -1 with err as
 * above and nothing appended. For a caller that goes on past a bad one.
 */
int input_list_add_arg(struct input_list *l, const char *path, int arg, char *err, size_t errlen);

void input_list_free(struct input_list *l);

/* 1 when a directory entry of this name is a capture file (see above). */
int input_list_capture_name(const char *name);

/*
 * qsort() order of names in one directory: members of one file set by
 * sequence number, the rest (and sets of other tags) by name. A total
 * order, so qsort() is defined whatever the names.
 */
int input_list_name_cmp(const char *a, const char *b);

#endif /* VPNCAP_READ_INPUT_LIST_H */
