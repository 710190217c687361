// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap show (see show.h): input_list names the files, input_file
 * iterates, frame_filter and the time bounds choose, decode names; this file
 * parses the options and prints. A bad file is reported after the frames
 * read before the damage, and the remaining files are still shown. A file
 * that ends inside its last block (torn: a capture killed or out of disk, a
 * copy of a file still being written) is no damage: its frames, then a
 * warning, exit status 0; `vpncap report` does the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/input_file.h"
#include "read/input_list.h"
#include "read/frame_filter.h"
#include "read/time_bound.h"
#include "log.h"
#include "optparse.h"
#include "read/decode.h"
#include "cmd/cmd.h"

static const char show_usage[] =
	"usage: vpncap show [options] FILE|DIR... [FILTER]\n"
	"\n"
	"Print one line per frame of capture files: pcap or pcapng from any tool\n"
	"(tcpdump, Wireshark, PktMon's etl2pcap) and vpncap's own files, gzip- and\n"
	"zstd-compressed members of a file set included. FILE '-' is standard input.\n"
	"A DIR is its capture files (vpncap-*.pcapng*, *.pcap, *.pcapng; not dot\n"
	"files nor *.part): a file set in sequence order, other names by name.\n"
	"Times are UTC.\n"
	"\n"
	"FILTER is a tcpdump expression (the grammar of capture filters), with the\n"
	"class words ike (UDP 500, or UDP 4500 behind the non-ESP marker), natt (UDP\n"
	"4500), esp (IP protocol 50, or ESP in UDP 4500) and sstp (TCP 443), alone or\n"
	"with and/or/not: `vpncap show ring/ ike and host 198.18.0.2`. The words that\n"
	"name an existing file or directory, '-', or look like one (a '/' in them, or\n"
	"ending in .pcap, .pcapng, .gz, .zst) are files; the first word that is none of\n"
	"these starts the filter, up to the end. Words after `--` are always the\n"
	"filter, and with -f every word is a file. As with tcpdump, VLAN-tagged\n"
	"frames match only after `vlan and`. Frames of a link type the expression\n"
	"cannot apply to (`ether host` on raw IP) are not shown, with one warning.\n"
	"\n"
	"Options:\n"
	"  -c N            stop after N frames shown (over all files, after the filter)\n"
	"  -f, --filter EXPR  the filter, as one argument\n"
	"  --since T       frames at or after T; --until T: frames before T. T is UTC:\n"
	"                  2026-12-06T14:03:07 or '2026-12-06 14:03:07' (seconds and a\n"
	"                  fraction optional, Z allowed), 2026-12-06 (midnight), or a\n"
	"                  time of day 14:03[:07] on the UTC day of the first frame\n"
	"  --date          the date (YYYY-MM-DD) before every time of day\n"
	"  --color         colours even when standard output is not a terminal\n"
	"  --no-color      no colours, even on a terminal (also NO_COLOR=1)\n"
	"  -h, --help      this text\n"
	"\n"
	"Dates: without --date, lines carry the date when the frames are not all on\n"
	"one UTC day. Nothing is read twice: show compares the first frame of the\n"
	"first and of the last file before it prints (not when the last is '-'); when\n"
	"they share a day but a later frame does not (one file across midnight),\n"
	"the lines carry the date from that frame on.\n"
	"\n"
	"Exit status: 0; 2 for bad usage (a bad filter: `vpncap: show: bad filter\n"
	"'EXPR': reason`) or a file that cannot be read, after the frames before the\n"
	"damage. A file that ends inside its last block (a capture killed or out of\n"
	"disk) is shown up to there with a warning, 0.\n";

struct show_opts {
	unsigned long count;    /* 0 = no limit */
	int colour, date;
	const char *filter_opt; /* -f */
	struct time_bound since, until;
	char **words;           /* the words, in order (argv's own array, reordered) */
	int n_words;
	int dashdash;           /* index of the first word after "--", or -1 */
};

enum { OPT_COUNT, OPT_COLOR, OPT_NO_COLOR, OPT_HELP, OPT_FILTER, OPT_SINCE, OPT_UNTIL, OPT_DATE };

static int default_colour(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no);
}

/*
 * -c N as `vpncap capture -c` takes it: 1 to 2^64 - 2. strtoull() gives
 * 2^64 - 1 for a number that overflows, so that value is refused too.
 */
static int parse_count(const char *s, unsigned long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || !v || v == (unsigned long long)-1 || v != (unsigned long)v)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

/* 0, or -1 after reporting a bad value. */
static int take_option(struct show_opts *o, int id, const char *value)
{
	if (id == OPT_COUNT && parse_count(value, &o->count)) {
		log_error("show: -c '%s': expected a positive number of frames", value);
		return -1;
	}
	if ((id == OPT_SINCE || id == OPT_UNTIL) &&
	    time_bound_parse(value, id == OPT_SINCE ? &o->since : &o->until)) {
		log_error("show: --%s '%s': expected a UTC time: 2026-12-06T14:03:07, "
			  "'2026-12-06 14:03:07', 2026-12-06 or 14:03[:07]",
			  id == OPT_SINCE ? "since" : "until", value);
		return -1;
	}
	if (id == OPT_FILTER)
		o->filter_opt = value;
	else if (id == OPT_DATE)
		o->date = 1;
	else if (id == OPT_COLOR || id == OPT_NO_COLOR)
		o->colour = id == OPT_COLOR;
	return 0;
}

/*
 * 0, 1 after -h, or -1 on a usage error (already reported). o->words
 * points into argv (o->words itself is argv's own array, reordered: words
 * first, as getopt permutes).
 */
static int parse_opts(int argc, char **argv, struct show_opts *o)
{
	static const struct optdef defs[] = {
		{ NULL, 'c', 1, OPT_COUNT, NULL }, { "color", 0, 0, OPT_COLOR, NULL },
		{ "colour", 0, 0, OPT_COLOR, NULL }, { "no-color", 0, 0, OPT_NO_COLOR, NULL },
		{ "no-colour", 0, 0, OPT_NO_COLOR, NULL }, { "help", 'h', 0, OPT_HELP, NULL },
		{ "filter", 'f', 1, OPT_FILTER, "EXPR" }, { "since", 0, 1, OPT_SINCE, "T" },
		{ "until", 0, 1, OPT_UNTIL, "T" }, { "date", 0, 0, OPT_DATE, NULL },
	};
	struct optparse p;
	const char *value;
	char err[256];
	int rc, id;

	memset(o, 0, sizeof(*o));
	o->colour = default_colour();
	o->words = argv;
	o->dashdash = -1;
	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE | OPTPARSE_CLUSTER);
	while ((rc = optparse_next(&p, defs, sizeof(defs) / sizeof(defs[0]), &id, &value, err,
				   sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR) {
			log_error("show: %s (see 'vpncap show -h')", err);
			return -1;
		}
		if (rc == OPTPARSE_WORD) {
			if (p.only_words && o->dashdash < 0)
				o->dashdash = o->n_words;
			o->words[o->n_words++] = (char *)value; /* never ahead of p */
		} else if (id == OPT_HELP) {
			return 1;
		} else if (take_option(o, id, value)) {
			return -1;
		}
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* A word that is a FILE, not the start of the filter (see the usage text). */
static int file_word(const char *w)
{
	static const char *const suffixes[] = { ".pcap", ".pcapng", ".gz", ".zst" };
	struct stat st;
	size_t i;

	if (!strcmp(w, "-") || strchr(w, '/') || !stat(w, &st))
		return 1;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends_with(w, suffixes[i]))
			return 1;
	return 0;
}

/* words[from..to) joined by spaces, or NULL when empty or out of memory (*oom set). */
static char *join_words(char *const *words, int from, int to, int *oom)
{
	size_t len = 1;
	char *s;
	int i;

	*oom = 0;
	if (from >= to)
		return NULL;
	for (i = from; i < to; i++)
		len += strlen(words[i]) + 1;
	s = calloc(1, len);
	if (!s) {
		*oom = 1;
		return NULL;
	}
	for (i = from; i < to; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

/*
 * Splits the words into files (*n_files first words) and the filter
 * (*filter: malloc'd, or NULL for none). 0, or -1 after reporting.
 */
static int split_words(const struct show_opts *o, int *n_files, char **filter)
{
	int end = o->dashdash >= 0 ? o->dashdash : o->n_words, k = 0, oom;

	if (!o->filter_opt)
		while (k < end && file_word(o->words[k]))
			k++;
	else
		k = end;
	if (o->filter_opt && o->dashdash >= 0 && o->dashdash < o->n_words) {
		log_error("show: a filter both in -f and after '--' (see 'vpncap show -h')");
		return -1;
	}
	*n_files = k;
	*filter = o->filter_opt ? strdup(o->filter_opt) : join_words(o->words, k, o->n_words, &oom);
	if ((o->filter_opt && !*filter) || (!o->filter_opt && oom)) {
		log_error("show: out of memory");
		return -1;
	}
	if (!k) {
		free(*filter);
		if (k < end)    /* a file name mistyped reads as a filter */
			log_error("show: no file given ('%s' is no file or directory, so it starts "
				  "the filter; see 'vpncap show -h')", o->words[0]);
		else
			log_error("show: no file given (see 'vpncap show -h')");
		return -1;
	}
	return 0;
}

/* What the frames of a run share: the filter, the time bounds, the dates. */
struct show_run {
	const struct show_opts *o;
	struct frame_filter *filter;   /* NULL: every frame */
	unsigned long shown;
	int have_first;
	uint64_t first_day;            /* UTC day of the first frame read */
	int64_t since_ns, until_ns;
	int dates;                     /* lines carry the date */
	int peeked;                    /* last_day is the last file's first frame's day */
	uint64_t last_day;
};

#define DAY_NS 86400000000000ull

/* The first frame's time of path, without printing anything; -1 when none. */
static int peek_first_ns(const char *path, uint64_t *ns)
{
	struct input_file_frame fr;
	struct input_file *f;
	char err[512];
	int rc;

	f = input_file_open(path, err, sizeof(err));
	if (!f)
		return -1;
	rc = input_file_next(f, &fr, err, sizeof(err));
	if (rc == 1)
		*ns = fr.ts_ns;
	input_file_close(f);
	return rc == 1 ? 0 : -1;
}

/* The first frame read fixes the day of time-of-day bounds and of the dates. */
static void first_frame(struct show_run *r, uint64_t ts_ns)
{
	r->have_first = 1;
	r->first_day = ts_ns / DAY_NS;
	r->since_ns = r->o->since.set ? time_bound_ns(&r->o->since, ts_ns) : INT64_MIN;
	r->until_ns = r->o->until.set ? time_bound_ns(&r->o->until, ts_ns) : INT64_MAX;
	if (r->peeked && r->last_day != r->first_day)
		r->dates = 1;
}

/* 1 when the frame is to be shown. */
static int chosen(struct show_run *r, const char *path, const struct input_file_frame *fr)
{
	char err[512];
	int rc;

	if ((int64_t)fr->ts_ns < r->since_ns || (int64_t)fr->ts_ns >= r->until_ns)
		return 0;
	if (!r->filter)
		return 1;
	rc = frame_filter_match(r->filter, fr->linktype, fr->data, fr->caplen, fr->origlen, err,
				sizeof(err));
	if (rc < 0)
		log_error("show: %s: link type %u: the filter cannot apply (%s): its frames are not shown",
			  path, fr->linktype, err);
	return rc > 0;
}

static void print_frame(const struct input_file_frame *fr, int colour, int date)
{
	struct decode_line l = {
		.ts_ns = fr->ts_ns, .iface = fr->iface, .queue = fr->queue, .dir = fr->dir,
		.caplen = fr->caplen, .origlen = fr->origlen, .colour = colour, .date = date,
	};
	struct decoded d;
	char line[1024];

	decode_packet(fr->linktype, fr->data, fr->caplen, &d);
	decode_format_line(&l, &d, line, sizeof(line));
	puts(line);
}

static void take_frame(struct show_run *r, const char *path, const struct input_file_frame *fr)
{
	if (!r->have_first)
		first_frame(r, fr->ts_ns);
	if (fr->ts_ns / DAY_NS != r->first_day)
		r->dates = 1;   /* from here on: the run crosses midnight */
	if (!chosen(r, path, fr))
		return;
	print_frame(fr, r->o->colour, r->o->date || r->dates);
	r->shown++;
}

/* Prints one file's frames; 0 (torn: after the warning), or -1 after reporting the file's error. */
static int show_file(struct show_run *r, const char *path)
{
	struct input_file_frame fr;
	struct input_file *f;
	char err[512];
	int rc = 0;

	f = input_file_open(path, err, sizeof(err));
	if (!f) {
		err_one_line(err, sizeof(err));
		log_error("%s", err);
		return -1;
	}
	while ((!r->o->count || r->shown < r->o->count) &&
	       (rc = input_file_next(f, &fr, err, sizeof(err))) == 1)
		take_frame(r, path, &fr);
	if (rc < 0) {
		fflush(stdout);         /* the frames before the damage come first */
		err_one_line(err, sizeof(err));
		log_error("%s", err);
	}
	rc = rc < 0 && !input_file_torn(f) ? -1 : 0;
	input_file_close(f);
	return rc;
}

/* The last file's first day, when it is worth a look (see "Dates" in the usage). */
static void peek_last(struct show_run *r, const struct input_list *files)
{
	const char *last = files->v[files->n - 1].path;
	uint64_t ns;

	if (r->o->date || files->n < 2 || !strcmp(last, "-") || peek_first_ns(last, &ns))
		return;
	r->peeked = 1;
	r->last_day = ns / DAY_NS;
}

static int show_files(const struct show_opts *o, struct frame_filter *filter,
		      const struct input_list *files)
{
	struct show_run r = { .o = o, .filter = filter };
	int status = EXIT_OK;
	size_t i;

	peek_last(&r, files);
	for (i = 0; i < files->n && (!o->count || r.shown < o->count); i++)
		if (show_file(&r, files->v[i].path))
			status = EXIT_USAGE;
	if (fflush(stdout) || ferror(stdout)) {
		log_error("standard output: write error");
		return EXIT_RUNTIME;
	}
	return status;
}

/* The filter compiled, or *bad set after reporting it. */
static struct frame_filter *make_filter(const char *text, int *bad)
{
	struct frame_filter *f;
	char err[512];

	*bad = 0;
	if (!text)
		return NULL;
	f = frame_filter_new(text, err, sizeof(err));
	if (!f) {
		err_one_line(err, sizeof(err));
		log_error("show: bad filter '%s': %s", text, err);
		*bad = 1;
	}
	return f;
}

/*
 * The files of every argument; a missing one or an empty directory is
 * reported and the others still shown (status 2 then), as a file that
 * cannot be read is.
 */
static int list_files(const struct show_opts *o, int n_files, struct input_list *files)
{
	char err[512];
	int i, status = EXIT_OK;

	for (i = 0; i < n_files; i++) {
		if (input_list_add_arg(files, o->words[i], i, err, sizeof(err))) {
			err_one_line(err, sizeof(err));
			log_error("%s", err);
			status = EXIT_USAGE;
		}
	}
	return status;
}

int cmd_show(int argc, char **argv)
{
	struct input_list files = { 0 };
	struct frame_filter *filter;
	struct show_opts o;
	char *filter_text = NULL;
	int n_files, bad, status, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc > 0 ? (fputs(show_usage, stdout), EXIT_OK) : EXIT_USAGE;
	if (split_words(&o, &n_files, &filter_text))
		return EXIT_USAGE;
	filter = make_filter(filter_text, &bad);
	free(filter_text);
	if (bad)
		return EXIT_USAGE;
	status = list_files(&o, n_files, &files);
	if (files.n) {
		rc = show_files(&o, filter, &files);
		status = rc == EXIT_OK ? status : rc;
	}
	input_list_free(&files);
	frame_filter_free(filter);
	return status;
}
