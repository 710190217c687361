// SPDX-License-Identifier: GPL-2.0-only
#include "hook/kernel_probe.h"
#include "log.h"
#include "vpncap_probe_ext.skel.h"
#include "vpncap_probe_kfunc.skel.h"
#include "vpncap_probes.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define LACKS_ENV "VPNCAP_KERNEL_LACKS"
#define TRY_LIBXDP_ENV "VPNCAP_TRY_LIBXDP"

static const struct {
	const char *name, *what, *since;
} feats[KFEAT_COUNT] = {
	[KFEAT_ADJUST_META] = { "adjust_meta", "bpf_xdp_adjust_meta in XDP programs", "" },
	[KFEAT_ADJUST_HEAD] = { "adjust_head", "bpf_xdp_adjust_head in XDP programs", "" },
	[KFEAT_XDP_FRAGS] = { "xdp_frags", "multi-buffer XDP programs (xdp.frags)", "5.18" },
	[KFEAT_XDP_LOAD_BYTES] = { "xdp_load_bytes", "bpf_xdp_load_bytes in XDP programs", "5.18" },
	[KFEAT_PROBE_READ] = { "probe_read", "bpf_probe_read_kernel in XDP programs", "" },
	[KFEAT_RINGBUF] = { "ringbuf", "BPF ring buffer maps", "5.8" },
	[KFEAT_RX_KFUNCS] = { "rx_kfuncs", "XDP RX metadata kfuncs (NIC receive timestamps)", "6.3" },
	[KFEAT_TCX] = { "tcx", "tcx links for TC programs", "6.6" },
	[KFEAT_DISPATCHER] = { "dispatcher",
			       "libxdp's dispatcher holding a program that moves packet data", "" },
	[KFEAT_XSK_SG] = { "xsk_sg", "multi-buffer AF_XDP sockets (XDP_USE_SG)", "6.6" },
};

#define BIT(f) (1u << (f))

const char *kfeat_name(enum kfeat f)
{
	return f < KFEAT_COUNT ? feats[f].name : "?";
}

const char *kfeat_what(enum kfeat f)
{
	return f < KFEAT_COUNT ? feats[f].what : "?";
}

const char *kfeat_since(enum kfeat f)
{
	return f < KFEAT_COUNT ? feats[f].since : "";
}

int kernel_has(const struct kernel_features *kf, enum kfeat f)
{
	return f < KFEAT_COUNT && (kf->have & BIT(f));
}

void kernel_describe(const struct kernel_features *kf, FILE *f)
{
	int i, lacks = 0;

	if (!kf->probed) {
		fprintf(f, "kernel %s features: not probed: %s\n", kf->release, kf->unprobed);
		return;
	}
	fprintf(f, "kernel %s features:", kf->release);
	for (i = 0; i < KFEAT_COUNT; i++)
		if (kernel_has(kf, (enum kfeat)i))
			fprintf(f, " %s", kfeat_name((enum kfeat)i));
	for (i = 0; i < KFEAT_COUNT; i++)
		if (!kernel_has(kf, (enum kfeat)i))
			fprintf(f, "%s %s", lacks++ ? "" : "; lacks:", kfeat_name((enum kfeat)i));
	fputc('\n', f);
}

/* What vpncap does without f, given the rest of kf; *costly: the user loses something. */
const char *kfeat_effect(const struct kernel_features *kf, enum kfeat f, int *costly)
{
	static const char per_batch[] =
		"bypass: timestamps per batch of frames, not per frame, and no rule or class per frame";
	static const char no_inline[] = "no inline capture of received frames";

	*costly = 1;
	switch (f) {
	case KFEAT_ADJUST_META:
		*costly = !kernel_has(kf, KFEAT_ADJUST_HEAD);
		return *costly ? per_batch :
		       "each frame's metadata travels in front of it (bpf_xdp_adjust_head) instead";
	case KFEAT_ADJUST_HEAD:
		*costly = !kernel_has(kf, KFEAT_ADJUST_META);
		return *costly ? per_batch : "not needed: the metadata area is used";
	case KFEAT_XDP_FRAGS:
		return "frames larger than a page are not seen (jumbo frames, GRO frames on veth)";
	case KFEAT_XDP_LOAD_BYTES:
		*costly = !kernel_has(kf, KFEAT_PROBE_READ);
		return *costly ? no_inline :
		       "inline copies read received frames with bpf_probe_read_kernel instead";
	case KFEAT_PROBE_READ:
		*costly = !kernel_has(kf, KFEAT_XDP_LOAD_BYTES);
		return *costly ? no_inline : "not needed: bpf_xdp_load_bytes is used";
	case KFEAT_RINGBUF:
		return "no capture at all: vpncap needs it";
	case KFEAT_RX_KFUNCS:
		return "no NIC receive timestamps: frames are stamped at the XDP hook";
	case KFEAT_TCX:
		return "inline: transmitted frames are taken through a clsact filter instead of a tcx link";
	case KFEAT_DISPATCHER:
		return "vpncap's XDP program is attached alone: other XDP programs cannot share the interface";
	case KFEAT_XSK_SG:
		return "bypass: frames larger than one AF_XDP buffer are copied through the ring buffer (whole up to 64 KiB)";
	default:
		*costly = 0;
		return "";
	}
}

int kernel_lacks_parse(const char *list, uint32_t *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		int f, found = -1;

		for (f = 0; f < KFEAT_COUNT && n; f++)
			if (strlen(feats[f].name) == n && !strncmp(p, feats[f].name, n))
				found = f;
		if (found < 0 && n) {
			err_set(err, errlen, "%s: unknown kernel feature '%.*s'", LACKS_ENV,
				(int)(n > 40 ? 40 : n), p);
			err_one_line(err, errlen);
			return -EINVAL;
		}
		if (found >= 0)
			*mask |= BIT(found);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void kernel_deny(struct kernel_features *kf, uint32_t mask)
{
	int f;

	for (f = 0; f < KFEAT_COUNT; f++) {
		if (!(mask & BIT(f)))
			continue;
		kf->have &= ~BIT(f);
		kf->denied |= BIT(f);
		snprintf(kf->why[f], sizeof(kf->why[f]), "turned off by %s", LACKS_ENV);
	}
}

/* ---- probe loads ---------------------------------------------------------- */

/* Probes fail by design: keep libbpf's warnings about them out of the user's way. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/*
 * The verifier's last words before its statistics line ("program of this
 * type cannot use helper bpf_xdp_adjust_meta#54"), or the errno.
 */
static void refusal(const char *log, int err, char *why, size_t len)
{
	const char *end = strstr(log, "\nprocessed ");
	const char *start;

	if (!end)
		end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		end--;
	start = end;
	while (start > log && start[-1] != '\n')
		start--;
	if (end > start)
		snprintf(why, len, "%.*s", (int)(end - start), start);
	else
		snprintf(why, len, "the kernel refused the load: %s", strerror(err > 0 ? err : -err));
}

/* Load obj with only prog in it. 0, or the error with the kernel's reason in why. */
static int load_alone(struct bpf_object *obj, struct bpf_program *only, char *why, size_t len)
{
	char log[16384];
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == only);
	log[0] = '\0';
	bpf_program__set_log_buf(only, log, sizeof(log));
	bpf_program__set_log_level(only, 1);
	err = bpf_object__load(obj);
	if (err)
		refusal(log, err, why, len);
	return err;
}

static void set_result(struct kernel_features *kf, enum kfeat f, int ok)
{
	if (ok) {
		kf->have |= BIT(f);
		kf->why[f][0] = '\0';
	} else {
		kf->have &= ~BIT(f);
	}
}

/* One program of probes.bpf.c, in an object of its own. */
static void probe_program(struct kernel_features *kf, enum kfeat f,
			  struct bpf_program *(*pick)(struct vpncap_probes *))
{
	struct vpncap_probes *skel = vpncap_probes__open();

	if (!skel) {
		snprintf(kf->why[f], KFEAT_WHY_LEN, "cannot open the probe: %s", strerror(errno));
		set_result(kf, f, 0);
		return;
	}
	set_result(kf, f, !load_alone(skel->obj, pick(skel), kf->why[f], KFEAT_WHY_LEN));
	vpncap_probes__destroy(skel);
}

/* Can this process load an XDP program at all? */
static int probe_baseline(struct kernel_features *kf)
{
	struct vpncap_probes *skel = vpncap_probes__open();
	int err = skel ? load_alone(skel->obj, skel->progs.probe_baseline, kf->unprobed,
				    sizeof(kf->unprobed)) : -errno;

	if (err == -EPERM || err == -EACCES)
		snprintf(kf->unprobed, sizeof(kf->unprobed),
			 "not permitted to load BPF programs (run as root, or with CAP_BPF and CAP_NET_ADMIN)");
	else if (err && !kf->unprobed[0])
		snprintf(kf->unprobed, sizeof(kf->unprobed), "cannot load a BPF program: %s",
			 strerror(-err));
	vpncap_probes__destroy(skel);
	return !err;
}

static struct bpf_program *pick_adjust_meta(struct vpncap_probes *s)
{
	return s->progs.probe_adjust_meta;
}

static struct bpf_program *pick_adjust_head(struct vpncap_probes *s)
{
	return s->progs.probe_adjust_head;
}

static struct bpf_program *pick_xdp_frags(struct vpncap_probes *s)
{
	return s->progs.probe_xdp_frags;
}

static struct bpf_program *pick_xdp_load_bytes(struct vpncap_probes *s)
{
	return s->progs.probe_xdp_load_bytes;
}

static struct bpf_program *pick_probe_read(struct vpncap_probes *s)
{
	return s->progs.probe_probe_read;
}

/* An extension that moves packet data, into a stand-in of libxdp's dispatcher. */
static void probe_dispatcher(struct kernel_features *kf)
{
	char *why = kf->why[KFEAT_DISPATCHER];
	struct vpncap_probes *host = vpncap_probes__open();
	struct vpncap_probe_ext *ext = NULL;
	int ok = 0;

	if (!host || load_alone(host->obj, host->progs.probe_dispatcher, why, KFEAT_WHY_LEN))
		goto out;
	ext = vpncap_probe_ext__open();
	if (!ext || bpf_program__set_attach_target(ext->progs.probe_ext,
						   bpf_program__fd(host->progs.probe_dispatcher),
						   "probe_slot"))
		goto out;
	ok = !load_alone(ext->obj, ext->progs.probe_ext, why, KFEAT_WHY_LEN);
out:
	if (!ok && !why[0])
		snprintf(why, KFEAT_WHY_LEN, "cannot set up the probe: %s", strerror(errno));
	set_result(kf, KFEAT_DISPATCHER, ok);
	vpncap_probe_ext__destroy(ext);
	vpncap_probes__destroy(host);
}

static void probe_rx_kfuncs(struct kernel_features *kf)
{
	struct vpncap_probe_kfunc *skel = vpncap_probe_kfunc__open();
	char *why = kf->why[KFEAT_RX_KFUNCS];
	int ok = 0;

	if (skel) {
		ok = !load_alone(skel->obj, skel->progs.probe_rx_kfunc, why, KFEAT_WHY_LEN);
		/*
		 * Later kernels know the kfunc but take it only in a program
		 * bound to a device, which the probe has none to bind to.
		 */
		if (!ok && strstr(why, "require device-bound"))
			ok = 1;
		/* libbpf itself refuses a kfunc missing from the kernel's BTF. */
		else if (!ok && !strncmp(why, "the kernel refused the load", 27))
			snprintf(why, KFEAT_WHY_LEN, "no bpf_xdp_metadata_rx_timestamp in the kernel (Linux 6.3 or later needed)");
	}
	set_result(kf, KFEAT_RX_KFUNCS, ok);
	vpncap_probe_kfunc__destroy(skel);
}

static void probe_ringbuf(struct kernel_features *kf)
{
	int ok = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;

	if (!ok)
		snprintf(kf->why[KFEAT_RINGBUF], KFEAT_WHY_LEN, "the kernel cannot create one");
	set_result(kf, KFEAT_RINGBUF, ok);
}

/* ---- facts from the kernel's BTF ------------------------------------------- */

/*
 * tcx and multi-buffer AF_XDP cannot be tried without attaching to or
 * binding an interface; the kernel's own types say whether they exist.
 */
static int btf_has_enum_value(const struct btf *btf, const char *enum_name, const char *value)
{
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;
	int i;

	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), value))
			return 1;
	return 0;
}

static int btf_has_member(const struct btf *btf, const char *struct_name, const char *member)
{
	int id = btf__find_by_name_kind(btf, struct_name, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;
	int i;

	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return 1;
	return 0;
}

static void probe_btf_facts(struct kernel_features *kf)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int tcx = 0, sg = 0;

	if (!libbpf_get_error(btf)) {
		tcx = btf_has_enum_value(btf, "bpf_attach_type", "BPF_TCX_EGRESS");
		sg = btf_has_member(btf, "xdp_sock", "sg");
		btf__free(btf);
	}
	set_result(kf, KFEAT_TCX, tcx);
	if (!tcx)
		snprintf(kf->why[KFEAT_TCX], KFEAT_WHY_LEN, "no BPF_TCX_EGRESS attach type (Linux 6.6 or later needed)");
	set_result(kf, KFEAT_XSK_SG, sg);
	if (!sg)
		snprintf(kf->why[KFEAT_XSK_SG], KFEAT_WHY_LEN, "AF_XDP sockets have no multi-buffer support (Linux 6.6 or later needed)");
}

int kernel_probe(struct kernel_features *kf, char *err, size_t errlen)
{
	const char *lacks = getenv(LACKS_ENV);
	libbpf_print_fn_t old;
	struct utsname u;
	uint32_t deny = 0;
	int ret;

	memset(kf, 0, sizeof(*kf));
	ret = kernel_lacks_parse(lacks, &deny, err, errlen);
	if (ret)
		return ret;
	snprintf(kf->release, sizeof(kf->release), "%s", uname(&u) ? "?" : u.release);
	kf->try_libxdp = getenv(TRY_LIBXDP_ENV) && !strcmp(getenv(TRY_LIBXDP_ENV), "1");
	old = libbpf_set_print(quiet_print);
	kf->probed = probe_baseline(kf);
	if (!kf->probed) {
		libbpf_set_print(old);
		for (ret = 0; ret < KFEAT_COUNT; ret++)
			snprintf(kf->why[ret], KFEAT_WHY_LEN, "unknown: %.140s", kf->unprobed);
		return 0;
	}
	probe_program(kf, KFEAT_ADJUST_META, pick_adjust_meta);
	probe_program(kf, KFEAT_ADJUST_HEAD, pick_adjust_head);
	probe_program(kf, KFEAT_XDP_FRAGS, pick_xdp_frags);
	probe_program(kf, KFEAT_XDP_LOAD_BYTES, pick_xdp_load_bytes);
	probe_program(kf, KFEAT_PROBE_READ, pick_probe_read);
	probe_ringbuf(kf);
	probe_rx_kfuncs(kf);
	probe_dispatcher(kf);
	probe_btf_facts(kf);
	libbpf_set_print(old);
	kernel_deny(kf, deny);
	if (deny)
		log_debug("%s=%s: treating those kernel features as missing", LACKS_ENV, lacks);
	return 0;
}
