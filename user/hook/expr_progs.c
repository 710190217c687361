// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vpncap_classifier.skel.h"
#include "hook/cbpf_xlate.h"
#include "hook/expr.h"
#include "hook/expr_progs.h"
#include "log.h"

#define VERIFIER_LOG_LEN (64 * 1024)

/* The attached object's program array for one hook. */
static int progs_fd(const struct classifier *c, enum xlate_hook hook)
{
	return bpf_map__fd(hook == XLATE_XDP ? c->skel->maps.expr_progs_xdp :
					       c->skel->maps.expr_progs_tc);
}

/* Multi-buffer aware exactly as the attached program: the array's owner says so. */
static void set_frags(struct bpf_program *prog, int frags)
{
	__u32 flags = bpf_program__flags(prog) & ~BPF_F_XDP_HAS_FRAGS;

	bpf_program__set_flags(prog, flags | (frags ? BPF_F_XDP_HAS_FRAGS : 0));
}

static int put_prog(int map_fd, __u32 slot, int prog_fd)
{
	return bpf_map_update_elem(map_fd, &slot, &prog_fd, BPF_ANY) ? -errno : 0;
}

/*
 * The classifier once more, with expr_resume set, on the same maps and
 * program arrays: the slot VPNCAP_EXPR_RESUME of both arrays.
 */
static int load_resume(struct classifier *c, char *err, size_t errlen)
{
	struct vpncap_classifier *skel;
	int ret;

	if (c->resume_skel)
		return 0;
	skel = vpncap_classifier__open();
	if (!skel) {
		err_set(err, errlen, "cannot open the classifier object again: %s", strerror(errno));
		return -errno;
	}
	ret = classifier_reuse_maps(c, skel->obj);
	if (!ret)
		ret = bpf_map__reuse_fd(skel->maps.expr_progs_xdp, progs_fd(c, XLATE_XDP));
	if (!ret)
		ret = bpf_map__reuse_fd(skel->maps.expr_progs_tc, progs_fd(c, XLATE_TC));
	if (ret)
		goto fail;
	classifier_variant_apply(skel, &c->variant);
	set_frags(skel->progs.vpncap_xdp, c->frags);
	skel->rodata->expr_resume = 1;
	ret = vpncap_classifier__load(skel);
	if (!ret)
		ret = put_prog(progs_fd(c, XLATE_XDP), VPNCAP_EXPR_RESUME,
			       bpf_program__fd(skel->progs.vpncap_xdp));
	if (!ret)
		ret = put_prog(progs_fd(c, XLATE_TC), VPNCAP_EXPR_RESUME,
			       bpf_program__fd(skel->progs.vpncap_tc_egress));
	if (ret)
		goto fail;
	c->resume_skel = skel;
	return 0;
fail:
	err_set(err, errlen, "cannot load the classifier's resume copy: %s", strerror(-ret));
	vpncap_classifier__destroy(skel);
	return ret;
}

/* The verifier's last complete line: why it refused. */
static const char *last_line(char *log)
{
	size_t n = strlen(log);
	char *p;

	while (n && log[n - 1] == '\n')
		log[--n] = '\0';
	p = strrchr(log, '\n');
	return p ? p + 1 : log;
}

static int load_xlated(const struct classifier *c, enum xlate_hook hook,
		       const struct xlate_out *x, char *err, size_t errlen)
{
	static char log[VERIFIER_LOG_LEN];
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	enum bpf_prog_type type = hook == XLATE_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
	const char *why;
	int fd, ret;

	if (hook == XLATE_XDP && c->frags)
		opts.prog_flags = BPF_F_XDP_HAS_FRAGS;
	/*
	 * Linux 6.17+ also wants the attach type of the array's owner (the
	 * attached classifier, as libbpf loaded it).
	 */
	opts.expected_attach_type = bpf_program__expected_attach_type(
		hook == XLATE_XDP ? c->skel->progs.vpncap_xdp : c->skel->progs.vpncap_tc_egress);
	fd = bpf_prog_load(type, "vpncap_expr", "GPL", (const struct bpf_insn *)x->insns, x->len,
			   &opts);
	if (fd >= 0)
		return fd;
	/* Again with the verifier's log, to say why. */
	log[0] = '\0';
	opts.log_buf = log;
	opts.log_size = sizeof(log);
	opts.log_level = 1;
	fd = bpf_prog_load(type, "vpncap_expr", "GPL", (const struct bpf_insn *)x->insns, x->len,
			   &opts);
	if (fd >= 0)
		return fd;
	ret = errno ? -errno : -EINVAL;
	why = log[0] ? last_line(log) : "";
	/* The verifier's statistics last: it accepted, the load failed after. */
	if (!*why || !strncmp(why, "processed ", 10))
		why = strerror(-ret);
	err_set(err, errlen, "the kernel refused the %s program: %s", hook == XLATE_XDP ? "XDP" : "TC",
		why);
	return ret;
}

/* Expression i of n into slot bank + i of one hook's array. */
static int install_one(struct classifier *c, enum xlate_hook hook, const struct expr_cbpf *cb,
		       unsigned int bank, unsigned int i, unsigned int n, char *err, size_t errlen)
{
	struct xlate_chain chain = {
		.state_map_fd = bpf_map__fd(c->skel->maps.expr_state),
		.progs_map_fd = progs_fd(c, hook),
		.dir = hook == XLATE_XDP ? VPNCAP_DIR_IN : VPNCAP_DIR_OUT,
		.bit = i,
		.next_slot = bank + i + 1,
		.bank_end = bank + n,
	};
	struct xlate_out x = { 0 };
	int fd, ret;

	if (cbpf_xlate(cb->insns, cb->len, hook, &chain, &x, err, errlen))
		return -EINVAL;
	fd = load_xlated(c, hook, &x, err, errlen);
	xlate_out_free(&x);
	if (fd < 0)
		return fd;
	ret = put_prog(chain.progs_map_fd, bank + i, fd);
	close(fd); /* the array holds the program */
	if (ret)
		err_set(err, errlen, "cannot put the program in expr_progs: %s", strerror(-ret));
	return ret;
}

/* Slots bank + from .. the bank's end: empty. */
static void empty_bank(const struct classifier *c, unsigned int bank, unsigned int from)
{
	unsigned int i;
	__u32 key;

	for (i = from; i < VPNCAP_MAX_EXPRS; i++) {
		key = bank + i;
		bpf_map_delete_elem(progs_fd(c, XLATE_XDP), &key);
		bpf_map_delete_elem(progs_fd(c, XLATE_TC), &key);
	}
}

static int install_text(struct classifier *c, const char *text, unsigned int bank, unsigned int i,
			unsigned int n, char *err, size_t errlen)
{
	struct expr_cbpf cb;
	int ret;

	if (expr_compile(text, &cb, err, errlen))
		return -EINVAL;
	ret = install_one(c, XLATE_XDP, &cb, bank, i, n, err, errlen);
	if (!ret)
		ret = install_one(c, XLATE_TC, &cb, bank, i, n, err, errlen);
	expr_cbpf_free(&cb);
	return ret;
}

int expr_progs_install(struct classifier *c, unsigned int slot, const char *const *texts,
		       unsigned int n, char *err, size_t errlen)
{
	unsigned int bank = VPNCAP_EXPR_BANK(slot & 1), i;
	int ret;

	/* No expressions: nothing to run, only a bank to empty if there is one. */
	if (!n) {
		if (c->skel)
			empty_bank(c, bank, 0);
		return 0;
	}
	if (!c->skel || c->hook == HOOK_NONE || n > VPNCAP_MAX_EXPRS) {
		err_set(err, errlen, "expressions need the attached classifier");
		return -EINVAL;
	}
	if (c->hook == HOOK_DISPATCHER && !dispatcher_can_tail_call(c->kf)) {
		err_set(err, errlen, "the program behind libxdp's dispatcher cannot tail-call into them; a capture started with expressions attaches alone (restart it)");
		return -EOPNOTSUPP;
	}
	if (c->hw_timestamps) {
		err_set(err, errlen, "expressions cannot run beside hardware timestamps (a device-bound program may not tail-call); --timestamps software runs them");
		return -EOPNOTSUPP;
	}
	ret = load_resume(c, err, errlen);
	for (i = 0; !ret && i < n; i++)
		ret = install_text(c, texts[i], bank, i, n, err, errlen);
	empty_bank(c, bank, ret ? 0 : n);
	return ret;
}
