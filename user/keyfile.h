/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The line reader of vpncap's two text formats, the capture configuration
 * (capture/config.c) and the filter file (capture/filters.c): "key = value"
 * lines, '#' or ';' whole-line comments, "[NAME]" sections.
 *
 * A value runs to the end of its line: no inline comments (an on-rotate
 * command may hold " ; "), no continuation lines, no line buffer that cuts a
 * long line in two. These are the habits of general INI parsers (inih among
 * them, depending on how it was built) that vpncap's formats do not have, so
 * it reads its files itself. What each key means is the caller's business.
 */
#ifndef VPNCAP_KEYFILE_H
#define VPNCAP_KEYFILE_H

#include <stddef.h>

enum keyfile_kind {
	KEYFILE_BLANK,          /* nothing but white space */
	KEYFILE_COMMENT,        /* starts with '#' or ';' */
	KEYFILE_SECTION,        /* starts with '[' (the caller checks the rest) */
	KEYFILE_PAIR,           /* holds '=': key and value */
	KEYFILE_OTHER,          /* none of these: malformed for both formats */
};

/* One line, pointing into the text; white space cut at both ends. */
struct keyfile_line {
	enum keyfile_kind kind;
	int lineno;             /* 1 for the first line */
	const char *text;       /* the whole line (a UTF-8 byte order mark on line 1 skipped) */
	size_t len;
	const char *key;        /* KEYFILE_PAIR: before the first '=', may be empty */
	size_t key_len;
	const char *value;      /* KEYFILE_PAIR: after it, may be empty */
	size_t value_len;
};

struct keyfile_reader {
	const char *text;
	size_t len, pos;
	size_t max_line;        /* bytes, before trimming, without the '\n' */
	int lineno;
};

void keyfile_init(struct keyfile_reader *r, const char *text, size_t len, size_t max_line);

/*
 * The next line. 1: *line filled; 0: end of text; -1: a line no key file
 * may hold (a NUL byte, longer than max_line), the reason in problem and
 * r->lineno its number.
 */
int keyfile_next(struct keyfile_reader *r, struct keyfile_line *line, char *problem,
		 size_t problem_len);

/*
 * The first problem found in a file, as "PATH:LINE: problem" in err: the
 * one error line both formats give.
 */
struct keyfile_error {
	const char *path;
	char *err;
	size_t errlen;
	int line;               /* of the first problem; 0: none yet */
};

/* Records a problem at line unless one was recorded before. */
void keyfile_fail(struct keyfile_error *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Why and where keyfile_each stopped at a line the reader refuses. */
struct keyfile_refusal {
	int lineno;
	char problem[64];
};

#define KEYFILE_REFUSED (-1000)

/*
 * each(ctx, line) for every line of text that says something (not blank,
 * not a comment), in order, until one returns non-zero: 0 when all were read, that value, or KEYFILE_REFUSED for a
 * line the reader refuses (*why says which and why).
 */
int keyfile_each(const char *text, size_t len, size_t max_line,
		 int (*each)(void *ctx, const struct keyfile_line *line), void *ctx,
		 struct keyfile_refusal *why);

#endif /* VPNCAP_KEYFILE_H */
