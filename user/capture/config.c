// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration file of vpncap: "key = value" lines, keys = the long
 * options of `vpncap capture`, turned into command-line arguments so that
 * one parser (cli_capture.c) gives every option its meaning.
 *
 * inih splits the lines (comments, blank lines, sections, "name = value");
 * a small reader in front of it hands inih each line with its leading white
 * space removed and its value left out, and the value is taken from the line
 * itself. This keeps three habits of inih out of vpncap's format, whichever
 * way the library was built: its fixed line buffer (200 bytes by default,
 * longer lines are cut and the rest read as a new line), continuation lines
 * (an indented line would extend the previous value) and inline ';'
 * comments (an on-rotate command may hold " ; ").
 */
#include "capture/config.h"
#include "capture/options.h"
#include "log.h"
#include "textfile.h"
#include "vpncap/abi.h"

#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1u << 20)     /* a configuration file is a few hundred bytes */
#define CONFIG_MAX_LINE 8192            /* bytes per line: paths, commands, rule lists */
#define CONFIG_MAX_KEY 64               /* longer than any key: shown cut in messages */

enum key_group { GROUP_NONE, GROUP_IFACE, GROUP_QUEUE, GROUP_COPY };

/* The long options of `vpncap capture`, as cli_capture.c's long_opts. */
struct key {
	const char *name;
	char short_opt;         /* 0: long only */
	unsigned char flag;     /* takes no value on the command line */
	unsigned char group;    /* enum key_group */
	unsigned char in_file;  /* allowed as a configuration key */
};

static const struct key keys[] = {
	{ "interface", 'i', 0, GROUP_IFACE, 1 },
	{ "write", 'w', 0, GROUP_NONE, 1 },
	{ "snaplen", 's', 0, GROUP_NONE, 1 },
	{ "duration", 0, 0, GROUP_NONE, 1 },
	{ "count", 'c', 0, GROUP_NONE, 1 },
	{ "mode", 0, 0, GROUP_NONE, 1 },
	{ "unmatched", 0, 0, GROUP_NONE, 1 },
	{ "xdp-mode", 0, 0, GROUP_NONE, 1 },
	{ "queue", 'q', 0, GROUP_QUEUE, 1 },
	{ "copy", 0, 1, GROUP_COPY, 1 },        /* copy, then zero-copy: apply_line */
	{ "zero-copy", 0, 1, GROUP_COPY, 1 },
	{ "queue-size", 0, 0, GROUP_NONE, 1 },
	{ "cpus", 0, 0, GROUP_NONE, 1 },
	{ "busy-poll", 0, 1, GROUP_NONE, 1 },
	{ "umem-frames", 0, 0, GROUP_NONE, 1 },
	{ "rx-ring", 0, 0, GROUP_NONE, 1 },
	{ "fill-ring", 0, 0, GROUP_NONE, 1 },
	{ "timestamps", 0, 0, GROUP_NONE, 1 },
	{ "ring-size", 0, 0, GROUP_NONE, 1 },
	{ "rotate-size", 0, 0, GROUP_NONE, 1 },
	{ "rotate-time", 0, 0, GROUP_NONE, 1 },
	{ "max-files", 0, 0, GROUP_NONE, 1 },
	{ "max-bytes", 0, 0, GROUP_NONE, 1 },
	{ "min-free", 0, 0, GROUP_NONE, 1 },
	{ "sync-interval", 0, 0, GROUP_NONE, 1 },
	{ "on-rotate", 0, 0, GROUP_NONE, 1 },
	{ "compress", 0, 0, GROUP_NONE, 1 },
	{ "rules", 0, 0, GROUP_NONE, 1 },
	{ "metrics-file", 0, 0, GROUP_NONE, 1 },
	{ "fragment-timeout", 0, 0, GROUP_NONE, 1 },
	{ "fragment-window", 0, 0, GROUP_NONE, 1 },
	{ "config", 0, 0, GROUP_NONE, 0 },
	{ "persistent", 0, 1, GROUP_NONE, 0 },
	{ "realtime", 0, 1, GROUP_NONE, 0 },
	{ "verbose", 'v', 1, GROUP_NONE, 1 },
	{ "help", 'h', 1, GROUP_NONE, 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *key_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* As getopt_long resolves "--NAME": exact, or an unambiguous prefix. */
static const struct key *key_by_long(const char *name, size_t n)
{
	const struct key *found = NULL;
	size_t i;
	int matches = 0;

	for (i = 0; i < N_KEYS; i++) {
		if (strncmp(keys[i].name, name, n))
			continue;
		if (strlen(keys[i].name) == n)
			return &keys[i];
		found = &keys[i];
		matches++;
	}
	return matches == 1 ? found : NULL;
}

static const struct key *key_by_short(char c)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (keys[i].short_opt && keys[i].short_opt == c)
			return &keys[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Argument vectors                                                        */
/* ---------------------------------------------------------------------- */

struct argv_buf {
	int argc, cap;
	char **argv;            /* NULL-terminated while not empty */
	int nomem;
};

/* Takes ownership of s (NULL: out of memory already). */
static int argv_take(struct argv_buf *b, char *s)
{
	if (!s)
		goto nomem;
	if (b->argc + 2 > b->cap) {
		int cap = b->cap ? b->cap * 2 : 16;
		char **argv = realloc(b->argv, (size_t)cap * sizeof(*argv));

		if (!argv) {
			free(s);
			goto nomem;
		}
		b->argv = argv;
		b->cap = cap;
	}
	b->argv[b->argc++] = s;
	b->argv[b->argc] = NULL;
	return 0;
nomem:
	b->nomem = 1;
	return -1;
}

static int argv_copy(struct argv_buf *b, const char *s)
{
	return argv_take(b, strdup(s));
}

static void argv_release(struct argv_buf *b)
{
	int i;

	for (i = 0; i < b->argc; i++)
		free(b->argv[i]);
	free(b->argv);
	memset(b, 0, sizeof(*b));
}

void config_args_free(struct config_args *a)
{
	int i;

	if (!a)
		return;
	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argc = 0;
	a->argv = NULL;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */
/* ---------------------------------------------------------------------- */

struct parse_state {
	const char *path;
	const char *text;
	size_t len, pos;
	int lineno;                     /* the line last handed to inih */
	const char *line;               /* that line: leading white space skipped, no '\n' */
	size_t line_len;
	int err_line;                   /* first problem we found; 0: none */
	char *err;
	size_t errlen;
	int first_line[N_KEYS];         /* line of each key's first use */
	struct capture_opts all;        /* every line so far, applied in order */
	struct argv_buf args;
};

static void fail(struct parse_state *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the problem of the current line (the first one only). */
static void fail(struct parse_state *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->err_line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(p->err, p->errlen, "%s:%d: %s", p->path, p->lineno, msg);
	p->err_line = p->lineno;
}

/*
 * capture_opts_apply_long names options the command-line way ("--snaplen:",
 * "-i:"); a configuration file knows only keys.
 */
static const char *as_key_message(const char *msg, char *buf, size_t len)
{
	static const struct {
		const char *from, *to;
	} shorts[] = {
		{ "-i: ", "interface: " }, { "-w: ", "write: " }, { "-s: ", "snaplen: " },
		{ "-c: ", "count: " }, { "-q: ", "queue: " },
	};
	size_t i;

	if (!strncmp(msg, "--", 2))
		return msg + 2;
	for (i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		size_t n = strlen(shorts[i].from);

		if (!strncmp(msg, shorts[i].from, n)) {
			snprintf(buf, len, "%s%s", shorts[i].to, msg + n);
			return buf;
		}
	}
	return msg;
}

/*
 * inih's reader: one line per call, as fgets would give it, but with the
 * leading white space removed and only "name =" of a "name = value" line
 * (see the top of the file). NULL ends the parse: end of text, or a problem
 * found here (sections, NUL bytes, lines too long).
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *p = stream;
	const char *s, *end, *nl, *eq, *name_end;
	size_t n;

	if (p->err_line || p->pos >= p->len || num < 4)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	end = nl ? nl : p->text + p->len;
	p->pos = (size_t)(end - p->text) + (nl ? 1 : 0);
	p->lineno++;

	if (memchr(s, '\0', (size_t)(end - s))) {
		fail(p, "malformed line (holds a NUL byte)");
		return NULL;
	}
	if (end - s > CONFIG_MAX_LINE) {
		fail(p, "line longer than %d bytes", CONFIG_MAX_LINE);
		return NULL;
	}
	if (p->lineno == 1 && end - s >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3; /* UTF-8 byte order mark */
	while (s < end && isspace((unsigned char)*s))
		s++;
	p->line = s;
	p->line_len = (size_t)(end - s);

	if (s < end && *s == '[') {
		fail(p, "sections are not used in vpncap configuration files");
		return NULL;
	}
	eq = memchr(s, '=', (size_t)(end - s));
	if (eq && *s != '#' && *s != ';') {
		name_end = eq;
		while (name_end > s && isspace((unsigned char)name_end[-1]))
			name_end--;
		n = (size_t)(name_end - s);
		if (n > CONFIG_MAX_KEY || n + 3 > (size_t)num) {
			fail(p, "unknown key '%.*s...'", CONFIG_MAX_KEY / 2, s);
			return NULL;
		}
		memcpy(str, s, n);
		str[n++] = '=';
	} else {
		/* Comment, blank, or a line inih calls malformed: its start is enough. */
		n = (size_t)(end - s);
		if (n + 2 > (size_t)num) {
			if (*s != '#' && *s != ';') {
				fail(p, "malformed line (expected key = value)");
				return NULL;
			}
			n = 1;
		}
		memcpy(str, s, n);
	}
	str[n++] = '\n';
	str[n] = '\0';
	return str;
}

/* Applies one "key = value" line; 0, or -1 with the problem recorded. */
static int apply_line(struct parse_state *p, const char *name, const char *value, size_t vlen)
{
	const struct key *k = key_by_name(name);
	struct capture_opts alone;
	char msg[256], buf[300];
	char *v;
	int idx, on;

	if (!k || !k->in_file) {
		fail(p, "unknown key '%s'", name);
		return -1;
	}
	idx = (int)(k - keys);
	if (!k->flag && !vlen) {
		fail(p, "%s: empty value", name);
		return -1;
	}
	if (p->first_line[idx] && k->group != GROUP_IFACE && k->group != GROUP_QUEUE) {
		fail(p, "'%s' given twice (first on line %d)", name, p->first_line[idx]);
		return -1;
	}
	if (!p->first_line[idx])
		p->first_line[idx] = p->lineno;
	v = strndup(value, vlen);
	if (!v) {
		p->args.nomem = 1;
		fail(p, "out of memory");
		return -1;
	}

	/* The line on its own: the value's own problems, named as the key. */
	capture_opts_defaults(&alone);
	if (capture_opts_apply_long(&alone, name, v, msg, sizeof(msg))) {
		fail(p, "%s", as_key_message(msg, buf, sizeof(buf)));
		free(v);
		return -1;
	}
	on = !k->flag || alone.copy != COPY_CHOICE_AUTO || alone.verbose || alone.busy_poll;
	if (!on) {
		free(v);
		return 0; /* "copy = no": nothing to say */
	}

	/*
	 * With the lines before it: an interface twice, too many interfaces or
	 * queues, copy and zero-copy. all keeps pointers to the values, which
	 * live in args from here on.
	 */
	if (k->flag) {
		free(v);
		v = NULL;
		if (argv_take(&p->args, malloc(strlen(name) + 3)))
			goto nomem;
		sprintf(p->args.argv[p->args.argc - 1], "--%s", name);
	} else {
		char *opt = malloc(strlen(name) + 3);

		if (opt)
			sprintf(opt, "--%s", name);
		if (argv_take(&p->args, opt)) {
			free(v);
			goto nomem;
		}
		if (argv_take(&p->args, v))
			goto nomem;
	}
	if (capture_opts_apply_long(&p->all, name, k->flag ? "yes" : v, msg, sizeof(msg))) {
		if (k->group == GROUP_COPY) {
			int other = !strcmp(name, "copy") ? idx + 1 : idx - 1;

			fail(p, "'%s' and '%s' exclude each other (%s on line %d)", name,
			     keys[other].name, keys[other].name, p->first_line[other]);
		} else {
			fail(p, "%s", as_key_message(msg, buf, sizeof(buf)));
		}
		return -1;
	}
	return 0;
nomem:
	fail(p, "out of memory");
	return -1;
}

/* inih's handler: name is inih's, the value comes from the line itself. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *p = user;
	const char *s = p->line, *end = p->line + p->line_len, *eq, *n_end, *v;
	char key[CONFIG_MAX_KEY + 1];
	size_t n;

	(void)value;
	if (p->err_line)
		return 0;
	if (section && *section) {
		fail(p, "sections are not used in vpncap configuration files");
		return 0;
	}
	eq = memchr(s, '=', p->line_len);
	if (!eq || memchr(s, ':', (size_t)(eq - s))) {
		/* "name: value", inih's concession to Python, is not ours */
		fail(p, "malformed line (expected key = value)");
		return 0;
	}
	n_end = eq;
	while (n_end > s && isspace((unsigned char)n_end[-1]))
		n_end--;
	n = (size_t)(n_end - s);
	if (!n || n > CONFIG_MAX_KEY || !name || strlen(name) != n || memcmp(name, s, n)) {
		fail(p, "malformed line (expected key = value)");
		return 0;
	}
	memcpy(key, s, n);
	key[n] = '\0';
	v = eq + 1;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	return apply_line(p, key, v, (size_t)(end - v)) ? 0 : 1;
}

static int last_line_of(const struct parse_state *p, const char *const *names, size_t n)
{
	int line = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct key *k = key_by_name(names[i]);

		if (k && p->first_line[k - keys] > line)
			line = p->first_line[k - keys];
	}
	return line;
}

/* The file's sizes together, named at the line that completes the conflict. */
static int check_sizes(struct parse_state *p)
{
	static const char *const sizes[] = { "umem-frames", "fill-ring", "rx-ring" };
	char msg[256], buf[300];

	if (!capture_opts_check_sizes(&p->all, msg, sizeof(msg)))
		return 0;
	err_set(p->err, p->errlen, "%s:%d: %s", p->path,
		last_line_of(p, sizes, sizeof(sizes) / sizeof(sizes[0])),
		as_key_message(msg, buf, sizeof(buf)));
	return -1;
}

int config_parse(const char *path, const char *text, size_t len, struct config_args *out,
		 char *err, size_t errlen)
{
	struct parse_state p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.text = text;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	capture_opts_defaults(&p.all);
	out->argc = 0;
	out->argv = NULL;

	if (argv_copy(&p.args, "capture")) {
		err_set(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	rc = ini_parse_stream(read_line, &p, on_pair, &p);
	if (rc > 0 && (!p.err_line || rc < p.err_line)) {
		/* inih's own finding: no '=' on a line that is not a comment */
		err_set(err, errlen, "%s:%d: malformed line (expected key = value)", path, rc);
		goto fail;
	}
	if (p.err_line)
		goto fail;
	if (rc < 0 || p.args.nomem) {
		err_set(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (check_sizes(&p))
		goto fail;
	out->argc = p.args.argc;
	out->argv = p.args.argv;
	return 0;
fail:
	err_one_line(err, errlen);
	argv_release(&p.args);
	return -1;
}

int config_load(const char *path, struct config_args *out, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int ret, rc;

	out->argc = 0;
	out->argv = NULL;
	ret = textfile_read(path, CONFIG_MAX_BYTES, &text, &len);
	if (ret) {
		err_set(err, errlen, "%s: cannot read: %s", path, strerror(-ret));
		err_one_line(err, errlen);
		return -1;
	}
	rc = config_parse(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Configuration file + command line                                       */
/* ---------------------------------------------------------------------- */

struct cli_scan {
	int has[4];             /* by enum key_group: the command line gives one */
	int config_at;          /* index of --config; -1: none */
	int config_n;           /* 1 (--config=FILE) or 2 (--config FILE) */
	const char *config_path;
};

/*
 * Walks argv as capture_opts_parse's getopt_long will ("+": options end at
 * the first non-option or "--"), so that "-w --config" stays a file name.
 */
static int scan_cli(int argc, char **argv, struct cli_scan *sc, char *err, size_t errlen)
{
	int i;

	memset(sc, 0, sizeof(*sc));
	sc->config_at = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *s;
		const struct key *k;

		if (!strcmp(a, "--") || a[0] != '-' || !a[1])
			break;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			k = key_by_long(a + 2, eq ? (size_t)(eq - (a + 2)) : strlen(a + 2));
			if (!k)
				continue; /* unknown or ambiguous: the parser says so */
			sc->has[k->group] = 1;
			if (!strcmp(k->name, "config")) {
				const char *path = eq ? eq + 1 : i + 1 < argc ? argv[i + 1] : NULL;

				if (sc->config_at >= 0) {
					err_set(err, errlen, "capture: --config given twice");
					return -1;
				}
				if (!path) {
					err_set(err, errlen, "capture: option '%s' needs a value", a);
					return -1;
				}
				if (!*path) {
					err_set(err, errlen, "capture: --config: empty file name");
					return -1;
				}
				sc->config_at = i;
				sc->config_n = eq ? 1 : 2;
				sc->config_path = path;
			}
			if (!k->flag && !eq)
				i++; /* its value, whatever it looks like */
			continue;
		}
		for (s = a + 1; *s; s++) {
			k = key_by_short(*s);
			if (!k)
				continue;
			sc->has[k->group] = 1;
			if (!k->flag) {
				if (!s[1])
					i++; /* "-i eth0"; "-ieth0" keeps it in the same word */
				break;
			}
		}
	}
	return 0;
}

int config_expand_argv(int argc, char **argv, struct config_args *out,
		       const char **config_path, char *err, size_t errlen)
{
	struct config_args file = { 0, NULL };
	struct argv_buf b;
	struct cli_scan sc;
	int i;

	memset(&b, 0, sizeof(b));
	out->argc = 0;
	out->argv = NULL;
	*config_path = NULL;
	if (scan_cli(argc, argv, &sc, err, errlen)) {
		err_one_line(err, errlen);
		return -1;
	}
	if (sc.config_at >= 0 && config_load(sc.config_path, &file, err, errlen))
		return -1;

	argv_copy(&b, argc > 0 ? argv[0] : "capture");
	for (i = 1; i < file.argc; i++) {
		const struct key *k = key_by_name(file.argv[i] + 2); /* "--key", as config_parse made it */
		int drop = k && k->group != GROUP_NONE && sc.has[k->group];

		if (!drop)
			argv_copy(&b, file.argv[i]);
		if (k && !k->flag && i + 1 < file.argc) {
			i++;
			if (!drop)
				argv_copy(&b, file.argv[i]);
		}
	}
	for (i = 1; i < argc; i++) {
		if (i == sc.config_at) {
			i += sc.config_n - 1;
			continue;
		}
		argv_copy(&b, argv[i]);
	}
	config_args_free(&file);
	if (b.nomem) {
		argv_release(&b);
		err_set(err, errlen, "capture: out of memory");
		return -1;
	}
	out->argc = b.argc;
	out->argv = b.argv;
	*config_path = sc.config_path;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */
/* ---------------------------------------------------------------------- */

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

/* Largest exact unit, as parse_size reads it back. */
static void put_size(FILE *f, const char *key, uint64_t v)
{
	static const struct {
		uint64_t mult;
		const char *suffix;
	} units[] = { { TIB, "T" }, { GIB, "G" }, { MIB, "M" }, { KIB, "k" } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v && v % units[i].mult == 0) {
			fprintf(f, "%s = %" PRIu64 "%s\n", key, v / units[i].mult, units[i].suffix);
			return;
		}
	}
	fprintf(f, "%s = %" PRIu64 "\n", key, v);
}

/* Largest exact unit, as parse_duration reads it back. */
static void put_duration(FILE *f, const char *key, uint64_t ms)
{
	static const struct {
		uint64_t mult;
		const char *suffix;
	} units[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms && ms % units[i].mult == 0) {
			fprintf(f, "%s = %" PRIu64 "%s\n", key, ms / units[i].mult, units[i].suffix);
			return;
		}
	}
	fprintf(f, "%s = %" PRIu64 "ms\n", key, ms);
}

/* A value a line gives back unchanged: no newline, no white space at its ends. */
static int put_string(FILE *f, const char *path, const char *key, const char *v, char *err,
		      size_t errlen)
{
	size_t n = strlen(v);

	if (!n) {
		err_set(err, errlen, "%s: %s: an empty value cannot be written", path, key);
		return -1;
	}
	if (strchr(v, '\n')) {
		err_set(err, errlen, "%s: %s: a value with a line break cannot be written", path,
			key);
		return -1;
	}
	if (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])) {
		err_set(err, errlen,
			"%s: %s: a value starting or ending with white space cannot be written",
			path, key);
		return -1;
	}
	fprintf(f, "%s = %s\n", key, v);
	return 0;
}

static int safe_iface_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* "0-3,6": runs of consecutive CPUs as ranges, as --cpus reads them back. */
static void put_cpus(FILE *f, const struct capture_opts *o)
{
	unsigned int i = 0, j;

	fputs("cpus = ", f);
	while (i < o->n_cpus && i < CAPTURE_MAX_QUEUES) {
		for (j = i; j + 1 < o->n_cpus && o->cpus[j + 1] == o->cpus[j] + 1; j++)
			;
		fprintf(f, "%s%" PRIu32, i ? "," : "", o->cpus[i]);
		if (j > i)
			fprintf(f, "-%" PRIu32, o->cpus[j]);
		i = j + 1;
	}
	fputc('\n', f);
}

/* The AF_XDP sockets and their threads: only what differs from automatic. */
static void put_line_rate(FILE *f, const struct capture_opts *o)
{
	static const char *const timestamps[] = { "auto", "hardware", "software" };

	if (o->n_cpus)
		put_cpus(f, o);
	if (o->busy_poll)
		fprintf(f, "busy-poll = yes\n");
	if (o->umem_frames)
		fprintf(f, "umem-frames = %" PRIu32 "\n", o->umem_frames);
	if (o->rx_ring)
		fprintf(f, "rx-ring = %" PRIu32 "\n", o->rx_ring);
	if (o->fill_ring)
		fprintf(f, "fill-ring = %" PRIu32 "\n", o->fill_ring);
	if (o->timestamps != TS_CHOICE_AUTO && (unsigned int)o->timestamps < 3)
		fprintf(f, "timestamps = %s\n", timestamps[o->timestamps]);
}

static int put_options(FILE *f, const char *path, const struct capture_opts *o, char *err,
		       size_t errlen)
{
	static const char *const xdp_modes[] = { "auto", "native", "skb" };
	const char *iface = o->n_ifaces && safe_iface_name(o->ifaces[0]) ? o->ifaces[0] : "IFACE";
	unsigned int i;

	fprintf(f,
		"# vpncap configuration, written by `vpncap capture --persistent`.\n"
		"# vpncap@%s.service runs `vpncap capture --config THIS-FILE -i %s`.\n"
		"# One \"key = value\" per line; the keys are the long options of\n"
		"# `vpncap capture` (see `vpncap help capture`), flags take yes or no.\n"
		"# To change the capture, run `vpncap capture -i %s ... --persistent`\n"
		"# again, or edit this file and run `systemctl reload vpncap@%s`\n"
		"# (restart instead when write, queue, snaplen or a mode changes).\n",
		iface, iface, iface, iface);

	if (o->output && put_string(f, path, "write", o->output, err, errlen))
		return -1;
	if (o->snaplen != CAPTURE_DEFAULT_SNAPLEN)
		fprintf(f, "snaplen = %" PRIu32 "\n", o->snaplen);
	if (o->duration_ms % 1000)
		fprintf(f, "duration = %" PRIu64 ".%03" PRIu64 "\n", o->duration_ms / 1000,
			o->duration_ms % 1000);
	else if (o->duration_ms)
		fprintf(f, "duration = %" PRIu64 "\n", o->duration_ms / 1000);
	if (o->count)
		fprintf(f, "count = %" PRIu64 "\n", o->count);
	if (o->mode == CAPTURE_MODE_BYPASS)
		fprintf(f, "mode = bypass\n");
	else if (o->mode == CAPTURE_MODE_INLINE)
		fprintf(f, "mode = inline\n");
	if (o->unmatched == VPNCAP_UNMATCHED_DROP)
		fprintf(f, "unmatched = drop\n");
	if (o->xdp_mode != XDP_MODE_CHOICE_AUTO && (unsigned int)o->xdp_mode < 3)
		fprintf(f, "xdp-mode = %s\n", xdp_modes[o->xdp_mode]);
	for (i = 0; i < o->n_queues && i < CAPTURE_MAX_QUEUES; i++)
		fprintf(f, "queue = %" PRIu32 "\n", o->queues[i]);
	if (o->copy == COPY_CHOICE_COPY)
		fprintf(f, "copy = yes\n");
	else if (o->copy == COPY_CHOICE_ZEROCOPY)
		fprintf(f, "zero-copy = yes\n");
	if (o->queue_size != CAPTURE_DEFAULT_QUEUE_SIZE)
		put_size(f, "queue-size", o->queue_size);
	if (o->ring_size != CAPTURE_DEFAULT_RING_SIZE)
		put_size(f, "ring-size", o->ring_size);
	put_line_rate(f, o);
	if (o->rotate_size)
		put_size(f, "rotate-size", o->rotate_size);
	if (o->rotate_time_ms)
		put_duration(f, "rotate-time", o->rotate_time_ms);
	if (o->max_files)
		fprintf(f, "max-files = %" PRIu64 "\n", o->max_files);
	if (o->max_bytes)
		put_size(f, "max-bytes", o->max_bytes);
	if (o->min_free)
		put_size(f, "min-free", o->min_free);
	if (o->sync_interval_ms != CAPTURE_DEFAULT_SYNC_MS)
		put_duration(f, "sync-interval", o->sync_interval_ms);
	if (o->on_rotate && put_string(f, path, "on-rotate", o->on_rotate, err, errlen))
		return -1;
	if (o->compress == COMPRESS_GZIP)
		fprintf(f, "compress = gzip\n");
	else if (o->compress == COMPRESS_ZSTD)
		fprintf(f, "compress = zstd\n");
	if (o->rules && put_string(f, path, "rules", o->rules, err, errlen))
		return -1;
	if (o->metrics_file && put_string(f, path, "metrics-file", o->metrics_file, err, errlen))
		return -1;
	if (o->fragment_timeout_ms != CAPTURE_DEFAULT_FRAG_TIMEOUT_MS)
		put_duration(f, "fragment-timeout", o->fragment_timeout_ms);
	if (o->fragment_window_ms != CAPTURE_DEFAULT_FRAG_WINDOW_MS)
		put_duration(f, "fragment-window", o->fragment_window_ms);
	if (o->verbose)
		fprintf(f, "verbose = yes\n");
	return 0;
}

int config_write(const char *path, const struct capture_opts *o, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&text, &len);
	if (!f) {
		rc = -ENOMEM;
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		goto out;
	}
	if (put_options(f, path, o, err, errlen)) {
		fclose(f);
		rc = -EINVAL;
		goto out;
	}
	if (fclose(f) || !text) {
		rc = -ENOMEM;
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		goto out;
	}

	rc = textfile_replace(path, text, len, 0640, err, errlen);
out:
	free(text);
	if (rc)
		err_one_line(err, errlen);
	return rc;
}

const char *config_dir(void)
{
	const char *dir = getenv("VPNCAP_CONFIG_DIR");

	return dir && *dir ? dir : CONFIG_DIR_DEFAULT;
}
