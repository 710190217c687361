// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* CPU_SETSIZE, open_memstream */
#include "capture/options.h"
#include "capture/rules.h"
#include "log.h"
#include "optparse.h"
#include "units.h"
#include "vpncap/abi.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

/* ---- values ---------------------------------------------------------------- */

/* Whole decimal number in [min, max]; no sign, no trailing junk. */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Seconds, whole or with up to millisecond fraction: "10", "0.5". */
static int parse_seconds(const char *s, uint64_t *ms)
{
	uint64_t whole, frac = 0, scale = 100;
	const char *dot = strchr(s, '.');
	char buf[32];

	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	if (dot) {
		const char *p;

		buf[dot - s] = '\0';
		if (!dot[1] || strlen(dot + 1) > 3)
			return -1;
		for (p = dot + 1; *p; p++, scale /= 10) {
			if (*p < '0' || *p > '9')
				return -1;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (parse_uint(buf, 0, 31536000, &whole)) /* at most a year */
		return -1;
	*ms = whole * 1000 + frac;
	return *ms && *ms <= 31536000ull * 1000 ? 0 : -1;
}

void capture_opts_defaults(struct capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->snaplen = CAPTURE_DEFAULT_SNAPLEN;
	o->unmatched = VPNCAP_UNMATCHED_PASS;
	o->sync_interval_ms = CAPTURE_DEFAULT_SYNC_MS;
	o->queue_size = CAPTURE_DEFAULT_QUEUE_SIZE;
	o->ring_size = CAPTURE_DEFAULT_RING_SIZE;
	o->fragment_timeout_ms = CAPTURE_DEFAULT_FRAG_TIMEOUT_MS;
	o->fragment_window_ms = CAPTURE_DEFAULT_FRAG_WINDOW_MS;
}

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

static int size_option(const char *opt, const char *arg, uint64_t min, uint64_t max,
		       const char *range, uint64_t *out, char *err, size_t errlen)
{
	if (parse_size(arg, out) || *out < min || *out > max) {
		err_set(err, errlen, "%s: '%s' is not a size from %s (k, M, G, T suffixes)", opt,
			arg, range);
		return -1;
	}
	return 0;
}

static int duration_option(const char *opt, const char *arg, uint64_t min_ms, uint64_t max_ms,
			   const char *range, uint64_t *out, char *err, size_t errlen)
{
	if (parse_duration(arg, out) || *out < min_ms || *out > max_ms) {
		err_set(err, errlen, "%s: '%s' is not a duration from %s (ms, s, m, h, d)", opt,
			arg, range);
		return -1;
	}
	return 0;
}

int capture_opts_any(const struct capture_opts *o)
{
	return o->n_ifaces == 1 && !strcmp(o->ifaces[0], CAPTURE_ANY_IFACE);
}

/* opt: how the user spelled it ("-i", "--comp"), for the messages. */
static int add_iface_as(struct capture_opts *o, const char *opt, const char *name, char *err,
			size_t errlen)
{
	unsigned int i;

	if (o->n_ifaces && (capture_opts_any(o) || !strcmp(name, CAPTURE_ANY_IFACE))) {
		err_set(err, errlen, "%s: '%s' with '%s': any captures every interface; give it alone",
			opt, o->ifaces[0], name);
		return -1;
	}
	if (!*name || strlen(name) >= 16 || strpbrk(name, "/ \t\n")) {
		err_set(err, errlen, "%s: '%s' is not a valid interface name", opt, name);
		return -1;
	}
	for (i = 0; i < o->n_ifaces; i++) {
		if (!strcmp(o->ifaces[i], name)) {
			err_set(err, errlen, "%s: interface '%s' given twice", opt, name);
			return -1;
		}
	}
	if (o->n_ifaces >= CAPTURE_MAX_IFACES) {
		err_set(err, errlen, "%s: at most %d interfaces", opt, CAPTURE_MAX_IFACES);
		return -1;
	}
	o->ifaces[o->n_ifaces++] = name;
	return 0;
}

static int add_iface(struct capture_opts *o, const char *name, char *err, size_t errlen)
{
	return add_iface_as(o, "-i", name, err, errlen);
}

static int add_queue(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	uint64_t q;
	unsigned int i;

	if (parse_uint(arg, 0, VPNCAP_MAX_QUEUES - 1, &q)) {
		err_set(err, errlen, "-q: '%s' is not a queue number (0..%d)", arg,
			VPNCAP_MAX_QUEUES - 1);
		return -1;
	}
	for (i = 0; i < o->n_queues; i++)
		if (o->queues[i] == q)
			return 0; /* -q 0 -q 0 means queue 0 */
	if (o->n_queues >= CAPTURE_MAX_QUEUES) {
		err_set(err, errlen, "-q: at most %d queues", CAPTURE_MAX_QUEUES);
		return -1;
	}
	o->queues[o->n_queues++] = (uint32_t)q;
	return 0;
}

/* One CPU number of --cpus, digits only, below CPU_SETSIZE. */
static int parse_cpu(const char *s, size_t n, uint32_t *out)
{
	char buf[16];
	uint64_t v;

	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_uint(buf, 0, CPU_SETSIZE - 1, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int add_cpu(uint32_t *cpus, unsigned int *n, uint32_t cpu, const char *arg,
		   char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < *n; i++) {
		if (cpus[i] == cpu) {
			err_set(err, errlen, "--cpus: '%s' lists CPU %u twice", arg, cpu);
			return -1;
		}
	}
	if (*n >= CAPTURE_MAX_QUEUES) {
		err_set(err, errlen, "--cpus: '%s' lists more than %d CPUs", arg,
			CAPTURE_MAX_QUEUES);
		return -1;
	}
	cpus[(*n)++] = cpu;
	return 0;
}

/* One item of --cpus: "N" or "N-M" with N <= M. */
static int parse_cpu_item(const char *item, size_t len, const char *arg, uint32_t *cpus,
			  unsigned int *n, char *err, size_t errlen)
{
	const char *dash = memchr(item, '-', len);
	uint32_t lo, hi, cpu;

	if (!len) {
		err_set(err, errlen, "--cpus: '%s' has an empty item", arg);
		return -1;
	}
	if (dash ? parse_cpu(item, (size_t)(dash - item), &lo) ||
			   parse_cpu(dash + 1, len - (size_t)(dash - item) - 1, &hi) :
		   parse_cpu(item, len, &lo)) {
		err_set(err, errlen, "--cpus: '%s' is not a CPU list like 0-3,6 (CPUs 0..%d)",
			arg, CPU_SETSIZE - 1);
		return -1;
	}
	if (!dash)
		hi = lo;
	if (lo > hi) {
		err_set(err, errlen, "--cpus: '%s' has a reversed range %u-%u", arg, lo, hi);
		return -1;
	}
	for (cpu = lo; cpu <= hi; cpu++)
		if (add_cpu(cpus, n, cpu, arg, err, errlen))
			return -1;
	return 0;
}

/* "0-3,6": o keeps its old list unless the whole argument is valid. */
static int parse_cpu_list(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	uint32_t cpus[CAPTURE_MAX_QUEUES];
	unsigned int n = 0;
	const char *item = arg, *comma;

	for (;;) {
		comma = strchr(item, ',');
		if (parse_cpu_item(item, comma ? (size_t)(comma - item) : strlen(item), arg, cpus,
				   &n, err, errlen))
			return -1;
		if (!comma)
			break;
		item = comma + 1;
	}
	memcpy(o->cpus, cpus, n * sizeof(cpus[0]));
	o->n_cpus = n;
	return 0;
}

static int ring_option(const char *opt, const char *arg, uint32_t *out, char *err,
		       size_t errlen)
{
	uint64_t v;

	if (parse_uint(arg, CAPTURE_MIN_RING, CAPTURE_MAX_RING, &v) || (v & (v - 1))) {
		err_set(err, errlen, "%s: '%s' is not a power of two from %u to %u", opt, arg,
			CAPTURE_MIN_RING, CAPTURE_MAX_RING);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}


/* ---- the options that need code of their own --------------------------------- */

static int parse_write(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg) {
		err_set(err, errlen, "-w: empty file name");
		return -1;
	}
	o->output = arg;
	return 0;
}

static int parse_duration_s(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	if (parse_seconds(arg, &o->duration_ms)) {
		err_set(err, errlen, "--duration: '%s' is not a positive number of seconds", arg);
		return -1;
	}
	return 0;
}

/* 0 is the whole frame, as tcpdump's -s 0 and PktMon's --pkt-size 0. */
static int parse_snaplen(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	/* Digits only: no sign, no space (strtoull takes both). */
	if (errno || end == arg || *end || arg[strspn(arg, "0123456789")] ||
	    (v && (v < CAPTURE_MIN_SNAPLEN || v > CAPTURE_DEFAULT_SNAPLEN))) {
		err_set(err, errlen, "--snaplen: '%s' is not a number from %d to %d (or 0: the whole frame)",
			arg, CAPTURE_MIN_SNAPLEN, CAPTURE_DEFAULT_SNAPLEN);
		return -1;
	}
	o->snaplen = v ? (uint32_t)v : CAPTURE_DEFAULT_SNAPLEN;
	return 0;
}

static int put_snaplen(FILE *f, const char *path, const struct capture_opts *o, char *err,
		       size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->snaplen != CAPTURE_DEFAULT_SNAPLEN)
		fprintf(f, "snaplen = %u\n", o->snaplen);
	return 0;
}

static int parse_copy_mode(struct capture_opts *o, enum copy_choice mode, char *err,
			   size_t errlen)
{
	if (o->copy != COPY_CHOICE_AUTO) {
		err_set(err, errlen, "--copy and --zero-copy exclude each other");
		return -1;
	}
	o->copy = mode;
	return 0;
}

static int parse_copy(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	(void)arg;
	return parse_copy_mode(o, COPY_CHOICE_COPY, err, errlen);
}

static int parse_zero_copy(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	(void)arg;
	return parse_copy_mode(o, COPY_CHOICE_ZEROCOPY, err, errlen);
}

static int parse_cpus(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return parse_cpu_list(o, arg, err, errlen);
}

static int parse_umem_frames(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_uint(arg, CAPTURE_MIN_UMEM_FRAMES, CAPTURE_MAX_UMEM_FRAMES, &v)) {
		err_set(err, errlen, "--umem-frames: '%s' is not a number from %u to %u", arg,
			CAPTURE_MIN_UMEM_FRAMES, CAPTURE_MAX_UMEM_FRAMES);
		return -1;
	}
	o->umem_frames = (uint32_t)v;
	return 0;
}

static int parse_rx_ring(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return ring_option("--rx-ring", arg, &o->rx_ring, err, errlen);
}

static int parse_fill_ring(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return ring_option("--fill-ring", arg, &o->fill_ring, err, errlen);
}

static int parse_ring_size(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	if (size_option("--ring-size", arg, 64 * KIB, GIB, "64k to 1G", &o->ring_size, err,
			errlen))
		return -1;
	if (o->ring_size & (o->ring_size - 1)) {
		err_set(err, errlen, "--ring-size: '%s' is not a power of two (64k, 128k, ... 1G)",
			arg);
		return -1;
	}
	return 0;
}

static int parse_rules(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	struct vpncap_ruleset set;
	char why[160];

	if (rules_parse_any(arg, &set, NULL, why, sizeof(why))) {
		err_set(err, errlen, "--rules: %s", why);
		return -1;
	}
	o->rules = arg;
	return 0;
}

static int parse_compress(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	if (compress_parse(arg, &o->compress)) {
		err_set(err, errlen, "--compress: '%s' is not one of gzip, zstd", arg);
		return -1;
	}
	return 0;
}

static int parse_interface(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return add_iface(o, arg, err, errlen);
}

/* PktMon's spelling: --comp nics (every NIC: -i any), --comp IDX, --comp NAME. */
static int parse_comp(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return add_iface_as(o, "--comp", strcmp(arg, "nics") ? arg : CAPTURE_ANY_IFACE, err,
			    errlen);
}

static int parse_queue(struct capture_opts *o, const char *arg, char *err, size_t errlen)
{
	return add_queue(o, arg, err, errlen);
}

/* ---- write-back of those ----------------------------------------------------- */

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

/* Largest exact unit, as parse_size or parse_duration reads it back. */
static void put_scaled(FILE *f, const char *key, uint64_t v, int duration)
{
	static const struct {
		uint64_t mult;
		const char *suffix;
	} sizes[] = { { TIB, "T" }, { GIB, "G" }, { MIB, "M" }, { KIB, "k" } },
	  times[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
	size_t i;

	for (i = 0; i < 4; i++) {
		uint64_t mult = duration ? times[i].mult : sizes[i].mult;

		if (v && v % mult == 0) {
			fprintf(f, "%s = %" PRIu64 "%s\n", key, v / mult,
				duration ? times[i].suffix : sizes[i].suffix);
			return;
		}
	}
	fprintf(f, "%s = %" PRIu64 "%s\n", key, v, duration ? "ms" : "");
}

static int put_duration_s(FILE *f, const char *path, const struct capture_opts *o, char *err,
			  size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->duration_ms % 1000)
		fprintf(f, "duration = %" PRIu64 ".%03" PRIu64 "\n", o->duration_ms / 1000,
			o->duration_ms % 1000);
	else if (o->duration_ms)
		fprintf(f, "duration = %" PRIu64 "\n", o->duration_ms / 1000);
	return 0;
}

static int put_write(FILE *f, const char *path, const struct capture_opts *o, char *err,
		     size_t errlen)
{
	return o->output ? put_string(f, path, "write", o->output, err, errlen) : 0;
}

static int put_queues(FILE *f, const char *path, const struct capture_opts *o, char *err,
		      size_t errlen)
{
	unsigned int i;

	(void)path;
	(void)err;
	(void)errlen;
	for (i = 0; i < o->n_queues && i < CAPTURE_MAX_QUEUES; i++)
		fprintf(f, "queue = %" PRIu32 "\n", o->queues[i]);
	return 0;
}

static int put_copy(FILE *f, const char *path, const struct capture_opts *o, char *err,
		    size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->copy == COPY_CHOICE_COPY)
		fprintf(f, "copy = yes\n");
	return 0;
}

static int put_zero_copy(FILE *f, const char *path, const struct capture_opts *o, char *err,
			 size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->copy == COPY_CHOICE_ZEROCOPY)
		fprintf(f, "zero-copy = yes\n");
	return 0;
}

/* "0-3,6": runs of consecutive CPUs as ranges, as --cpus reads them back. */
static int put_cpus(FILE *f, const char *path, const struct capture_opts *o, char *err,
		    size_t errlen)
{
	unsigned int i = 0, j;

	(void)path;
	(void)err;
	(void)errlen;
	if (!o->n_cpus)
		return 0;
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
	return 0;
}

static int put_ring(FILE *f, const char *key, uint32_t v)
{
	if (v)
		fprintf(f, "%s = %" PRIu32 "\n", key, v);
	return 0;
}

static int put_umem_frames(FILE *f, const char *path, const struct capture_opts *o, char *err,
			   size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	return put_ring(f, "umem-frames", o->umem_frames);
}

static int put_rx_ring(FILE *f, const char *path, const struct capture_opts *o, char *err,
		       size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	return put_ring(f, "rx-ring", o->rx_ring);
}

static int put_fill_ring(FILE *f, const char *path, const struct capture_opts *o, char *err,
			 size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	return put_ring(f, "fill-ring", o->fill_ring);
}

static int put_ring_size(FILE *f, const char *path, const struct capture_opts *o, char *err,
			 size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->ring_size != CAPTURE_DEFAULT_RING_SIZE)
		put_scaled(f, "ring-size", o->ring_size, 0);
	return 0;
}

static int put_rules(FILE *f, const char *path, const struct capture_opts *o, char *err,
		     size_t errlen)
{
	return o->rules ? put_string(f, path, "rules", o->rules, err, errlen) : 0;
}

static int put_compress(FILE *f, const char *path, const struct capture_opts *o, char *err,
			size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	if (o->compress == COMPRESS_GZIP)
		fprintf(f, "compress = gzip\n");
	else if (o->compress == COMPRESS_ZSTD)
		fprintf(f, "compress = zstd\n");
	return 0;
}

/* ---- the restart check of those --------------------------------------------- */

static int ifaces_differ(const struct capture_opts *a, const struct capture_opts *b)
{
	unsigned int i;

	if (a->n_ifaces != b->n_ifaces)
		return 1;
	for (i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]))
			return 1;
	return 0;
}

static int queues_differ(const struct capture_opts *a, const struct capture_opts *b)
{
	return a->n_queues != b->n_queues ||
	       memcmp(a->queues, b->queues, a->n_queues * sizeof(a->queues[0]));
}

static int cpus_differ(const struct capture_opts *a, const struct capture_opts *b)
{
	return a->n_cpus != b->n_cpus || memcmp(a->cpus, b->cpus, a->n_cpus * sizeof(a->cpus[0]));
}

/* ---- the table -------------------------------------------------------------- */

#define FIELD(f) offsetof(struct capture_opts, f), sizeof(((struct capture_opts *)0)->f)
#define FILE_KEY COPT_IN_FILE
#define RELOAD (COPT_IN_FILE | COPT_RELOAD)

static const char *const mode_words[] = { "auto", "bypass", "inline", NULL };
static const char *const unmatched_words[] = { "pass", "drop", NULL };
static const char *const xdp_mode_words[] = { "auto", "native", "skb", NULL };
static const char *const timestamp_words[] = { "auto", "hardware", "software", NULL };
static const char *const output_io_words[] = { "auto", "direct", "buffered", NULL };

/*
 * The options of `vpncap capture`, in --help's order. flags: FILE_KEY, a
 * configuration key written back by --persistent; RELOAD, also one a reload
 * applies; 0, the command line only. COPT_ONE_SHOT: --persistent refuses it.
 */
static const struct capture_option options[] = {
	{ "interface", 'i', COPT_CUSTOM, "IFACE",
	  "interface to capture on (repeatable): a name, the\n"
	  "IDX of vpncap list (a number no interface is\n"
	  "named), or any: every interface that is up, has\n"
	  "Ethernet framing and is not loopback or stacked\n"
	  "(VLAN, bridge, bond), also those that appear later",
	  FIELD(ifaces), .parse = parse_interface, .differs = ifaces_differ,
	  .flags = FILE_KEY, .group = COPT_GROUP_IFACE },
	{ "comp", 0, COPT_CUSTOM, "nics|IDX|NAME",
	  "PktMon's spelling of -i: nics is -i any", FIELD(ifaces), .parse = parse_comp,
	  .differs = ifaces_differ, .flags = 0, .group = COPT_GROUP_IFACE },
	{ "write", 'w', COPT_CUSTOM, "FILE|DIR",
	  "PCAPNG file, or directory of a rotating file set\n"
	  "(an existing directory, or a path ending in '/')",
	  FIELD(output), .parse = parse_write, .put = put_write, .flags = FILE_KEY },
	{ "snaplen", 's', COPT_CUSTOM, "N",
	  "bytes kept per frame (default and 0: the whole\nframe, up to 262144)", FIELD(snaplen),
	  .parse = parse_snaplen, .put = put_snaplen, .flags = FILE_KEY },
	{ "duration", 0, COPT_CUSTOM, "SECS", "stop after SECS seconds", FIELD(duration_ms),
	  .parse = parse_duration_s, .put = put_duration_s, .flags = RELOAD | COPT_ONE_SHOT },
	{ "count", 'c', COPT_UINT, "N", "stop after N frames written", FIELD(count), 1,
	  UINT64_MAX - 1, .flags = RELOAD | COPT_ONE_SHOT },
	{ "mode", 0, COPT_CHOICE, "auto|inline|bypass",
	  "inline copies matched frames and leaves them\n"
	  "to the host, both directions (for the gateway\n"
	  "itself); bypass takes received frames away from\n"
	  "the host (a capture port); auto (default): bypass\n"
	  "when nothing on the host uses the interface (no\n"
	  "address, master, upper device or route), else\n"
	  "inline, re-checked every second",
	  FIELD(mode), .words = mode_words, .flags = FILE_KEY },
	{ "force-bypass", 0, COPT_FLAG, NULL,
	  "--mode bypass even on an interface the host uses\n"
	  "(its matched frames never reach the host)",
	  FIELD(force_bypass), .flags = FILE_KEY },
	{ "unmatched", 0, COPT_CHOICE, "pass|drop", "what happens to frames that match no rule",
	  FIELD(unmatched), .words = unmatched_words, .flags = RELOAD },
	{ "xdp-mode", 0, COPT_CHOICE, "auto|native|skb", "XDP attach mode (auto: native, then skb)",
	  FIELD(xdp_mode), .words = xdp_mode_words, .flags = FILE_KEY },
	{ "queue", 'q', COPT_CUSTOM, "N", "capture RX queue N only (repeatable; default all)",
	  FIELD(queues), .parse = parse_queue, .put = put_queues, .differs = queues_differ,
	  .flags = FILE_KEY, .group = COPT_GROUP_QUEUE },
	{ "copy", 0, COPT_CUSTOM, NULL, "force AF_XDP copy mode", FIELD(copy),
	  .parse = parse_copy, .put = put_copy, .flags = FILE_KEY, .group = COPT_GROUP_COPY },
	{ "zero-copy", 0, COPT_CUSTOM, NULL, "force AF_XDP zero-copy mode", FIELD(copy),
	  .parse = parse_zero_copy, .put = put_zero_copy, .flags = FILE_KEY,
	  .group = COPT_GROUP_COPY },
	{ "queue-size", 0, COPT_SIZE, "SIZE", "memory between capture and writer (default 32M)",
	  FIELD(queue_size), MIB, 16 * GIB, "1M to 16G", .flags = FILE_KEY },
	{ "cpus", 0, COPT_CUSTOM, "LIST",
	  "CPUs for the per-queue capture threads, in order\n"
	  "(thread i on the i-th CPU, wrapping around), e.g.\n"
	  "0-3,6 (default: not pinned)",
	  FIELD(cpus), .parse = parse_cpus, .put = put_cpus, .differs = cpus_differ,
	  .flags = FILE_KEY },
	{ "busy-poll", 0, COPT_FLAG, NULL,
	  "poll the driver from the capture threads instead of\n"
	  "sleeping (lowest latency, one busy CPU per thread)",
	  FIELD(busy_poll), .flags = FILE_KEY },
	{ "umem-frames", 0, COPT_CUSTOM, "N",
	  "AF_XDP buffers of 4 KiB per queue (default: fill\n"
	  "ring + 2 x rx ring: room for frames the writer has\n"
	  "not written yet); hugepages are used when reserved",
	  FIELD(umem_frames), .parse = parse_umem_frames, .put = put_umem_frames,
	  .flags = FILE_KEY },
	{ "rx-ring", 0, COPT_CUSTOM, "N",
	  "AF_XDP RX ring size, a power of two from 64 to\n65536 (default 4096)",
	  FIELD(rx_ring), .parse = parse_rx_ring, .put = put_rx_ring, .flags = FILE_KEY },
	{ "fill-ring", 0, COPT_CUSTOM, "N",
	  "AF_XDP fill ring size, same range (default: rx ring\n"
	  "+ the NIC's RX ring, rounded up to a power of two)",
	  FIELD(fill_ring), .parse = parse_fill_ring, .put = put_fill_ring, .flags = FILE_KEY },
	{ "timestamps", 0, COPT_CHOICE, "auto|hardware|software",
	  "auto (default): the NIC's\n"
	  "hardware timestamp where the driver offers one,\n"
	  "else the software one taken at the XDP hook",
	  FIELD(timestamps), .words = timestamp_words, .flags = FILE_KEY },
	{ "ring-size", 0, COPT_CUSTOM, "SIZE",
	  "inline: kernel ring buffer per interface, a power\nof two (default 8M)",
	  FIELD(ring_size), .parse = parse_ring_size, .put = put_ring_size, .flags = FILE_KEY },
	{ "allow-shared-dir", 0, COPT_FLAG, NULL,
	  "accept a -w DIR or --metrics-file directory that\n"
	  "another user may write in (refused otherwise)",
	  FIELD(allow_shared_dir), .flags = FILE_KEY },
	{ "output-io", 0, COPT_CHOICE, "auto|direct|buffered",
	  "how files are written: auto (default): O_DIRECT\n"
	  "on ext4, xfs and btrfs (no page cache stalls),\n"
	  "else through the page cache (tmpfs, NFS, ...);\n"
	  "direct refuses other file systems",
	  FIELD(output_io), .words = output_io_words, .flags = FILE_KEY },
	{ "metrics-file", 0, COPT_STRING, "PATH",
	  "counters in Prometheus text format, replaced every\n"
	  "second (node_exporter's textfile collector)",
	  FIELD(metrics_file), .range = "file name", .flags = RELOAD },
	{ "rules", 0, COPT_CUSTOM, "LIST",
	  "what to capture (default: the named filters,\n"
	  "else udp:500,udp:4500,tcp:443): a list of\n"
	  "PROTO[:PORT[-PORT]] (udp, tcp, esp, icmp, icmpv6,\n"
	  "1-255), ike, keepalive, class:CLASS, arp, ipv4,\n"
	  "ipv6, ethertype:TYPE, all; or a tcpdump expression",
	  FIELD(rules), .parse = parse_rules, .put = put_rules, .flags = RELOAD },
	{ "fragment-timeout", 0, COPT_DURATION, "DURATION",
	  "follow a matched datagram's fragments this\nlong (default 30s)",
	  FIELD(fragment_timeout_ms), 100, 600000, "100ms to 10m", .flags = RELOAD },
	{ "fragment-window", 0, COPT_DURATION, "DURATION",
	  "capture fragments that come before their\n"
	  "first one between hosts with matched traffic this\n"
	  "recent (default 10s)",
	  FIELD(fragment_window_ms), 0, 3600000, "0 to 1h", .flags = RELOAD },
	{ "config", 0, COPT_STRING, "FILE",
	  "read options from FILE (key = value, keys are the\n"
	  "long options); options given here override it",
	  FIELD(config), .range = "file name" },
	{ "check", 0, COPT_FLAG, NULL,
	  "check the options, the configuration file,\n"
	  "filters.conf, the interfaces, the output directory\n"
	  "and the kernel, print what a capture would do, and\n"
	  "exit without capturing or changing anything: 0 when\n"
	  "it would start, 2 and the reason when not. -i and -w\n"
	  "may be left out (vpncap@IFACE gives them)",
	  FIELD(check), .flags = 0 },
	{ "realtime", 0, COPT_FLAG, NULL,
	  "one decoded line per frame on stdout (IKEv2, ESP,\n"
	  "TLS); -w is then optional. The view never slows\n"
	  "capture: when the console lags it skips lines and\n"
	  "says how many",
	  FIELD(realtime), .flags = COPT_ONE_SHOT },
	{ "persistent", 0, COPT_FLAG, NULL,
	  "write /etc/vpncap/IFACE.conf and start vpncap@IFACE\n(from early boot, across reboots)",
	  FIELD(persistent), .flags = 0 },
	{ "rotate-size", 0, COPT_SIZE, "SIZE", "start a new file before this size is reached",
	  FIELD(rotate_size), 64 * KIB, TIB, "64k to 1T", .flags = RELOAD, .file_set = 1 },
	{ "rotate-time", 0, COPT_DURATION, "DURATION", "new file at each multiple of DURATION (UTC)",
	  FIELD(rotate_time_ms), 1000, 7 * 86400000ull, "1s to 7d", .flags = RELOAD,
	  .file_set = 1 },
	{ "max-files", 0, COPT_UINT, "N", "keep at most N files (a ring)", FIELD(max_files), 1,
	  1000000, .flags = RELOAD, .file_set = 1 },
	{ "max-bytes", 0, COPT_SIZE, "SIZE", "keep the set within SIZE, oldest files deleted first",
	  FIELD(max_bytes), 64 * KIB, 1024 * TIB, "64k to 1024T", .flags = RELOAD, .file_set = 1 },
	{ "min-free", 0, COPT_SIZE, "SIZE", "keep SIZE free on the disk", FIELD(min_free), 1,
	  1024 * TIB, "1 to 1024T", .flags = RELOAD, .file_set = 1 },
	{ "sync-interval", 0, COPT_DURATION, "DURATION", "fsync at least this often (default 1s)",
	  FIELD(sync_interval_ms), 10, 3600000, "10ms to 1h", .flags = RELOAD, .file_set = 1 },
	{ "on-rotate", 0, COPT_STRING, "CMD", "run CMD with each completed file as last argument",
	  FIELD(on_rotate), .range = "command", .flags = RELOAD, .file_set = 1 },
	{ "compress", 0, COPT_CUSTOM, "gzip|zstd", "compress completed files", FIELD(compress),
	  .parse = parse_compress, .put = put_compress, .flags = RELOAD, .file_set = 1 },
	{ "verbose", 'v', COPT_FLAG, NULL, "show library diagnostics", FIELD(verbose),
	  .flags = RELOAD },
	{ "help", 'h', COPT_FLAG, NULL, "this text", FIELD(help), .flags = 0 },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))
_Static_assert(N_OPTIONS <= CAPTURE_MAX_OPTIONS, "raise CAPTURE_MAX_OPTIONS");

const struct capture_option *capture_options(size_t *n)
{
	*n = N_OPTIONS;
	return options;
}

const struct capture_option *capture_option_by_name(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == n && !strncmp(options[i].name, name, n))
			return &options[i];
	return NULL;
}

const struct capture_option *capture_option_by_short(char c)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if (options[i].shrt && options[i].shrt == c)
			return &options[i];
	return NULL;
}

/* ---- applying one option ----------------------------------------------------- */

static void *field(struct capture_opts *o, const struct capture_option *c)
{
	return (char *)o + c->off;
}

static const void *cfield(const struct capture_opts *o, const struct capture_option *c)
{
	return (const char *)o + c->off;
}

static uint64_t get_uint(const struct capture_opts *o, const struct capture_option *c)
{
	uint32_t v32;
	uint64_t v64;

	if (c->size == sizeof(v32)) {
		memcpy(&v32, cfield(o, c), sizeof(v32));
		return v32;
	}
	memcpy(&v64, cfield(o, c), sizeof(v64));
	return v64;
}

static void set_uint(struct capture_opts *o, const struct capture_option *c, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (c->size == sizeof(v32))
		memcpy(field(o, c), &v32, sizeof(v32));
	else
		memcpy(field(o, c), &v, sizeof(v));
}

static int apply_uint(struct capture_opts *o, const struct capture_option *c, const char *arg,
		      char *err, size_t errlen)
{
	uint64_t v;

	if (parse_uint(arg, c->min, c->max, &v)) {
		if (c->max >= UINT64_MAX - 1)
			err_set(err, errlen, "--%s: '%s' is not a positive number", c->name, arg);
		else
			err_set(err, errlen, "--%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
				c->name, arg, c->min, c->max);
		return -1;
	}
	set_uint(o, c, v);
	return 0;
}

static int apply_choice(struct capture_opts *o, const struct capture_option *c, const char *arg,
			char *err, size_t errlen)
{
	int i;

	for (i = 0; c->words[i]; i++) {
		if (!strcmp(arg, c->words[i])) {
			memcpy(field(o, c), &i, sizeof(i));
			return 0;
		}
	}
	err_set(err, errlen, "--%s: '%s' is not one of %s, %s%s%s", c->name, arg, c->words[0],
		c->words[1], c->words[2] ? ", " : "", c->words[2] ? c->words[2] : "");
	return -1;
}

static int apply_string(struct capture_opts *o, const struct capture_option *c,
			const char *arg, char *err, size_t errlen)
{
	if (!*arg && c->range) {
		err_set(err, errlen, "--%s: empty %s", c->name, c->range);
		return -1;
	}
	memcpy(field(o, c), &arg, sizeof(arg));
	return 0;
}

/* One option and its value (NULL for a flag). 0, or -1 with err. */
static int apply(struct capture_opts *o, const struct capture_option *c, const char *arg,
		 char *err, size_t errlen)
{
	static const int on = 1;
	char opt[40];

	snprintf(opt, sizeof(opt), "--%s", c->name);
	switch (c->kind) {
	case COPT_FLAG:
		memcpy(field(o, c), &on, sizeof(on));
		return 0;
	case COPT_UINT:
		return apply_uint(o, c, arg, err, errlen);
	case COPT_SIZE:
		return size_option(opt, arg, c->min, c->max, c->range, field(o, c), err, errlen);
	case COPT_DURATION:
		return duration_option(opt, arg, c->min, c->max, c->range, field(o, c), err,
				       errlen);
	case COPT_CHOICE:
		return apply_choice(o, c, arg, err, errlen);
	case COPT_STRING:
		return apply_string(o, c, arg, err, errlen);
	case COPT_CUSTOM:
		return c->parse(o, arg, err, errlen);
	}
	return -1;
}

/* ---- the command line ------------------------------------------------------- */

/*
 * Every UMEM frame must have a place: in the fill ring, the NIC, the rx ring
 * or being read. Fewer frames than the rings hold starve the NIC for no gain.
 */
int capture_opts_check_sizes(const struct capture_opts *o, char *err, size_t errlen)
{
	uint64_t rings = (uint64_t)o->fill_ring + o->rx_ring;

	if (!o->umem_frames || !o->fill_ring || !o->rx_ring || o->umem_frames >= rings)
		return 0;
	err_set(err, errlen,
		"--umem-frames: %u is fewer than the fill ring (%u) and the rx ring (%u) hold; give at least %llu or leave it out",
		o->umem_frames, o->fill_ring, o->rx_ring, (unsigned long long)rings);
	return -1;
}

static int check_complete(const struct capture_opts *o, char *err, size_t errlen)
{
	if (o->help)
		return 0;
	/* --check of a unit's file: vpncap@IFACE gives -i and the state directory. */
	if (!o->n_ifaces && !o->check) {
		err_set(err, errlen, "capture: no interface given (-i IFACE, -i IDX or -i any)");
		return -1;
	}
	if (!o->output && !o->persistent && !o->realtime && !o->check) {
		err_set(err, errlen, "capture: no output file given (-w FILE, or --realtime to only watch)");
		return -1;
	}
	if (o->check && o->persistent) {
		err_set(err, errlen, "--check changes nothing and --persistent writes and starts the boot capture: give one of them");
		return -1;
	}
	if (o->realtime && o->persistent) {
		err_set(err, errlen, "--realtime shows frames on this terminal; it cannot be --persistent");
		return -1;
	}
	if (o->mode == CAPTURE_MODE_INLINE && o->unmatched == VPNCAP_UNMATCHED_DROP) {
		err_set(err, errlen, "--unmatched drop needs --mode bypass: inline capture never takes frames from the host");
		return -1;
	}
	if (o->force_bypass && o->mode != CAPTURE_MODE_BYPASS) {
		err_set(err, errlen, "--force-bypass goes with --mode bypass only: it lets bypass take an interface the host uses");
		return -1;
	}
	return capture_opts_check_sizes(o, err, errlen);
}


/*
 * The words after the options, joined by spaces as tcpdump joins them:
 * the expression, the same as --rules with it (and not both).
 */
static int take_expression(struct capture_opts *o, char **words, int n, char *err, size_t errlen)
{
	size_t used = 0, len;
	int i;

	if (o->rules) {
		err_set(err, errlen, "capture: '%s': an expression after the options, and --rules: give one of them",
			words[0]);
		return -1;
	}
	for (i = 0; i < n; i++) {
		len = strlen(words[i]);
		if (used + len + 1 >= sizeof(o->expr_words)) {
			err_set(err, errlen, "capture: the expression is longer than %zu characters",
				sizeof(o->expr_words) - 1);
			return -1;
		}
		if (i)
			o->expr_words[used++] = ' ';
		memcpy(o->expr_words + used, words[i], len + 1);
		used += len;
	}
	return parse_rules(o, o->expr_words, err, errlen);
}

static int parse_argv(int argc, char **argv, struct capture_opts *o, char *err, size_t errlen)
{
	struct optdef defs[N_OPTIONS];
	struct optparse p;
	const char *value;
	char msg[400];
	size_t i;
	int rc, id;

	capture_opts_defaults(o);
	for (i = 0; i < N_OPTIONS; i++)
		defs[i] = (struct optdef){ options[i].name, options[i].shrt,
					   options[i].kind != COPT_FLAG && options[i].arg, (int)i, NULL };
	/* As getopt_long with "+" but whole names only: "-vh", options end at the first word. */
	optparse_init(&p, argc, argv, OPTPARSE_CLUSTER);
	while ((rc = optparse_next(&p, defs, N_OPTIONS, &id, &value, msg, sizeof(msg))) !=
	       OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR) {
			err_set(err, errlen, "capture: %s", msg);
			return -1;
		}
		if (rc == OPTPARSE_WORD) {
			/* Options end at the first word: the rest are the expression. */
			if (take_expression(o, argv + p.i - 1, argc - p.i + 1, err, errlen))
				return -1;
			break;
		}
		if (apply(o, &options[id], value, err, errlen))
			return -1;
	}
	return check_complete(o, err, errlen);
}

int capture_opts_parse(int argc, char **argv, struct capture_opts *o,
		       char *err, size_t errlen)
{
	if (parse_argv(argc, argv, o, err, errlen)) {
		err_one_line(err, errlen);
		return -1;
	}
	return 0;
}

/* yes/no words of a configuration file; -1 for anything else. */
int capture_opts_flag_word(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}


int capture_opts_apply_long(struct capture_opts *o, const char *name, const char *value,
			    char *err, size_t errlen)
{
	const struct capture_option *c = capture_option_by_name(name, strlen(name));
	int on;

	if (!c || !(c->flags & COPT_IN_FILE)) {
		err_set(err, errlen, "unknown key '%s'", name);
		goto fail;
	}
	if (c->arg && c->kind != COPT_FLAG) {
		if (apply(o, c, value, err, errlen))
			goto fail;
		return 0;
	}
	on = capture_opts_flag_word(value);
	if (on < 0) {
		err_set(err, errlen, "%s: '%s' is not yes or no", name, value);
		goto fail;
	}
	if (on && apply(o, c, NULL, err, errlen))
		goto fail;
	return 0;
fail:
	err_one_line(err, errlen);
	return -1;
}

/* ---- --help ----------------------------------------------------------------- */

#define HELP_COLUMN 26

static void usage_option(FILE *f, const struct capture_option *c)
{
	const char *line = c->help, *nl;
	int n;

	if (c->shrt)
		n = fprintf(f, "  -%c, --%s", c->shrt, c->name);
	else
		n = fprintf(f, "      --%s", c->name);
	if (c->arg)
		n += fprintf(f, " %s", c->arg);
	if (n + 2 > HELP_COLUMN)
		fprintf(f, "  ");       /* a long head: its text follows on the same line */
	else
		fprintf(f, "%*s", HELP_COLUMN - n, "");
	for (;;) {
		nl = strchr(line, '\n');
		fprintf(f, "%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
		if (!nl)
			break;
		line = nl + 1;
		fprintf(f, "%*s", HELP_COLUMN, "");
	}
}

void capture_opts_usage(FILE *f)
{
	size_t i;

	fputs("usage: vpncap capture -i IFACE|IDX|any [-i IFACE...] -w FILE [options] [EXPRESSION]\n"
	      "\n"
	      "Capture IKEv2 (UDP 500), NAT-T (UDP 4500) and SSTP (TCP 443) frames at the\n"
	      "XDP hook into a PCAPNG file; or the named filters' frames; or, as tcpdump,\n"
	      "the frames of EXPRESSION (libpcap's syntax: 'udp port 500 or arp'), the\n"
	      "words after the options.\n"
	      "\n", f);
	for (i = 0; i < N_OPTIONS; i++)
		if (!options[i].file_set && options[i].shrt != 'v' && options[i].shrt != 'h')
			usage_option(f, &options[i]);
	fputs("\n"
	      "File set (-w DIR): files vpncap-IFACE-START-SEQ.pcapng, the one being\n"
	      "written ends in .part. SIZE takes k/M/G/T, DURATION ms/s/m/h/d.\n", f);
	for (i = 0; i < N_OPTIONS; i++)
		if (options[i].file_set)
			usage_option(f, &options[i]);
	fputs("\n", f);
	usage_option(f, capture_option_by_short('v'));
	usage_option(f, capture_option_by_short('h'));
}

/* ---- write-back and the restart check --------------------------------------- */

/* Did the option's field change from d? For the built-in kinds. */
static int field_differs(const struct capture_opts *a, const struct capture_opts *b,
			 const struct capture_option *c)
{
	const char *sa, *sb;

	if (c->kind == COPT_CUSTOM && c->differs)
		return c->differs(a, b);
	if (c->kind == COPT_STRING || (c->kind == COPT_CUSTOM && c->size == sizeof(char *) &&
				       (c->off == offsetof(struct capture_opts, output) ||
					c->off == offsetof(struct capture_opts, rules)))) {
		memcpy(&sa, cfield(a, c), sizeof(sa));
		memcpy(&sb, cfield(b, c), sizeof(sb));
		return !sa != !sb || (sa && strcmp(sa, sb));
	}
	return memcmp(cfield(a, c), cfield(b, c), c->size) != 0;
}

int capture_opts_write(FILE *f, const char *path, const struct capture_opts *o, char *err,
		       size_t errlen)
{
	struct capture_opts d;
	const char *s;
	size_t i;
	int choice;

	capture_opts_defaults(&d);
	for (i = 0; i < N_OPTIONS; i++) {
		const struct capture_option *c = &options[i];

		/* The interface is the unit's instance (-i %I), not a key of the file. */
		if (!(c->flags & COPT_IN_FILE) || c->group == COPT_GROUP_IFACE)
			continue;
		if (c->kind == COPT_CUSTOM) {
			if (c->put && c->put(f, path, o, err, errlen))
				return -1;
			continue;
		}
		if (!field_differs(o, &d, c))
			continue;
		switch (c->kind) {
		case COPT_FLAG:
			fprintf(f, "%s = yes\n", c->name);
			break;
		case COPT_UINT:
			fprintf(f, "%s = %" PRIu64 "\n", c->name, get_uint(o, c));
			break;
		case COPT_SIZE:
		case COPT_DURATION:
			put_scaled(f, c->name, get_uint(o, c), c->kind == COPT_DURATION);
			break;
		case COPT_CHOICE:
			memcpy(&choice, cfield(o, c), sizeof(choice));
			fprintf(f, "%s = %s\n", c->name, c->words[choice]);
			break;
		case COPT_STRING:
			memcpy(&s, cfield(o, c), sizeof(s));
			if (put_string(f, path, c->name, s, err, errlen))
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

const struct capture_option *capture_opts_one_shot(const struct capture_opts *o)
{
	struct capture_opts d;
	size_t i;

	capture_opts_defaults(&d);
	for (i = 0; i < N_OPTIONS; i++)
		if ((options[i].flags & COPT_ONE_SHOT) && field_differs(o, &d, &options[i]))
			return &options[i];
	return NULL;
}

const char *capture_opts_restart_needed(const struct capture_opts *a,
					const struct capture_opts *b)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if ((options[i].flags & COPT_IN_FILE) && !(options[i].flags & COPT_RELOAD) &&
		    field_differs(a, b, &options[i]))
			/* --copy and --zero-copy are one setting */
			return options[i].group == COPT_GROUP_COPY ? "copy/zero-copy" : options[i].name;
	/* Not keys of a file, but a reload cannot change them either. */
	if (a->realtime != b->realtime)
		return "realtime";
	return NULL;
}
