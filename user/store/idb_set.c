// SPDX-License-Identifier: GPL-2.0-only
#include "store/idb_set.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct idb_set {
	atomic_uint refs;
	unsigned int n;
	struct pcapng_idb_info *idb;    /* n entries, in the same block */
	char *text;                     /* their strings, in the same block */
};

static size_t text_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* s copied to *at (NULL stays NULL). */
static const char *copy_text(char **at, const char *s)
{
	char *to = *at;
	size_t n = text_size(s);

	if (!s)
		return NULL;
	memcpy(to, s, n);
	*at += n;
	return to;
}

struct idb_set *idb_set_new(const struct pcapng_idb_info *idbs, unsigned int n)
{
	size_t texts = 0;
	struct idb_set *set;
	unsigned int i;
	char *at;

	for (i = 0; i < n; i++)
		texts += text_size(idbs[i].name) + text_size(idbs[i].description) +
			 text_size(idbs[i].filter) + text_size(idbs[i].comment);
	set = malloc(sizeof(*set) + n * sizeof(*set->idb) + texts);
	if (!set)
		return NULL;
	atomic_init(&set->refs, 1);
	set->n = n;
	set->idb = (struct pcapng_idb_info *)(set + 1);
	set->text = (char *)(set->idb + n);
	at = set->text;
	for (i = 0; i < n; i++) {
		set->idb[i] = idbs[i];
		set->idb[i].name = copy_text(&at, idbs[i].name);
		set->idb[i].description = copy_text(&at, idbs[i].description);
		set->idb[i].filter = copy_text(&at, idbs[i].filter);
		set->idb[i].comment = copy_text(&at, idbs[i].comment);
	}
	return set;
}

struct idb_set *idb_set_ref(struct idb_set *set)
{
	if (set)
		atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void idb_set_unref(struct idb_set *set)
{
	/* acq_rel: whoever frees the set sees every use of it by the others. */
	if (set && atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) == 1)
		free(set);
}

unsigned int idb_set_count(const struct idb_set *set)
{
	return set ? set->n : 0;
}

const struct pcapng_idb_info *idb_set_at(const struct idb_set *set, unsigned int i)
{
	return &set->idb[i];
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_idb(const struct pcapng_idb_info *a, const struct pcapng_idb_info *b)
{
	return a->linktype == b->linktype && a->snaplen == b->snaplen &&
	       same_text(a->name, b->name) && same_text(a->description, b->description) &&
	       same_text(a->filter, b->filter) && same_text(a->comment, b->comment);
}

int idb_set_extends(const struct idb_set *set, const struct idb_set *old)
{
	unsigned int i;

	if (!set || !old || set->n <= old->n)
		return 0;
	for (i = 0; i < old->n; i++)
		if (!same_idb(&set->idb[i], &old->idb[i]))
			return 0;
	return 1;
}
