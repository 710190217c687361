// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"
#include "vpncap/version.h"      /* generated: git describe (cmake/GitVersion.cmake) */

/* ---- file headers and statistics --------------------------------------- */

/*
 * Where the frames' timestamps can come from as attached ("stamping: ..."),
 * then the slot for what this file's frames got, which the file set fills
 * from the file's own counts when the file ends (store/fileset.h): the IDB
 * is written before the first frame, so nothing else in it may claim a
 * source. Bypass loses a frame's hook stamp when its metadata does not
 * arrive: always without per-frame metadata, and in the metadata area
 * whenever the driver refuses bpf_xdp_adjust_meta for a frame (in front
 * of the frame, the classifier never redirects a frame without it). Frames
 * copied through the ring buffer always carry the hook's stamp.
 */
static const char *describe_timestamps(const struct capture_iface *ci, char *buf, size_t len)
{
	int bypass = ci->mode == CAPTURE_MODE_BYPASS;
	enum vpncap_meta_place meta = ci->cls.variant.meta;
	const char *hooks = bypass ? "xdp hook" : "xdp and tc hooks";
	char slot[FILESET_TS_SLOT_LEN + 1];
	size_t used;

	if (bypass && meta == VPNCAP_META_NONE)
		used = (size_t)snprintf(buf, len, "stamping: per batch of frames (software), the kernel gives bypass no per-frame metadata%s%s",
					ci->ring_open ? "; frames too large for the socket, copied through the ring buffer, at the xdp hook" : "",
					ci->ring_open && ci->cls.hw_timestamps ? " or by the nic" : "");
	else if (ci->cls.hw_timestamps)
		used = (size_t)snprintf(buf, len, "stamping: by the nic (xdp rx metadata) where the driver stamps a frame, else at the %s (software)",
					hooks);
	else
		used = (size_t)snprintf(buf, len, "stamping: at the %s (software)%s%s", hooks,
					ci->cls.ts_reason[0] ? ": " : "", ci->cls.ts_reason);
	if (bypass && meta == VPNCAP_META_IN_AREA && used < len)
		used += (size_t)snprintf(buf + used, len - used,
					 "; per batch for a frame whose metadata the driver refused");
	fileset_ts_slot(slot, sizeof(slot));
	if (used < len)
		snprintf(buf + used, len - used, "; %s", slot);
	return buf;
}

static void describe_bypass(struct capture_iface *ci, char *buf, size_t len)
{
	char sockets[200] = "no socket", ts[800];
	size_t used;
	unsigned int i;

	used = (size_t)snprintf(buf, len, "rx queue%s", ci->n_queues == 1 ? "" : "s");
	for (i = 0; i < ci->n_queues && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : " ",
					 ci->queues[i].queue_id);
	if (ci->n_queues)
		xsk_rx_describe(&ci->queues[0], sockets, sizeof(sockets));
	if (used < len)
		snprintf(buf + used, len - used,
			 " of %u; xdp %s (%s); af_xdp %s; %s",
			 ci->info.rx_queues, xdp_mode_name(ci->cls.mode),
			 hook_kind_name(ci->cls.hook), sockets,
			 describe_timestamps(ci, ts, sizeof(ts)));
}

/* if_description of IDB set k: how this interface is captured. */
void session_describe_iface(struct capture_session *s, struct capture_iface *ci)
{
	char *buf = ci->description, how[1400], ts[800];
	size_t len = sizeof(ci->description);

	if (ci->mode == CAPTURE_MODE_BYPASS)
		describe_bypass(ci, how, sizeof(how));
	else
		snprintf(how, sizeof(how),
			 "received: xdp %s (%s), transmitted: tc egress %s; copied through a %llu-byte "
			 "bpf ring buffer; %s",
			 xdp_mode_name(ci->cls.mode), hook_kind_name(ci->cls.hook),
			 tc_egress_kind_name(ci->cls.egress.kind),
			 (unsigned long long)s->opts->ring_size,
			 describe_timestamps(ci, ts, sizeof(ts)));
	/* The host first: `vpncap report` over several gateways' files names them by it. */
	snprintf(buf, len, "host %s; driver %s; mode %s%s; %s", s->hostname, ci->info.driver,
		 session_mode_name(ci->mode), ci->auto_mode ? " (auto)" : "", how);
	degradations_comment(&s->kf, ci->degraded, ci->n_degraded, ci->comment,
			     sizeof(ci->comment));
}

static void read_hardware(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	struct utsname u;

	uname(&u);
	snprintf(buf, len, "%s", u.machine);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s (%s)", colon + 2, u.machine);
			break;
		}
	}
	fclose(f);
}

/*
 * A new IDB set, for the interfaces as they are now and the rules and
 * unmatched action in force; the old one goes (the writer keeps its own
 * reference while it uses it). 0, or -ENOMEM with the old set kept.
 */
int session_prepare_idbs(struct capture_session *s, uint32_t unmatched)
{
	struct pcapng_idb_info idbs[CAPTURE_MAX_IFACES];
	struct idb_set *set;
	unsigned int i;
	int n;

	n = snprintf(s->filter, sizeof(s->filter), "%s", s->rules_words);
	if (n < 0 || (size_t)n >= sizeof(s->filter))
		n = (int)strlen(s->filter);
	snprintf(s->filter + n, sizeof(s->filter) - (size_t)n, "; unmatched frames %s",
		 unmatched == VPNCAP_UNMATCHED_DROP ? "dropped" : "passed");
	for (i = 0; i < s->n_ifaces; i++) {
		session_describe_iface(s, &s->ifaces[i]);
		idbs[i] = (struct pcapng_idb_info){
			.linktype = PCAPNG_LINKTYPE_ETHERNET,
			.snaplen = s->opts->snaplen,
			.name = s->ifaces[i].info.name,
			.description = s->ifaces[i].description,
			.filter = s->filter,
			.comment = s->ifaces[i].comment, /* "" when nothing degraded: left out */
		};
	}
	set = idb_set_new(idbs, s->n_ifaces);
	if (!set) {
		log_error("out of memory for the file headers; files keep the previous ones");
		return -ENOMEM;
	}
	idb_set_unref(s->idbs);
	s->idbs = set;
	return 0;
}

/* SHB contents; the IDBs are made once the interfaces are attached. */
void session_prepare_headers(struct capture_session *s)
{
	struct utsname u;

	read_hardware(s->hw, sizeof(s->hw));
	uname(&u);
	snprintf(s->os, sizeof(s->os), "%s %s %s", u.sysname, u.release, u.version);
	snprintf(s->hostname, sizeof(s->hostname), "%s", u.nodename);
	s->shb = (struct pcapng_shb_info){ s->hw, s->os, "vpncap " VPNCAP_VERSION_FULL };
}

/* Writer thread: counters of interface if_id for the ISB closing a file. */
void session_fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		      char *comment, size_t len)
{
	struct capture_session *s = ctx;
	struct iface_totals t;

	pthread_mutex_lock(&s->totals_lock);
	t = s->totals[if_id];
	pthread_mutex_unlock(&s->totals_lock);
	isb->starttime_ns = s->start_wall_ns;
	isb->endtime_ns = isb->ts_ns;
	isb->ifrecv = t.hook.seen;
	isb->ifdrop = t.sock_dropped;
	isb->filteraccept = t.hook.matched + t.egress.matched;
	isb->osdrop = t.sock_ring_full + t.hook.ring_full + t.egress.ring_full;
	snprintf(comment, len,
		 "vpncap: hook: seen %llu, matched %llu (fragments %llu, early fragments %llu), "
		 "redirected %llu, no socket on queue %llu, passed %llu, dropped %llu; af_xdp: rx_dropped %llu, rx_ring_full %llu, "
		 "fill_ring_empty %llu, frames of too many buffers %llu; writer queue full %llu; timestamps of %llu frames taken by "
		 "the nic, %llu at the hook, %llu per batch (no metadata); "
		 "received copies: %llu, lost to a full ring %llu, cut at 64k %llu; "
		 "egress hook: seen %llu, matched %llu, copied %llu, lost to a full ring %llu, cut at 64k %llu",
		 (unsigned long long)t.hook.seen, (unsigned long long)t.hook.matched,
		 (unsigned long long)t.hook.fragments, (unsigned long long)t.hook.early_fragments,
		 (unsigned long long)t.hook.redirected, (unsigned long long)t.hook.redirect_fail,
		 (unsigned long long)t.hook.passed, (unsigned long long)t.hook.dropped,
		 (unsigned long long)t.sock_dropped, (unsigned long long)t.sock_ring_full,
		 (unsigned long long)t.fill_empty, (unsigned long long)t.oversized,
		 (unsigned long long)t.queue_full,
		 (unsigned long long)t.ts_from_hw, (unsigned long long)t.ts_from_hook, (unsigned long long)t.ts_from_batch,
		 (unsigned long long)t.hook.copied, (unsigned long long)t.hook.ring_full,
		 (unsigned long long)t.hook.truncated, (unsigned long long)t.egress.seen,
		 (unsigned long long)t.egress.matched, (unsigned long long)t.egress.copied,
		 (unsigned long long)t.egress.ring_full, (unsigned long long)t.egress.truncated);
}

/* ---- session ----------------------------------------------------------- */

/* A file left incomplete fails the run (exit status 1): one line says which. */
static void report_incomplete(const struct capture_session *s)
{
	const struct fileset *fs = &s->fs;
	uint64_t more = fs->stats.files_incomplete - 1;

	if (!s->has_output || !fs->stats.files_incomplete)
		return;
	if (!fs->cfg.is_dir) {
		log_error("%s: left incomplete: %s", fs->incomplete_first, fs->incomplete_why);
		return;
	}
	if (more)
		log_error("%s and %llu more left as .part (the first: %s); the next vpncap on %s repairs them",
			  fs->incomplete_first, (unsigned long long)more, fs->incomplete_why, fs->dir);
	else
		log_error("%s: left as .part (%s); the next vpncap on %s repairs it",
			  fs->incomplete_first, fs->incomplete_why, fs->dir);
}

void session_print_summary(const struct capture_session *s)
{
	const struct fileset_stats *w = &s->fs.stats;
	uint64_t seen = 0, matched = 0, queue_full = 0, ring_full = 0, dropped, after_count;
	uint64_t per_batch;
	unsigned int i;

	dropped = w->dropped_disk_full + w->dropped_min_free + w->dropped_write_error;
	for (i = 0; i < s->n_ifaces; i++) {
		const struct iface_totals *t = &s->totals[i];

		seen += t->hook.seen + t->egress.seen;
		matched += t->hook.matched + t->egress.matched;
		queue_full += t->queue_full;
		ring_full += t->hook.ring_full + t->egress.ring_full;
		dropped += t->hook.redirect_fail + t->sock_dropped + t->sock_ring_full +
			   t->queue_full + t->hook.ring_full + t->egress.ring_full +
			   t->ring_malformed;
	}
	fprintf(stderr, "vpncap: summary: seen %llu, matched %llu, written %llu, dropped %llu",
		(unsigned long long)seen, (unsigned long long)matched,
		(unsigned long long)w->frames_written, (unsigned long long)dropped);
	if (queue_full || w->dropped_disk_full || w->dropped_min_free || w->dropped_write_error)
		fprintf(stderr, " (writer queue full %llu, disk full %llu, min-free %llu, write errors %llu)",
			(unsigned long long)queue_full, (unsigned long long)w->dropped_disk_full,
			(unsigned long long)w->dropped_min_free,
			(unsigned long long)w->dropped_write_error);
	if (ring_full)
		fprintf(stderr, " (copies lost to a full ring buffer %llu; the frames went on)",
			(unsigned long long)ring_full);
	after_count = outs_sum_all(s, offsetof(struct out_counts, after_count));
	if (after_count)
		fprintf(stderr, " (%llu more after --count)", (unsigned long long)after_count);
	per_batch = outs_sum_all(s, offsetof(struct out_counts, ts_batch));
	if (per_batch)
		fprintf(stderr, " (%llu stamped per batch, not per frame: no per-frame metadata)",
			(unsigned long long)per_batch);
	if (!s->has_output)
		fprintf(stderr, "; no file (--realtime without -w)");
	else if (s->fs.cfg.is_dir && !w->files_incomplete)
		fprintf(stderr, "; %llu file%s completed (%llu bytes) in %s",
			(unsigned long long)w->files_completed, w->files_completed == 1 ? "" : "s",
			(unsigned long long)w->bytes, s->opts->output);
	else if (s->fs.cfg.is_dir)
		fprintf(stderr, "; %llu file%s completed, %llu left as .part (%s); %llu bytes in %s",
			(unsigned long long)w->files_completed, w->files_completed == 1 ? "" : "s",
			(unsigned long long)w->files_incomplete, s->fs.incomplete_why,
			(unsigned long long)w->bytes, s->opts->output);
	else
		fprintf(stderr, "; %llu bytes in %s%s%s%s", (unsigned long long)w->bytes,
			s->opts->output, w->files_incomplete ? ", left incomplete (" : "",
			w->files_incomplete ? s->fs.incomplete_why : "",
			w->files_incomplete ? ")" : "");
	fprintf(stderr, "\n");
	report_incomplete(s);
}

/* Where frame timestamps come from, in a word or three, for the start line. */
static const char *timestamp_source(const struct capture_iface *ci)
{
	if (ci->mode == CAPTURE_MODE_BYPASS && ci->cls.variant.meta == VPNCAP_META_NONE)
		return "per batch";
	return ci->cls.hw_timestamps ? "by the nic where it stamps, else at the hook" : "at the hook";
}

void session_announce(const struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		const struct capture_iface *ci = &s->ifaces[i];
		char into[4096 + 200];

		if (s->has_output)
			snprintf(into, sizeof(into), "%s (%s)", s->opts->output, s->output_io_said);
		else
			snprintf(into, sizeof(into), "the terminal only");

		if (ci->mode == CAPTURE_MODE_INLINE)
			log_info("capturing on %s (inline, both directions: xdp %s, %s, tc egress %s; timestamps %s) into %s",
				 ci->info.name, xdp_mode_name(ci->cls.mode),
				 hook_kind_name(ci->cls.hook),
				 tc_egress_kind_name(ci->cls.egress.kind), timestamp_source(ci), into);
		else
			log_info("capturing on %s (%u queue%s, xdp %s, %s, af_xdp %s; timestamps %s) into %s",
				 ci->info.name, ci->n_queues, ci->n_queues == 1 ? "" : "s",
				 xdp_mode_name(ci->cls.mode), hook_kind_name(ci->cls.hook),
				 ci->queues[0].zero_copy ? "zero-copy" : "copy", timestamp_source(ci),
				 into);
	}
}
