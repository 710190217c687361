// SPDX-License-Identifier: GPL-2.0-only
#include "keyfile.h"

#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void keyfile_init(struct keyfile_reader *r, const char *text, size_t len, size_t max_line)
{
	r->text = text;
	r->len = text ? len : 0;
	r->pos = 0;
	r->max_line = max_line;
	r->lineno = 0;
}

static void trim(const char **s, const char **end)
{
	while (*s < *end && isspace((unsigned char)**s))
		(*s)++;
	while (*end > *s && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

/* The two sides of the first '=' of s..end, each trimmed. */
static void split_pair(struct keyfile_line *line, const char *eq, const char *end)
{
	const char *k = line->text, *k_end = eq, *v = eq + 1, *v_end = end;

	trim(&k, &k_end);
	trim(&v, &v_end);
	line->kind = KEYFILE_PAIR;
	line->key = k;
	line->key_len = (size_t)(k_end - k);
	line->value = v;
	line->value_len = (size_t)(v_end - v);
}

static void classify(struct keyfile_line *line, const char *s, const char *end)
{
	const char *eq;

	memset(line, 0, sizeof(*line));
	trim(&s, &end);
	line->text = s;
	line->len = (size_t)(end - s);
	if (s == end)
		line->kind = KEYFILE_BLANK;
	else if (*s == '#' || *s == ';')
		line->kind = KEYFILE_COMMENT;
	else if (*s == '[')
		line->kind = KEYFILE_SECTION;
	else if ((eq = memchr(s, '=', line->len)))
		split_pair(line, eq, end);
	else
		line->kind = KEYFILE_OTHER;
}

int keyfile_next(struct keyfile_reader *r, struct keyfile_line *line, char *problem,
		 size_t problem_len)
{
	const char *s, *end, *nl;

	if (r->pos >= r->len)
		return 0;
	s = r->text + r->pos;
	nl = memchr(s, '\n', r->len - r->pos);
	end = nl ? nl : r->text + r->len;
	r->pos = (size_t)(end - r->text) + (nl ? 1 : 0);
	r->lineno++;
	if (memchr(s, '\0', (size_t)(end - s))) {
		snprintf(problem, problem_len, "malformed line (holds a NUL byte)");
		return -1;
	}
	if ((size_t)(end - s) > r->max_line) {
		snprintf(problem, problem_len, "line longer than %zu bytes", r->max_line);
		return -1;
	}
	if (r->lineno == 1 && end - s >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	classify(line, s, end);
	line->lineno = r->lineno;
	return 1;
}

int keyfile_each(const char *text, size_t len, size_t max_line,
		 int (*each)(void *ctx, const struct keyfile_line *line), void *ctx,
		 struct keyfile_refusal *why)
{
	struct keyfile_reader r;
	struct keyfile_line line;
	int rc;

	keyfile_init(&r, text, len, max_line);
	while ((rc = keyfile_next(&r, &line, why->problem, sizeof(why->problem))) == 1) {
		if (line.kind == KEYFILE_BLANK || line.kind == KEYFILE_COMMENT)
			continue;
		rc = each(ctx, &line);
		if (rc)
			return rc;
	}
	if (rc < 0) {
		why->lineno = r.lineno;
		return KEYFILE_REFUSED;
	}
	return 0;
}

void keyfile_fail(struct keyfile_error *e, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (e->line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(e->err, e->errlen, "%s:%d: %s", e->path, line, msg);
	e->line = line ? line : 1;
}
