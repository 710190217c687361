// SPDX-License-Identifier: GPL-2.0-only
#include "hook/tc_egress.h"
#include "log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * tcx attach type (kernel 6.6); Debian 12's uapi headers predate it, and
 * libbpf 1.1 passes an attach type it does not know straight to the kernel.
 */
#define VPNCAP_BPF_TCX_EGRESS 47

static const char *egress_hint(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return " (not permitted: run as root or with CAP_NET_ADMIN and CAP_BPF)";
	case EEXIST:
		return " (a filter with vpncap's handle is already there)";
	default:
		return "";
	}
}

static void clsact_ids(struct bpf_tc_hook *hook, struct bpf_tc_opts *opts, int ifindex)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_EGRESS;
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = TC_EGRESS_HANDLE;
	opts->priority = TC_EGRESS_PRIORITY;
}

/* The name of program id, truncated as the kernel keeps it. */
static int prog_name_of(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), ret;

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	ret = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	close(fd);
	if (ret)
		return -errno;
	snprintf(name, len, "%s", info.name);
	return 0;
}

void tc_egress_remove_orphan(int ifindex, const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	char name[BPF_OBJ_NAME_LEN];

	clsact_ids(&hook, &opts, ifindex);
	if (bpf_tc_query(&hook, &opts))
		return; /* no clsact, or no filter with vpncap's handle */
	if (prog_name_of(opts.prog_id, name, sizeof(name)) ||
	    strncmp(name, TC_EGRESS_PROG_NAME, strlen(name)))
		return; /* someone else's filter: leave it */
	log_info("%s: removing the TC egress filter of an earlier vpncap that did not exit cleanly",
		 ifname);
	clsact_ids(&hook, &opts, ifindex);
	bpf_tc_detach(&hook, &opts);
}

static int attach_clsact(struct tc_egress *t, int prog_fd)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret;

	clsact_ids(&hook, &opts, t->ifindex);
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	opts.prog_fd = prog_fd;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		return ret;
	t->kind = TC_EGRESS_CLSACT;
	return 0;
}

int tc_egress_attach(struct tc_egress *t, int ifindex, const char *ifname, int prog_fd,
		     int try_tcx, char *err, size_t errlen)
{
	int fd, ret;

	t->ifindex = ifindex;
	t->kind = TC_EGRESS_NONE;
	t->link_fd = -1;
	if (try_tcx) {
		fd = bpf_link_create(prog_fd, ifindex, VPNCAP_BPF_TCX_EGRESS, NULL);
		if (fd >= 0) {
			t->link_fd = fd;
			t->kind = TC_EGRESS_TCX;
			return 0;
		}
		ret = -errno;
		if (ret == -EPERM || ret == -EACCES) {
			err_set(err, errlen, "%s: TC egress attach refused: %s%s", ifname,
				strerror(-ret), egress_hint(ret));
			return ret;
		}
		log_info("%s: the kernel refused a tcx link (%s); attaching the egress program as a clsact filter",
			 ifname, strerror(-ret));
	} else {
		log_info("%s: the kernel has no tcx links (Linux 6.6 or later); attaching the egress program as a clsact filter",
			 ifname);
	}
	ret = attach_clsact(t, prog_fd);
	if (ret)
		err_set(err, errlen, "%s: TC egress attach (clsact) refused: %s%s", ifname,
			strerror(-ret), egress_hint(ret));
	return ret;
}

void tc_egress_detach(struct tc_egress *t, const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret;

	if (t->kind == TC_EGRESS_TCX) {
		close(t->link_fd); /* the last reference: the kernel detaches */
		t->link_fd = -1;
	} else if (t->kind == TC_EGRESS_CLSACT) {
		clsact_ids(&hook, &opts, t->ifindex);
		ret = bpf_tc_detach(&hook, &opts);
		if (ret)
			log_error("%s: TC egress detach failed: %s (remove with: tc filter del dev %s egress handle 0x%x prio %u bpf)",
				  ifname, strerror(-ret), ifname, TC_EGRESS_HANDLE, TC_EGRESS_PRIORITY);
	}
	t->kind = TC_EGRESS_NONE;
}

const char *tc_egress_kind_name(enum tc_egress_kind kind)
{
	switch (kind) {
	case TC_EGRESS_TCX:
		return "tcx";
	case TC_EGRESS_CLSACT:
		return "clsact";
	default:
		return "none";
	}
}
