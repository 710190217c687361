// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration file of vpncap: "key = value" lines, keys = the long
 * options of `vpncap capture`, turned into command-line arguments so that
 * one parser (capture/options.c) gives every option its meaning.
 *
 * keyfile.c splits the lines (comments, blank lines, "key = value"); a
 * value runs to the end of its line, so an on-rotate command may hold " ; ".
 */
#include "capture/config.h"
#include "capture/options.h"
#include "keyfile.h"
#include "log.h"
#include "textfile.h"
#include "vpncap/abi.h"

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

/*
 * The keys are the options of `vpncap capture` marked COPT_IN_FILE in its
 * option table (capture/options.c); a key without a value on the command
 * line (--copy) is a flag here, set with yes/no.
 */
static int is_flag(const struct capture_option *c)
{
	return !c->arg;
}

/* The option's place in the table: per-key state is kept by it. */
static size_t option_index(const struct capture_option *c)
{
	size_t n;

	return (size_t)(c - capture_options(&n));
}

static const struct capture_option *key_by_name(const char *name)
{
	return capture_option_by_name(name, strlen(name));
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
	struct keyfile_error e;
	int lineno;                     /* the line being read */
	int first_line[CAPTURE_MAX_OPTIONS]; /* line of each key's first use, by table index */
	struct capture_opts all;        /* every line so far, applied in order */
	struct argv_buf args;
};

/* Records the problem of the current line (the first one only). */
#define fail(p, ...) keyfile_fail(&(p)->e, (p)->lineno, __VA_ARGS__)

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

/* Applies one "key = value" line; 0, or -1 with the problem recorded. */
static int apply_line(struct parse_state *p, const char *name, const char *value, size_t vlen)
{
	const struct capture_option *k = key_by_name(name);
	struct capture_opts alone;
	char msg[256], buf[300];
	char *v;
	int idx, on;

	if (!k || !(k->flags & COPT_IN_FILE)) {
		fail(p, "unknown key '%s'", name);
		return -1;
	}
	idx = (int)option_index(k);
	if (!is_flag(k) && !vlen) {
		fail(p, "%s: empty value", name);
		return -1;
	}
	if (p->first_line[idx] && k->group != COPT_GROUP_IFACE && k->group != COPT_GROUP_QUEUE) {
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
	on = !is_flag(k) || capture_opts_flag_word(v) == 1;
	if (!on) {
		free(v);
		return 0; /* "copy = no": nothing to say */
	}

	/*
	 * With the lines before it: an interface twice, too many interfaces or
	 * queues, copy and zero-copy. all keeps pointers to the values, which
	 * live in args from here on.
	 */
	if (is_flag(k)) {
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
	if (capture_opts_apply_long(&p->all, name, is_flag(k) ? "yes" : v, msg, sizeof(msg))) {
		if (k->group == COPT_GROUP_COPY) {
			/* copy, then zero-copy, in the table */
			int other = !strcmp(name, "copy") ? idx + 1 : idx - 1;
			size_t n;
			const char *oname = capture_options(&n)[other].name;

			fail(p, "'%s' and '%s' exclude each other (%s on line %d)", name, oname,
			     oname, p->first_line[other]);
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

/* "key = value": the key checked for form, then applied. */
static int parse_pair(struct parse_state *p, const struct keyfile_line *l)
{
	char key[CONFIG_MAX_KEY + 1];

	if (l->key_len > CONFIG_MAX_KEY) {
		fail(p, "unknown key '%.*s...'", CONFIG_MAX_KEY / 2, l->key);
		return -1;
	}
	/*
	 * "name: value", a concession of INI parsers to Python, is not ours; nor
	 * is "name ; comment = value", which they read as a cut-off line.
	 */
	if (!l->key_len || memchr(l->key, ':', l->key_len) || memchr(l->key, ';', l->key_len)) {
		fail(p, "malformed line (expected key = value)");
		return -1;
	}
	memcpy(key, l->key, l->key_len);
	key[l->key_len] = '\0';
	return apply_line(p, key, l->value, l->value_len);
}

/* One line of the file; 0 to go on, -1 with the problem recorded. */
static int parse_line(void *ctx, const struct keyfile_line *l)
{
	struct parse_state *p = ctx;

	p->lineno = l->lineno;
	switch (l->kind) {
	case KEYFILE_SECTION:
		fail(p, "sections are not used in vpncap configuration files");
		return -1;
	case KEYFILE_PAIR:
		return parse_pair(p, l);
	default:
		fail(p, "malformed line (expected key = value)");
		return -1;
	}
}

/* Every line in order, up to the first problem. */
static int parse_lines(struct parse_state *p, const char *text, size_t len)
{
	struct keyfile_refusal why;
	int rc = keyfile_each(text, len, CONFIG_MAX_LINE, parse_line, p, &why);

	if (rc == KEYFILE_REFUSED) {
		p->lineno = why.lineno;
		fail(p, "%s", why.problem);
	}
	return rc;
}

static int last_line_of(const struct parse_state *p, const char *const *names, size_t n)
{
	int line = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct capture_option *k = key_by_name(names[i]);

		if (k && p->first_line[option_index(k)] > line)
			line = p->first_line[option_index(k)];
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
	keyfile_fail(&p->e, last_line_of(p, sizes, sizeof(sizes) / sizeof(sizes[0])), "%s",
		     as_key_message(msg, buf, sizeof(buf)));
	return -1;
}

int config_parse(const char *path, const char *text, size_t len, struct config_args *out,
		 char *err, size_t errlen)
{
	struct parse_state p;

	memset(&p, 0, sizeof(p));
	p.e = (struct keyfile_error){ .path = path, .err = err, .errlen = errlen };
	capture_opts_defaults(&p.all);
	out->argc = 0;
	out->argv = NULL;

	if (argv_copy(&p.args, "capture")) {
		err_set(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (parse_lines(&p, text, len) || p.e.line)
		goto fail;
	if (p.args.nomem) {
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
	int has[4];             /* by enum capture_opt_group: the command line gives one */
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
		const struct capture_option *k;

		if (!strcmp(a, "--") || a[0] != '-' || !a[1])
			break;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			k = capture_option_by_name(a + 2, eq ? (size_t)(eq - (a + 2)) : strlen(a + 2));
			if (!k)
				continue; /* unknown or abbreviated: the parser says so */
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
			if (!is_flag(k) && !eq)
				i++; /* its value, whatever it looks like */
			continue;
		}
		for (s = a + 1; *s; s++) {
			k = capture_option_by_short(*s);
			if (!k)
				continue;
			sc->has[k->group] = 1;
			if (!is_flag(k)) {
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
		const struct capture_option *k = key_by_name(file.argv[i] + 2); /* "--key", as config_parse made it */
		int drop = k && k->group != COPT_GROUP_NONE && sc.has[k->group];

		if (!drop)
			argv_copy(&b, file.argv[i]);
		if (k && !is_flag(k) && i + 1 < file.argc) {
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

static int safe_iface_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int put_options(FILE *f, const char *path, const char *iface_name,
		       const struct capture_opts *o, char *err, size_t errlen)
{
	const char *iface = safe_iface_name(iface_name) ? iface_name : "IFACE";

	fprintf(f,
		"# vpncap configuration, written by `vpncap capture --persistent`.\n"
		"# vpncap@%s.service runs `vpncap capture --config THIS-FILE -i %s`.\n"
		"# One \"key = value\" per line; the keys are the long options of\n"
		"# `vpncap capture` (see `vpncap help capture`), flags take yes or no.\n"
		"# To change the capture, run `vpncap capture -i %s ... --persistent`\n"
		"# again, or edit this file and run `systemctl reload vpncap@%s`\n"
		"# (restart instead when write, queue, snaplen or a mode changes).\n",
		iface, iface, iface, iface);

	return capture_opts_write(f, path, o, err, errlen);
}

int config_format(const char *path, const char *iface, const struct capture_opts *o,
		  char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	int rc = 0;

	*text = NULL;
	*len = 0;
	f = open_memstream(text, len);
	if (!f) {
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (put_options(f, path, iface, o, err, errlen))
		rc = -EINVAL;
	if (fclose(f) && !rc) {
		rc = -ENOMEM;
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
	}
	if (rc) {
		free(*text);
		*text = NULL;
		*len = 0;
		err_one_line(err, errlen);
	}
	return rc;
}

int config_write(const char *path, const struct capture_opts *o, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	rc = config_format(path, o->n_ifaces ? o->ifaces[0] : NULL, o, &text, &len, err, errlen);
	if (rc)
		return rc;
	rc = textfile_replace(path, text, len, 0640, err, errlen);
	free(text);
	if (rc)
		err_one_line(err, errlen);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Comparing                                                               */
/* ---------------------------------------------------------------------- */

/* One line of a configuration that says something, pointing into its text. */
struct diff_line {
	const char *key;        /* not "key = value": the whole line, value NULL */
	const char *value;
	size_t key_len, value_len;
	int kept;               /* the other text has the same line */
};

struct diff_side {
	struct diff_line *lines;
	size_t n, cap;
};

static int collect_line(void *ctx, const struct keyfile_line *l)
{
	struct diff_side *s = ctx;
	struct diff_line *d;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct diff_line *bigger = realloc(s->lines, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		s->lines = bigger;
		s->cap = cap;
	}
	d = &s->lines[s->n++];
	memset(d, 0, sizeof(*d));
	if (l->kind == KEYFILE_PAIR) {
		d->key = l->key;
		d->key_len = l->key_len;
		d->value = l->value;
		d->value_len = l->value_len;
	} else {
		d->key = l->text;
		d->key_len = l->len;
	}
	return 0;
}

static int collect(const char *text, size_t len, struct diff_side *s)
{
	struct keyfile_refusal why;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = keyfile_each(text ? text : "", text ? len : 0, CONFIG_MAX_LINE, collect_line, s, &why);
	return rc == KEYFILE_REFUSED ? -EINVAL : rc;
}

static int same_key(const struct diff_line *a, const struct diff_line *b)
{
	return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len) &&
	       !a->value == !b->value;
}

static int same_line(const struct diff_line *a, const struct diff_line *b)
{
	return same_key(a, b) && a->value_len == b->value_len &&
	       (!a->value || !memcmp(a->value, b->value, a->value_len));
}

/* Lines both texts have are kept; a line given twice pairs with one copy. */
static void mark_kept(struct diff_side *old, struct diff_side *new)
{
	size_t i, j;

	for (i = 0; i < new->n; i++)
		for (j = 0; j < old->n; j++)
			if (!old->lines[j].kept && same_line(&old->lines[j], &new->lines[i])) {
				old->lines[j].kept = new->lines[i].kept = 1;
				break;
			}
}

/* The lines of side with key's key that the other side lacks; how many. */
static int put_changed(FILE *out, char sign, const struct diff_side *side,
		       const struct diff_line *key)
{
	size_t i;
	int n = 0;

	for (i = 0; i < side->n; i++) {
		const struct diff_line *l = &side->lines[i];

		if (l->kept || !same_key(l, key))
			continue;
		fprintf(out, "%c%.*s", sign, (int)l->key_len, l->key);
		if (l->value)
			fprintf(out, " =%s%.*s", l->value_len ? " " : "", (int)l->value_len,
				l->value);
		fputc('\n', out);
		n++;
	}
	return n;
}

/* Was key's key shown before, at lines[0..at) or in the new text before the old? */
static int key_seen(const struct diff_side *new, const struct diff_side *side, size_t at)
{
	size_t i;

	if (side != new)
		for (i = 0; i < new->n; i++)
			if (same_key(&new->lines[i], &side->lines[at]))
				return 1;
	for (i = 0; i < at; i++)
		if (same_key(&side->lines[i], &side->lines[at]))
			return 1;
	return 0;
}

/*
 * Key by key in the new text's order, then the keys only the old text has:
 * its old lines, then its new ones. Configuration files are a few lines, so
 * the quadratic walks cost nothing.
 */
static int put_diff(FILE *out, const struct diff_side *old, const struct diff_side *new)
{
	const struct diff_side *sides[] = { new, old };
	size_t s, i;
	int n = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; i < sides[s]->n; i++) {
			if (key_seen(new, sides[s], i))
				continue;
			n += put_changed(out, '-', old, &sides[s]->lines[i]);
			n += put_changed(out, '+', new, &sides[s]->lines[i]);
		}
	return n;
}

int config_diff(FILE *out, const char *old_text, size_t old_len, const char *new_text,
		size_t new_len)
{
	struct diff_side old, new;
	int rc = collect(old_text, old_len, &old);

	if (!rc)
		rc = collect(new_text, new_len, &new);
	else
		memset(&new, 0, sizeof(new));
	if (!rc) {
		mark_kept(&old, &new);
		rc = put_diff(out, &old, &new);
	}
	free(old.lines);
	free(new.lines);
	return rc;
}

const char *config_dir(void)
{
	const char *dir = getenv("VPNCAP_CONFIG_DIR");

	return dir && *dir ? dir : CONFIG_DIR_DEFAULT;
}

/* ---------------------------------------------------------------------- */
/* vpncap help config (and the man page vpncap.conf(5), made from it)     */
/* ---------------------------------------------------------------------- */

/* Shared by `vpncap help config` and vpncap.conf(5): one text, no drift. */
static const char config_help_head[] =
	"usage: vpncap capture --config FILE [options]\n"
	"\n"
	"The configuration file of a capture: " CONFIG_DIR_DEFAULT "/IFACE.conf for the\n"
	"persistent capture vpncap@IFACE.service (written by `vpncap capture\n"
	"--persistent`), or any FILE given to --config; options on the command line\n"
	"after --config override its keys. One \"key = value\" per line; blank lines\n"
	"and lines starting with '#' or ';' are ignored; a value runs to the end of its\n"
	"line (no inline comments, no continuation lines). A key is a long option of\n"
	"`vpncap capture` without its dashes; a flag takes yes or no. A key given\n"
	"twice, an unknown key or a bad value is refused with its line number.\n"
	"\n"
	"Keys:\n";

/* "  key = ARG" (or "= yes|no") and the option's own --help lines under it. */
static void config_usage_key(FILE *f, const struct capture_option *c)
{
	const char *line = c->help, *nl;

	fprintf(f, "  %s = %s\n", c->name, c->arg ? c->arg : "yes|no");
	for (;;) {
		nl = strchr(line, '\n');
		fprintf(f, "        %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
		if (!nl)
			break;
		line = nl + 1;
	}
}

void config_usage(FILE *f)
{
	const struct capture_option *opts;
	size_t i, n;

	fputs(config_help_head, f);
	opts = capture_options(&n);
	for (i = 0; i < n; i++)
		if (opts[i].flags & COPT_IN_FILE)
			config_usage_key(f, &opts[i]);
}
