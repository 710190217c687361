// SPDX-License-Identifier: GPL-2.0-only
#include "optparse.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

void optparse_init(struct optparse *p, int argc, char **argv, unsigned int flags)
{
	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
	p->flags = flags;
}

/* The option named exactly name[0..n): long names are never abbreviated. */
static const struct optdef *find_long(const struct optdef *defs, size_t ndefs, const char *name,
				      size_t n)
{
	size_t i;

	for (i = 0; i < ndefs; i++)
		if (defs[i].name && strlen(defs[i].name) == n && !strncmp(defs[i].name, name, n))
			return &defs[i];
	return NULL;
}

/*
 * "--comp" once meant --compress to getopt_long, until an option --comp came
 * along: an abbreviation is refused, and the line names what it could mean.
 */
static void unknown_long(const struct optdef *defs, size_t ndefs, const char *a, size_t n,
			 char *err, size_t errlen)
{
	char names[200] = "";
	size_t i, used = 0, shown = 0, matches = 0;

	for (i = 0; i < ndefs; i++) {
		if (!defs[i].name || !n || strncmp(defs[i].name, a + 2, n))
			continue;
		matches++;
		if (shown < 4 && used < sizeof(names)) {
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s--%s",
						 shown ? ", " : "", defs[i].name);
			shown++;
		}
	}
	if (!matches)
		err_set(err, errlen, "unknown option '%.80s'", a);
	else
		err_set(err, errlen,
			"unknown option '%.*s': long options are not abbreviated; did you mean %s%s?",
			(int)(n + 2 < 82 ? n + 2 : 82), a, names, matches > shown ? ", ..." : "");
}

static const struct optdef *find_short(const struct optdef *defs, size_t ndefs, char c)
{
	size_t i;

	for (i = 0; i < ndefs; i++)
		if (defs[i].shrt && defs[i].shrt == c)
			return &defs[i];
	return NULL;
}

static int long_option(struct optparse *p, const struct optdef *defs, size_t ndefs,
		       const char *a, int *id, const char **value, char *err, size_t errlen)
{
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const struct optdef *d = find_long(defs, ndefs, name, n);

	if (!d) {
		unknown_long(defs, ndefs, a, n, err, errlen);
		return OPTPARSE_ERROR;
	}
	if (!d->has_value) {
		if (eq) {
			err_set(err, errlen, "option '--%s' takes no value ('%.80s')", d->name, a);
			return OPTPARSE_ERROR;
		}
		*value = NULL;
	} else if (eq) {
		*value = eq + 1;
	} else if (p->i < p->argc) {
		*value = p->argv[p->i++];
	} else {
		err_set(err, errlen, "option '%.80s' needs a %s", a,
			d->value_name ? d->value_name : "value");
		return OPTPARSE_ERROR;
	}
	*id = d->id;
	return OPTPARSE_OPTION;
}

/* One letter of "-xyz" at c; a flag may be followed by more (CLUSTER). */
static int short_option(struct optparse *p, const struct optdef *defs, size_t ndefs,
			const char *word, const char *c, int *id, const char **value,
			char *err, size_t errlen)
{
	const struct optdef *d = find_short(defs, ndefs, *c);

	p->cluster = NULL;
	if (!d || (!d->has_value && c[1] && !(p->flags & OPTPARSE_CLUSTER))) {
		if (p->flags & OPTPARSE_CLUSTER)
			err_set(err, errlen, "unknown option '-%c'", *c);
		else
			err_set(err, errlen, "unknown option '%.80s'", word);
		return OPTPARSE_ERROR;
	}
	if (!d->has_value) {
		*value = NULL;
		if (c[1])
			p->cluster = c + 1;
	} else if (c[1]) {
		*value = c + 1;
	} else if (p->i < p->argc) {
		*value = p->argv[p->i++];
	} else {
		err_set(err, errlen, "option '%.80s' needs a %s", word,
			d->value_name ? d->value_name : "value");
		return OPTPARSE_ERROR;
	}
	*id = d->id;
	return OPTPARSE_OPTION;
}

int optparse_next(struct optparse *p, const struct optdef *defs, size_t n, int *id,
		  const char **value, char *err, size_t errlen)
{
	const char *a;

	if (p->cluster)
		return short_option(p, defs, n, p->argv[p->i - 1], p->cluster, id, value, err,
				    errlen);
	for (;;) {
		if (p->i >= p->argc)
			return OPTPARSE_END;
		a = p->argv[p->i++];
		if (p->only_words || a[0] != '-' || !a[1]) {
			if (!(p->flags & OPTPARSE_PERMUTE))
				p->only_words = 1;
			*value = a;
			return OPTPARSE_WORD;
		}
		if (strcmp(a, "--"))
			break;
		p->only_words = 1;
	}
	if (a[1] == '-')
		return long_option(p, defs, n, a, id, value, err, errlen);
	return short_option(p, defs, n, a, a + 1, id, value, err, errlen);
}
