// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command-line arguments into capture files (see input_list.h). A
 * directory is listed once and sorted; nothing is opened here, so a file
 * that cannot be read is reported by whoever reads it, in its turn.
 */
#include "read/input_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store/fileset_name.h"

#define SET_PREFIX "vpncap-"

static int list_add(struct input_list *l, const char *dir, const char *name, int arg)
{
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct input_entry *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	if (dir) {
		size_t n = strlen(dir) + strlen(name) + 2;

		size_t dl = strlen(dir);

		p = malloc(n);
		if (p)  /* "ring/" and "ring" both give "ring/NAME" */
			snprintf(p, n, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	} else {
		p = strdup(name);
	}
	if (!p)
		return -1;
	l->v[l->n].path = p;
	l->v[l->n].arg = arg;
	l->n++;
	return 0;
}

void input_list_free(struct input_list *l)
{
	while (l->n)
		free(l->v[--l->n].path);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int input_list_capture_name(const char *name)
{
	if (name[0] == '.' || ends_with(name, ".part"))
		return 0;
	if (!strncmp(name, SET_PREFIX, strlen(SET_PREFIX)) && strstr(name, ".pcapng"))
		return 1;
	return ends_with(name, ".pcap") || ends_with(name, ".pcapng");
}

/*
 * The sort key of a name: a file-set member's "vpncap-TAG-" and its
 * sequence number; any other name is its own key, number 0. The tag is
 * the prefix up to a '-' after which the name parses as a member of that
 * tag (a tag may itself hold '-').
 */
struct sort_key {
	size_t len;             /* bytes of the name that make the key */
	uint64_t seq;
};

static struct sort_key sort_key(const char *name)
{
	size_t pre = strlen(SET_PREFIX);
	struct sort_key k = { strlen(name), 0 };
	struct fileset_name fn;
	char tag[FILESET_TAG_MAX + 1];
	const char *dash;

	if (strncmp(name, SET_PREFIX, pre))
		return k;
	for (dash = strchr(name + pre, '-'); dash; dash = strchr(dash + 1, '-')) {
		size_t tl = (size_t)(dash - name) - pre;

		if (!tl || tl > FILESET_TAG_MAX)
			continue;
		memcpy(tag, name + pre, tl);
		tag[tl] = '\0';
		if (fileset_parse_name(name, tag, &fn)) {
			k.len = pre + tl + 1;
			k.seq = fn.seq;
			break;
		}
	}
	return k;
}

int input_list_name_cmp(const char *a, const char *b)
{
	struct sort_key ka = sort_key(a), kb = sort_key(b);
	size_t n = ka.len < kb.len ? ka.len : kb.len;
	int c = memcmp(a, b, n);

	if (c)
		return c;
	if (ka.len != kb.len)
		return ka.len < kb.len ? -1 : 1;
	if (ka.seq != kb.seq)
		return ka.seq < kb.seq ? -1 : 1;
	return strcmp(a, b);
}

static int cmp_entry_name(const void *a, const void *b)
{
	const char *pa = ((const struct input_entry *)a)->path;
	const char *pb = ((const struct input_entry *)b)->path;
	const char *sa = strrchr(pa, '/'), *sb = strrchr(pb, '/');

	/* Entries of one directory: the same "DIR/" before every name. */
	return input_list_name_cmp(sa ? sa + 1 : pa, sb ? sb + 1 : pb);
}

/* A directory's capture files, in file-set order. */
static int list_dir(struct input_list *l, const char *dir, int arg, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = l->n;

	if (!d) {
		err_set(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_type == DT_DIR || !input_list_capture_name(e->d_name))
			continue;
		if (list_add(l, dir, e->d_name, arg)) {
			closedir(d);
			while (l->n > first)    /* nothing of this argument */
				free(l->v[--l->n].path);
			err_set(err, errlen, "%s: out of memory", dir);
			return -1;
		}
	}
	closedir(d);
	if (l->n == first) {
		err_set(err, errlen, "%s: no capture files (vpncap-*.pcapng*, *.pcap, *.pcapng)", dir);
		return -1;
	}
	qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_entry_name);
	return 0;
}

int input_list_add_arg(struct input_list *l, const char *arg, int i, char *err, size_t errlen)
{
	struct stat st;

	/* Standard input, which input_file reads; never a file named "-". */
	if (strcmp(arg, "-") && stat(arg, &st)) {
		err_set(err, errlen, "%s: %s", arg, strerror(errno));
		return -1;
	}
	if (strcmp(arg, "-") && S_ISDIR(st.st_mode))
		return list_dir(l, arg, i, err, errlen);
	if (list_add(l, NULL, arg, i)) {
		err_set(err, errlen, "%s: out of memory", arg);
		return -1;
	}
	return 0;
}

int input_list_expand(struct input_list *l, int n, char *const *args, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < n; i++)
		if (input_list_add_arg(l, args[i], i, err, errlen))
			return -1;
	return 0;
}
