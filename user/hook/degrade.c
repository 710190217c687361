// SPDX-License-Identifier: GPL-2.0-only
#include "hook/degrade.h"
#include "hook/xsk_rx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add(struct degradation *out, unsigned int *n, int notable, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct degradation *out, unsigned int *n, int notable, const char *fmt, ...)
{
	va_list ap;

	if (*n >= DEGRADE_MAX)
		return;
	out[*n].notable = notable;
	va_start(ap, fmt);
	vsnprintf(out[*n].text, sizeof(out[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

static const char *why(const struct kernel_features *kf, enum kfeat f)
{
	return kf->why[f][0] ? kf->why[f] : "refused";
}

/* Where bypass keeps each frame's timestamp, rule and class. */
static void metadata(const struct degrade_facts *f, struct degradation *out, unsigned int *n)
{
	if (f->inline_mode || f->variant.meta == VPNCAP_META_IN_AREA)
		return;
	if (f->variant.meta == VPNCAP_META_IN_HEAD)
		add(out, n, 0, "bpf_xdp_adjust_meta refused in XDP (%s): each frame's metadata travels in front of it and is stripped before writing",
		    why(f->kf, KFEAT_ADJUST_META));
	else
		add(out, n, 1, "bpf_xdp_adjust_meta and bpf_xdp_adjust_head refused in XDP (%s): timestamps per batch of frames, not per frame; no rule or class per frame",
		    why(f->kf, KFEAT_ADJUST_HEAD));
}

/* Alone on the hook: say why, since other XDP tools then cannot attach. */
static void hook(const struct degrade_facts *f, struct degradation *out, unsigned int *n)
{
	const char *alone = "the XDP program is attached alone: other XDP programs (xdpdump, xdp-loader) cannot share the interface";

	if (f->hook == HOOK_DISPATCHER || f->hook == HOOK_NONE || f->hw_timestamps)
		return;
	if (!kernel_has(f->kf, KFEAT_DISPATCHER))
		add(out, n, 1, "%s (the kernel refuses libxdp's dispatcher for a program that moves packet data: %s)",
		    alone, why(f->kf, KFEAT_DISPATCHER));
	else if (!f->bpffs)
		add(out, n, 1, "%s (no writable bpffs on /sys/fs/bpf for libxdp's dispatcher)", alone);
	else if (f->hook == HOOK_ALONE_LIBXDP)
		add(out, n, 1, "%s (libxdp could not load its dispatcher)", alone);
	else
		add(out, n, 1, "%s (libxdp could not attach it; -v says why)", alone);
}

#define COPIED_INSTEAD "frames larger than one %u-byte UMEM buffer are copied through the ring buffer instead (whole up to 64 KiB; longer ones cut and counted)"

static void frames(const struct degrade_facts *f, struct degradation *out, unsigned int *n)
{
	if (!kernel_has(f->kf, KFEAT_XDP_FRAGS))
		add(out, n, 1, "no multi-buffer XDP programs (Linux 5.18 or later): frames larger than a page are not seen");
	if (f->inline_mode && f->variant.copy == VPNCAP_XDP_COPY_PROBE_READ)
		add(out, n, 0, "no bpf_xdp_load_bytes (Linux 5.18 or later): received frames are copied with bpf_probe_read_kernel");
	if (f->inline_mode && f->egress_clsact)
		add(out, n, 0, "no tcx links (Linux 6.6 or later): transmitted frames through a clsact filter");
	if (f->inline_mode)
		return;
	if (!kernel_has(f->kf, KFEAT_XSK_SG))
		add(out, n, 1, "multi-buffer AF_XDP (XDP_USE_SG) refused: kernel %s has none (Linux 6.6 or later needed); " COPIED_INSTEAD,
		    f->kf->release, XSK_RX_FRAME_SIZE);
	else if (f->sg_refused)
		add(out, n, 1, "%s; " COPIED_INSTEAD, f->sg_refused, XSK_RX_FRAME_SIZE);
}

unsigned int degradations_list(const struct degrade_facts *f, struct degradation *out)
{
	unsigned int n = 0;

	metadata(f, out, &n);
	hook(f, out, &n);
	frames(f, out, &n);
	return n;
}

void degradations_comment(const struct kernel_features *kf, const struct degradation *d,
			  unsigned int n, char *buf, size_t len)
{
	size_t used;
	unsigned int i;

	if (!len)
		return;
	buf[0] = '\0';
	if (!n)
		return;
	used = (size_t)snprintf(buf, len, "kernel %s: ", kf->release);
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", d[i].text);
}
