// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* CPU_SETSIZE */
#include "capture/options.h"
#include "log.h"
#include "capture/rules.h"
#include "units.h"
#include "vpncap/abi.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

const char capture_usage[] =
	"usage: vpncap capture -i IFACE [-i IFACE...] -w FILE [options]\n"
	"\n"
	"Capture IKEv2 (UDP 500), NAT-T (UDP 4500) and SSTP (TCP 443) frames at the\n"
	"XDP hook into a PCAPNG file.\n"
	"\n"
	"  -i, --interface IFACE   interface to capture on (repeatable)\n"
	"  -w, --write FILE|DIR    PCAPNG file, or directory of a rotating file set\n"
	"                          (an existing directory, or a path ending in '/')\n"
	"  -s, --snaplen N         bytes kept per frame (default 262144)\n"
	"      --duration SECS     stop after SECS seconds\n"
	"  -c, --count N           stop after N frames written\n"
	"      --mode auto|inline|bypass  inline copies matched frames and leaves them\n"
	"                          to the host, both directions (for the gateway\n"
	"                          itself); bypass takes received frames away from\n"
	"                          the host (a capture port); auto (default): bypass\n"
	"                          without IP addresses on the interface, else inline\n"
	"      --unmatched pass|drop  what happens to frames that match no rule\n"
	"      --xdp-mode auto|native|skb  XDP attach mode (auto: native, then skb)\n"
	"  -q, --queue N           capture RX queue N only (repeatable; default all)\n"
	"      --copy              force AF_XDP copy mode\n"
	"      --zero-copy         force AF_XDP zero-copy mode\n"
	"      --queue-size SIZE   memory between capture and writer (default 32M)\n"
	"      --cpus LIST         CPUs for the per-queue capture threads, in order\n"
	"                          (thread i on the i-th CPU, wrapping around), e.g.\n"
	"                          0-3,6 (default: not pinned)\n"
	"      --busy-poll         poll the driver from the capture threads instead of\n"
	"                          sleeping (lowest latency, one busy CPU per thread)\n"
	"      --umem-frames N     AF_XDP buffers of 4 KiB per queue (default: fill\n"
	"                          ring + rx ring); hugepages are used when reserved\n"
	"      --rx-ring N         AF_XDP RX ring size, a power of two from 64 to\n"
	"                          65536 (default 4096)\n"
	"      --fill-ring N       AF_XDP fill ring size, same range (default: rx ring\n"
	"                          + the NIC's RX ring, rounded up to a power of two)\n"
	"      --timestamps auto|hardware|software  auto (default): the NIC's\n"
	"                          hardware timestamp where the driver offers one,\n"
	"                          else the software one taken at the XDP hook\n"
	"      --ring-size SIZE    inline: kernel ring buffer per interface, a power\n"
	"                          of two (default 8M)\n"
	"      --metrics-file PATH counters in Prometheus text format, replaced every\n"
	"                          second (node_exporter's textfile collector)\n"
	"      --rules LIST        what to capture: PROTO[:PORT],... with PROTO udp, tcp,\n"
	"                          esp, icmp, icmpv6 or a number (default\n"
	"                          udp:500,udp:4500,tcp:443)\n"
	"      --fragment-timeout DURATION  follow a matched datagram's fragments this\n"
	"                          long (default 30s)\n"
	"      --fragment-window DURATION  capture fragments that come before their\n"
	"                          first one between hosts with matched traffic this\n"
	"                          recent (default 10s)\n"
	"      --config FILE       read options from FILE (key = value, keys are the\n"
	"                          long options); options given here override it\n"
	"      --realtime          one decoded line per frame on stdout (IKEv2, ESP,\n"
	"                          TLS); -w is then optional. The view never slows\n"
	"                          capture: when the console lags it skips lines and\n"
	"                          says how many\n"
	"      --persistent        write /etc/vpncap/IFACE.conf and start vpncap@IFACE\n"
	"                          (from early boot, across reboots)\n"
	"\n"
	"File set (-w DIR): files vpncap-IFACE-START-SEQ.pcapng, the one being\n"
	"written ends in .part. SIZE takes k/M/G/T, DURATION ms/s/m/h/d.\n"
	"      --rotate-size SIZE  start a new file before this size is reached\n"
	"      --rotate-time DURATION  new file at each multiple of DURATION (UTC)\n"
	"      --max-files N       keep at most N files (a ring)\n"
	"      --max-bytes SIZE    keep the set within SIZE, oldest files deleted first\n"
	"      --min-free SIZE     keep SIZE free on the disk\n"
	"      --sync-interval DURATION  fsync at least this often (default 1s)\n"
	"      --on-rotate CMD     run CMD with each completed file as last argument\n"
	"      --compress gzip|zstd  compress completed files\n"
	"\n"
	"  -v, --verbose           show library diagnostics\n"
	"  -h, --help              this text\n";

enum long_only_opt {
	OPT_DURATION = 256,
	OPT_MODE,
	OPT_UNMATCHED,
	OPT_XDP_MODE,
	OPT_COPY,
	OPT_ZEROCOPY,
	OPT_QUEUE_SIZE,
	OPT_RING_SIZE,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_TIME,
	OPT_MAX_FILES,
	OPT_MAX_BYTES,
	OPT_MIN_FREE,
	OPT_SYNC_INTERVAL,
	OPT_ON_ROTATE,
	OPT_COMPRESS,
	OPT_RULES,
	OPT_METRICS_FILE,
	OPT_FRAG_TIMEOUT,
	OPT_FRAG_WINDOW,
	OPT_CONFIG,
	OPT_PERSISTENT,
	OPT_REALTIME,
	OPT_CPUS,
	OPT_BUSY_POLL,
	OPT_UMEM_FRAMES,
	OPT_RX_RING,
	OPT_FILL_RING,
	OPT_TIMESTAMPS,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, 'c' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "unmatched", required_argument, NULL, OPT_UNMATCHED },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "queue", required_argument, NULL, 'q' },
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "zero-copy", no_argument, NULL, OPT_ZEROCOPY },
	{ "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "busy-poll", no_argument, NULL, OPT_BUSY_POLL },
	{ "umem-frames", required_argument, NULL, OPT_UMEM_FRAMES },
	{ "rx-ring", required_argument, NULL, OPT_RX_RING },
	{ "fill-ring", required_argument, NULL, OPT_FILL_RING },
	{ "timestamps", required_argument, NULL, OPT_TIMESTAMPS },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-time", required_argument, NULL, OPT_ROTATE_TIME },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "min-free", required_argument, NULL, OPT_MIN_FREE },
	{ "sync-interval", required_argument, NULL, OPT_SYNC_INTERVAL },
	{ "on-rotate", required_argument, NULL, OPT_ON_ROTATE },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "fragment-timeout", required_argument, NULL, OPT_FRAG_TIMEOUT },
	{ "fragment-window", required_argument, NULL, OPT_FRAG_WINDOW },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "persistent", no_argument, NULL, OPT_PERSISTENT },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

/* Options of the file set, the writer and its queue. */
static int apply_output_option(struct capture_opts *o, int c, const char *arg,
			       char *err, size_t errlen)
{
	switch (c) {
	case OPT_QUEUE_SIZE:
		return size_option("--queue-size", arg, MIB, 16 * GIB, "1M to 16G",
				   &o->queue_size, err, errlen);
	case OPT_RING_SIZE:
		if (size_option("--ring-size", arg, 64 * KIB, GIB, "64k to 1G", &o->ring_size,
				err, errlen))
			return -1;
		if (o->ring_size & (o->ring_size - 1)) {
			err_set(err, errlen, "--ring-size: '%s' is not a power of two (64k, 128k, ... 1G)",
				arg);
			return -1;
		}
		return 0;
	case OPT_ROTATE_SIZE:
		return size_option("--rotate-size", arg, 64 * KIB, TIB, "64k to 1T",
				   &o->rotate_size, err, errlen);
	case OPT_ROTATE_TIME:
		return duration_option("--rotate-time", arg, 1000, 7 * 86400000ull, "1s to 7d",
				       &o->rotate_time_ms, err, errlen);
	case OPT_MAX_FILES:
		if (parse_uint(arg, 1, 1000000, &o->max_files)) {
			err_set(err, errlen, "--max-files: '%s' is not a number from 1 to 1000000",
				arg);
			return -1;
		}
		return 0;
	case OPT_MAX_BYTES:
		return size_option("--max-bytes", arg, 64 * KIB, 1024 * TIB, "64k to 1024T",
				   &o->max_bytes, err, errlen);
	case OPT_MIN_FREE:
		return size_option("--min-free", arg, 1, 1024 * TIB, "1 to 1024T", &o->min_free,
				   err, errlen);
	case OPT_SYNC_INTERVAL:
		return duration_option("--sync-interval", arg, 10, 3600000, "10ms to 1h",
				       &o->sync_interval_ms, err, errlen);
	case OPT_ON_ROTATE:
		if (!*arg) {
			err_set(err, errlen, "--on-rotate: empty command");
			return -1;
		}
		o->on_rotate = arg;
		return 0;
	case OPT_COMPRESS:
		if (compress_parse(arg, &o->compress)) {
			err_set(err, errlen, "--compress: '%s' is not one of gzip, zstd", arg);
			return -1;
		}
		return 0;
	case OPT_RULES: {
		struct vpncap_ruleset set;
		char why[160];

		if (rules_parse(arg, &set, why, sizeof(why))) {
			err_set(err, errlen, "--rules: %s", why);
			return -1;
		}
		o->rules = arg;
		return 0;
	}
	case OPT_METRICS_FILE:
		if (!*arg) {
			err_set(err, errlen, "--metrics-file: empty file name");
			return -1;
		}
		o->metrics_file = arg;
		return 0;
	case OPT_FRAG_TIMEOUT:
		return duration_option("--fragment-timeout", arg, 100, 600000, "100ms to 10m",
				       &o->fragment_timeout_ms, err, errlen);
	case OPT_FRAG_WINDOW:
		return duration_option("--fragment-window", arg, 0, 3600000, "0 to 1h",
				       &o->fragment_window_ms, err, errlen);
	case OPT_CONFIG:
		o->config = arg;
		return 0;
	case OPT_PERSISTENT:
		o->persistent = 1;
		return 0;
	case OPT_REALTIME:
		o->realtime = 1;
		return 0;
	}
	return -1;
}

static int add_iface(struct capture_opts *o, const char *name, char *err, size_t errlen)
{
	unsigned int i;

	if (!*name || strlen(name) >= 16 || strpbrk(name, "/ \t\n")) {
		err_set(err, errlen, "-i: '%s' is not a valid interface name", name);
		return -1;
	}
	for (i = 0; i < o->n_ifaces; i++) {
		if (!strcmp(o->ifaces[i], name)) {
			err_set(err, errlen, "-i: interface '%s' given twice", name);
			return -1;
		}
	}
	if (o->n_ifaces >= CAPTURE_MAX_IFACES) {
		err_set(err, errlen, "-i: at most %d interfaces", CAPTURE_MAX_IFACES);
		return -1;
	}
	o->ifaces[o->n_ifaces++] = name;
	return 0;
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

static int parse_choice(const char *opt, const char *arg, const char *const *words,
			int n, int *out, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(arg, words[i])) {
			*out = i;
			return 0;
		}
	}
	err_set(err, errlen, "%s: '%s' is not one of %s%s%s%s%s", opt, arg, words[0],
		n > 1 ? ", " : "", n > 1 ? words[1] : "", n > 2 ? ", " : "",
		n > 2 ? words[2] : "");
	return -1;
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

/* Options of the AF_XDP sockets and their threads (line rate). */
static int apply_line_rate_option(struct capture_opts *o, int c, const char *arg,
				  char *err, size_t errlen)
{
	static const char *const timestamps[] = { "auto", "hardware", "software" };
	uint64_t v;
	int choice;

	switch (c) {
	case OPT_CPUS:
		return parse_cpu_list(o, arg, err, errlen);
	case OPT_BUSY_POLL:
		o->busy_poll = 1;
		return 0;
	case OPT_UMEM_FRAMES:
		if (parse_uint(arg, CAPTURE_MIN_UMEM_FRAMES, CAPTURE_MAX_UMEM_FRAMES, &v)) {
			err_set(err, errlen, "--umem-frames: '%s' is not a number from %u to %u",
				arg, CAPTURE_MIN_UMEM_FRAMES, CAPTURE_MAX_UMEM_FRAMES);
			return -1;
		}
		o->umem_frames = (uint32_t)v;
		return 0;
	case OPT_RX_RING:
		return ring_option("--rx-ring", arg, &o->rx_ring, err, errlen);
	case OPT_FILL_RING:
		return ring_option("--fill-ring", arg, &o->fill_ring, err, errlen);
	case OPT_TIMESTAMPS:
		if (parse_choice("--timestamps", arg, timestamps, 3, &choice, err, errlen))
			return -1;
		o->timestamps = (enum ts_choice)choice;
		return 0;
	}
	return apply_output_option(o, c, arg, err, errlen);
}

static int apply_option(struct capture_opts *o, int c, const char *arg,
			char *err, size_t errlen)
{
	static const char *const modes[] = { "auto", "bypass", "inline" };
	static const char *const unmatched[] = { "pass", "drop" };
	static const char *const xdp_modes[] = { "auto", "native", "skb" };
	uint64_t v;
	int choice;

	switch (c) {
	case 'i':
		return add_iface(o, arg, err, errlen);
	case 'w':
		if (!*arg) {
			err_set(err, errlen, "-w: empty file name");
			return -1;
		}
		o->output = arg;
		return 0;
	case 's':
		if (parse_uint(arg, CAPTURE_MIN_SNAPLEN, CAPTURE_DEFAULT_SNAPLEN, &v)) {
			err_set(err, errlen, "--snaplen: '%s' is not a number from %u to %u",
				arg, CAPTURE_MIN_SNAPLEN, CAPTURE_DEFAULT_SNAPLEN);
			return -1;
		}
		o->snaplen = (uint32_t)v;
		return 0;
	case OPT_DURATION:
		if (parse_seconds(arg, &o->duration_ms)) {
			err_set(err, errlen, "--duration: '%s' is not a positive number of seconds",
				arg);
			return -1;
		}
		return 0;
	case 'c':
		if (parse_uint(arg, 1, UINT64_MAX - 1, &o->count)) {
			err_set(err, errlen, "--count: '%s' is not a positive number", arg);
			return -1;
		}
		return 0;
	case OPT_MODE:
		if (parse_choice("--mode", arg, modes, 3, &choice, err, errlen))
			return -1;
		o->mode = (enum capture_mode)choice;
		return 0;
	case OPT_UNMATCHED:
		if (parse_choice("--unmatched", arg, unmatched, 2, &choice, err, errlen))
			return -1;
		o->unmatched = choice ? VPNCAP_UNMATCHED_DROP : VPNCAP_UNMATCHED_PASS;
		return 0;
	case OPT_XDP_MODE:
		if (parse_choice("--xdp-mode", arg, xdp_modes, 3, &choice, err, errlen))
			return -1;
		o->xdp_mode = (enum xdp_mode_choice)choice;
		return 0;
	case 'q':
		return add_queue(o, arg, err, errlen);
	case OPT_COPY:
	case OPT_ZEROCOPY:
		if (o->copy != COPY_CHOICE_AUTO) {
			err_set(err, errlen, "--copy and --zero-copy exclude each other");
			return -1;
		}
		o->copy = c == OPT_COPY ? COPY_CHOICE_COPY : COPY_CHOICE_ZEROCOPY;
		return 0;
	case 'v':
		o->verbose = 1;
		return 0;
	case 'h':
		o->help = 1;
		return 0;
	}
	return apply_line_rate_option(o, c, arg, err, errlen);
}

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
	if (!o->n_ifaces) {
		err_set(err, errlen, "capture: no interface given (-i IFACE)");
		return -1;
	}
	if (!o->output && !o->persistent && !o->realtime) {
		err_set(err, errlen, "capture: no output file given (-w FILE, or --realtime to only watch)");
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
	return capture_opts_check_sizes(o, err, errlen);
}

/*
 * After '?', getopt_long leaves optopt 0 (unknown or ambiguous long option)
 * or the val of a long flag given "=value"; only an unknown short option
 * leaves a character that is not one of ours.
 */
static int is_short_optopt(int opt)
{
	return opt && opt < OPT_DURATION && !strchr("iwscqvh", opt);
}

static int parse_argv(int argc, char **argv, struct capture_opts *o,
		      char *err, size_t errlen)
{
	int c, idx;

	capture_opts_defaults(o);
	optind = 0; /* full re-initialisation of GNU getopt: parse can run again */
	opterr = 0; /* we report errors ourselves, as one line */
	while ((c = getopt_long(argc, argv, "+:i:w:s:c:q:vh", long_opts, &idx)) != -1) {
		if (c == '?') {
			if (is_short_optopt(optopt))
				err_set(err, errlen, "capture: unknown option '-%c'", optopt);
			else
				err_set(err, errlen, "capture: unknown option '%s'",
					argv[optind - 1]);
			return -1;
		}
		if (c == ':') {
			err_set(err, errlen, "capture: option '%s' needs a value",
				argv[optind - 1]);
			return -1;
		}
		if (apply_option(o, c, optarg, err, errlen))
			return -1;
	}
	if (optind < argc) {
		err_set(err, errlen, "capture: unexpected argument '%s'", argv[optind]);
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
static int parse_flag_word(const char *v)
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
	const struct option *opt;
	int on;

	for (opt = long_opts; opt->name; opt++)
		if (!strcmp(opt->name, name))
			break;
	if (!opt->name || opt->val == OPT_CONFIG || opt->val == OPT_PERSISTENT ||
	    opt->val == OPT_REALTIME || opt->val == 'h') {
		err_set(err, errlen, "unknown key '%s'", name);
		goto fail;
	}
	if (opt->has_arg == required_argument) {
		if (apply_option(o, opt->val, value, err, errlen))
			goto fail;
		return 0;
	}
	on = parse_flag_word(value);
	if (on < 0) {
		err_set(err, errlen, "%s: '%s' is not yes or no", name, value);
		goto fail;
	}
	if (on && apply_option(o, opt->val, NULL, err, errlen))
		goto fail;
	return 0;
fail:
	err_one_line(err, errlen);
	return -1;
}
