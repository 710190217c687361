// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"

/* ---- setup ------------------------------------------------------------ */

static int choose_queues(struct capture_iface *ci, const struct capture_opts *o,
			 char *err, size_t errlen)
{
	unsigned int i;

	if (!o->n_queues) {
		ci->n_queues = ci->info.rx_queues < CAPTURE_MAX_QUEUES ?
			ci->info.rx_queues : CAPTURE_MAX_QUEUES;
		for (i = 0; i < ci->n_queues; i++)
			ci->queues[i].queue_id = i;
		return 0;
	}
	for (i = 0; i < o->n_queues; i++) {
		if (o->queues[i] >= ci->info.rx_queues) {
			err_set(err, errlen, "%s: queue %u does not exist (%u RX queue%s)",
				ci->info.name, o->queues[i], ci->info.rx_queues,
				ci->info.rx_queues == 1 ? "" : "s");
			return -EINVAL;
		}
		ci->queues[i].queue_id = o->queues[i];
	}
	ci->n_queues = o->n_queues;
	return 0;
}

/*
 * Bypass takes matched frames away from the host, so it is only for a port
 * nothing on the host uses (hook/host_use.h says what counts): --mode auto
 * chooses it only there, and --mode bypass elsewhere needs --force-bypass.
 */
static int choose_mode(struct capture_iface *ci, const struct capture_opts *o,
		       char *err, size_t errlen)
{
	host_use_of(&ci->info, &ci->host_use);
	ci->auto_mode = o->mode == CAPTURE_MODE_AUTO;
	if (!ci->auto_mode) {
		ci->mode = o->mode;
		if (o->mode != CAPTURE_MODE_BYPASS || ci->host_use.kind == HOST_USE_NONE ||
		    o->force_bypass)
			return 0;
		err_set(err, errlen,
			"%s: %s, so the host may need its traffic, and --mode bypass would take the matched frames away from it; "
			"use --mode auto or inline, or --force-bypass if the host does not need them",
			ci->info.name, ci->host_use.why);
		return -EINVAL;
	}
	ci->mode = ci->host_use.kind == HOST_USE_NONE ? CAPTURE_MODE_BYPASS : CAPTURE_MODE_INLINE;
	if (ci->mode == CAPTURE_MODE_INLINE && o->unmatched == VPNCAP_UNMATCHED_DROP) {
		err_set(err, errlen,
			"%s: %s, so --mode auto captures inline, which never drops frames; "
			"--unmatched drop needs --mode bypass",
			ci->info.name, ci->host_use.why);
		return -EINVAL;
	}
	return 0;
}

const char *session_mode_name(enum capture_mode mode)
{
	return mode == CAPTURE_MODE_INLINE ? "inline" : "bypass";
}

/*
 * -i NAME, else -i IDX as `vpncap list` prints it (the ifindex): a number
 * is an index only when no interface has it for a name.
 */
static int lookup_name_or_index(const char *name, struct iface_info *info, char *err,
				size_t errlen)
{
	char by_index[IF_NAMESIZE];
	unsigned long idx;
	char *end;

	if (!iface_lookup(name, info, err, errlen))
		return 0;
	if (*name < '0' || *name > '9')
		return -ENODEV;
	errno = 0;
	idx = strtoul(name, &end, 10);
	if (errno || *end || !idx || idx > 0x7fffffff ||
	    !if_indextoname((unsigned int)idx, by_index)) {
		err_set(err, errlen, "%s: no interface has that name or index (vpncap list shows both)",
			name);
		return -ENODEV;
	}
	return iface_lookup(by_index, info, err, errlen);
}

/* Checks that touch nothing: a failure here is bad usage (exit 2). */
int session_check_iface(struct capture_iface *ci, const char *name,
			const struct capture_opts *o, char *err, size_t errlen)
{
	int ret = lookup_name_or_index(name, &ci->info, err, errlen);

	if (ret)
		return ret;
	ret = choose_mode(ci, o, err, errlen);
	if (ret)
		return ret;
	return choose_queues(ci, o, err, errlen);
}

/*
 * Multi-buffer frames go to the sockets only when every socket of the
 * interface took XDP_USE_SG; otherwise the classifier copies them through
 * the ring buffer (whole up to 64 KiB, longer ones cut and counted).
 */
/* The driver's refusal of XDP_USE_SG on one of the sockets, or NULL. */
static const char *driver_refused_sg(const struct capture_iface *ci)
{
	unsigned int i;

	for (i = 0; i < ci->n_queues; i++)
		if (xsk_rx_sg_refused(&ci->queues[i]))
			return xsk_rx_sg_refused(&ci->queues[i]);
	return NULL;
}

static void choose_multi_buffer(const struct capture_session *s, struct capture_iface *ci)
{
	int sg = kernel_has(&s->kf, KFEAT_XSK_SG) && !driver_refused_sg(ci);

	if (classifier_set_xsk_sg(&ci->cls, sg))
		log_error("%s: cannot set up multi-buffer frames: %s", ci->info.name,
			  strerror(errno));
}

static int open_sockets(const struct capture_session *s, struct capture_iface *ci,
			char *err, size_t errlen)
{
	int map_fd = classifier_xsks_map_fd(&ci->cls);
	struct xsk_rx_config cfg;
	unsigned int i;
	int ret;

	cfg = (struct xsk_rx_config){
		.copy = s->opts->copy,
		.umem_frames = s->opts->umem_frames,
		.rx_ring = s->opts->rx_ring,
		.fill_ring = s->opts->fill_ring,
		.busy_poll = s->opts->busy_poll,
		.want_sg = kernel_has(&s->kf, KFEAT_XSK_SG),
	};
	for (i = 0; i < ci->n_queues; i++) {
		ret = xsk_rx_open(&ci->queues[i], ci->info.name, ci->queues[i].queue_id,
				  &cfg, map_fd, err, errlen);
		if (ret) {
			while (i--)
				xsk_rx_close(&ci->queues[i]);
			ci->n_queues = 0;
			return ret;
		}
	}
	choose_multi_buffer(s, ci);
	return 0;
}

/*
 * A bypass capture hides the matched frames from every other capture on the
 * port: tcpdump and xdpdump see only what reaches the stack, and xdpdump
 * cannot attach beside a program that is not libxdp's. Said once, at start.
 */
static void announce_mode(const struct capture_iface *ci)
{
	if (ci->auto_mode && ci->mode == CAPTURE_MODE_INLINE)
		log_info("%s: --mode auto chose inline: %s, so matched frames are copied and the host keeps its traffic",
			 ci->info.name, ci->host_use.why);
	else if (ci->auto_mode)
		log_info("%s: --mode auto chose bypass: nothing on the host uses the interface (no address, master, upper device or route), so matched frames are taken off it",
			 ci->info.name);
	else if (ci->mode == CAPTURE_MODE_BYPASS && ci->host_use.kind != HOST_USE_NONE)
		log_info("%s: warning: --force-bypass: %s, yet matched frames are taken away from the host",
			 ci->info.name, ci->host_use.why);
	if (ci->mode == CAPTURE_MODE_BYPASS)
		log_info("%s: bypass: other captures on %s (tcpdump, xdpdump) do not see the matched frames while vpncap runs",
			 ci->info.name, ci->info.name);
}

/* What this interface's capture lost to the kernel or its driver, as attached. */
void session_find_degradations(const struct capture_session *s, struct capture_iface *ci)
{
	struct degrade_facts f = {
		.kf = &s->kf,
		.inline_mode = ci->mode == CAPTURE_MODE_INLINE,
		.variant = ci->cls.variant,
		.hook = ci->cls.hook,
		.hw_timestamps = ci->cls.hw_timestamps,
		.bpffs = ci->cls.bpffs,
		.egress_clsact = ci->cls.egress.kind == TC_EGRESS_CLSACT,
		.sg_refused = driver_refused_sg(ci),
	};

	ci->n_degraded = degradations_list(&f, ci->degraded);
}

/* One line each; those that cost the user nothing only with -v. */
static void announce_degradations(const struct capture_iface *ci)
{
	unsigned int i;

	for (i = 0; i < ci->n_degraded; i++) {
		if (ci->degraded[i].notable)
			log_info("%s: %s", ci->info.name, ci->degraded[i].text);
		else
			log_debug("%s: %s", ci->info.name, ci->degraded[i].text);
	}
}

/*
 * Maps filled and sockets bound first, so the first frame after attach is
 * captured. Inline needs no AF_XDP socket, but every interface has the ring:
 * bypass sends it the multi-buffer frames AF_XDP cannot take.
 */
/*
 * Expressions run through tail calls, which the device-bound program of
 * hardware stamps may not make: with expressions, auto means software.
 */
static enum ts_choice timestamps_for(const struct capture_session *s,
				     const struct capture_iface *ci)
{
	if (!s->exprs.n || s->opts->timestamps != TS_CHOICE_AUTO)
		return s->opts->timestamps;
	log_info("%s: timestamps taken at the hook in software: the expressions need the classifier that may tail-call (hardware stamps need a device-bound one, which may not)",
		 ci->info.name);
	return TS_CHOICE_SOFTWARE;
}

int session_start_iface(struct capture_session *s, struct capture_iface *ci,
			char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	unsigned int i;
	int ret;

	ret = classifier_open(&ci->cls, ci->info.name, ci->info.ifindex, o->ring_size, &s->kf,
			      err, errlen);
	if (ret)
		return ret;
	ci->cls.keep_lock = 1; /* until the sockets are closed too (session_stop_iface) */
	ci->cls.bpffs = s->bpffs;
	if (ci->mode == CAPTURE_MODE_INLINE && !ci->cls.variant.can_copy_rx) {
		err_set(err, errlen, "%s: inline capture needs bpf_xdp_load_bytes (Linux 5.18) or bpf_probe_read_kernel in XDP programs, and kernel %s refuses both; on a port the host does not use, --mode bypass works",
			ci->info.name, s->kf.release);
		return -EOPNOTSUPP;
	}
	ci->cls.frag_timeout_ns = o->fragment_timeout_ms * 1000000ull;
	ci->cls.host_window_ns = o->fragment_window_ms * 1000000ull;
	ci->cls.bpf_mode = ci->mode == CAPTURE_MODE_INLINE ? VPNCAP_MODE_INLINE : VPNCAP_MODE_BYPASS;
	ci->cls.snaplen = o->snaplen;
	ret = classifier_apply_rules(&ci->cls, &s->rules, o->unmatched);
	if (ret) {
		err_set(err, errlen, "%s: cannot fill the classifier maps: %s", ci->info.name,
			strerror(-ret));
		return ret;
	}
	if (ci->mode == CAPTURE_MODE_BYPASS) {
		ret = open_sockets(s, ci, err, errlen);
		if (ret)
			return ret;
	} else {
		ci->n_queues = 0;
	}
	classifier_set_timestamps(&ci->cls, timestamps_for(s, ci));
	ci->cls.tail_calls = s->exprs.n > 0;
	ret = ring_rx_open(&ci->ring, classifier_ring_fd(&ci->cls), session_on_ring_frame, &ci->ring_ctx);
	if (ret) {
		err_set(err, errlen, "%s: cannot map the capture ring buffer: %s", ci->info.name,
			strerror(-ret));
		return ret;
	}
	ci->ring_open = 1;
	ret = classifier_attach(&ci->cls, o->xdp_mode, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < ci->n_queues; i++)
		xsk_rx_set_meta_place(&ci->queues[i], ci->cls.variant.meta);
	if (ci->mode == CAPTURE_MODE_INLINE) {
		ret = classifier_attach_egress(&ci->cls, err, errlen);
		if (ret)
			return ret;
	}
	ret = session_start_exprs(s, ci, err, errlen);
	if (ret)
		return ret;
	announce_mode(ci);
	session_find_degradations(s, ci);
	announce_degradations(ci);
	ret = iface_ensure_up(ci->info.name);
	if (ret == 1)
		log_info("%s: link was down; set up for capture (left up at exit)", ci->info.name);
	else if (ret < 0)
		log_error("%s: cannot set the link up: %s", ci->info.name, strerror(-ret));
	return 0;
}

/*
 * 1 + the index of the first interface the kernel no longer has (deleted,
 * unplugged, moved to another namespace), or 0. By index: a renamed
 * interface is still the one captured.
 */
unsigned int session_find_gone_iface(const struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		if (!s->ifaces[i].gone && iface_gone(s->ifaces[i].info.ifindex))
			return i + 1;
	return 0;
}

void session_stop_iface(struct capture_iface *ci)
{
	unsigned int i;

	classifier_close(&ci->cls);
	for (i = 0; i < ci->n_queues; i++)
		xsk_rx_close(&ci->queues[i]);
	ci->n_queues = 0;
	if (ci->ring_open)
		ring_rx_close(&ci->ring);
	ci->ring_open = 0;
	classifier_unlock(&ci->cls);
}
