// SPDX-License-Identifier: GPL-2.0-only
#include "hook/classifier.h"
#include "hook/iface.h"
#include "log.h"
#include "vpncap_classifier.skel.h"
#include "vpncap_classifier_hwts.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)   /* Linux 6.3 uapi */
#endif

#define BPFFS_PATH "/sys/fs/bpf"
#define LOCK_DIR "/run/vpncap"
#define PROG_NAME "vpncap_xdp"

int bpffs_ensure_mounted(char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(BPFFS_PATH, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	/* `ip netns exec` remounts /sys and hides the host's bpffs. */
	mkdir(BPFFS_PATH, 0700);
	if (mount("bpf", BPFFS_PATH, "bpf", 0, "mode=0700")) {
		int e = errno;

		err_set(err, errlen, "%s: cannot mount bpffs: %s%s", BPFFS_PATH, strerror(e),
			e == EPERM ? " (not permitted: vpncap needs root, or CAP_SYS_ADMIN, CAP_BPF and CAP_NET_ADMIN)" : "");
		return -e;
	}
	log_debug("mounted bpffs on %s", BPFFS_PATH);
	return 0;
}

/*
 * Maps every load of the object shares. Not the read-only switches, and not
 * the program arrays of the expressions: a program array takes the first
 * program that uses it as its owner (type, multi-buffer or not), and a retry
 * of the attach may load the program differently; each object gets its own,
 * and the expressions (expr_progs.c) use the attached object's.
 */
static int map_is_shared(const struct bpf_map *map)
{
	return !bpf_map__is_internal(map) && bpf_map__type(map) != BPF_MAP_TYPE_PROG_ARRAY;
}

/*
 * Create a map like the object's definition and make the object use it, so
 * it can be filled before the program is loaded and attached. vpncap keeps
 * its own reference: every try to attach opens the object anew on the same
 * maps. The read-only switches (.rodata) are not shared: each object gets
 * its own, frozen with the variant's values at load.
 */
static int precreate_map(struct classifier *c, struct bpf_map *map)
{
	int fd, err;

	if (!map_is_shared(map))
		return 0;
	if (c->n_map_fds == CLASSIFIER_MAX_MAPS)
		return -E2BIG;
	fd = bpf_map_create(bpf_map__type(map), bpf_map__name(map),
			    bpf_map__key_size(map), bpf_map__value_size(map),
			    bpf_map__max_entries(map), NULL);
	if (fd < 0)
		return -errno;
	err = bpf_map__reuse_fd(map, fd); /* takes its own duplicate */
	c->map_fds[c->n_map_fds++] = fd;
	return err;
}

/* The file fd has open is still the one at path (not removed, not replaced). */
static int lock_file_is_at(int fd, const char *path)
{
	struct stat held, now;

	return fstat(fd, &held) == 0 && lstat(path, &now) == 0 &&
	       held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

/*
 * One vpncap per interface: an flock on /run/vpncap/<netns>-<ifname>.lock.
 * The kernel drops it when the process dies, however it dies, so holding it
 * also proves that any vpncap program still on the interface is orphaned.
 *
 * The file is removed at exit (classifier_unlock), else one per namespace
 * and interface would pile up in /run: every lab or container namespace
 * leaves one. That races with a newcomer that opened the file just before:
 * the holder removes it while still holding the lock, and whoever gets the
 * lock checks that the file it locked is still the one at the path, else
 * starts again on the file now there. So two never hold it at once.
 */
static int lock_interface(struct classifier *c, char *err, size_t errlen)
{
	struct stat ns;
	int fd, tries;

	if (stat("/proc/self/ns/net", &ns))
		ns.st_ino = 0;
	mkdir(LOCK_DIR, 0750);
	snprintf(c->lock_path, sizeof(c->lock_path), LOCK_DIR "/%lu-%s.lock",
		 (unsigned long)ns.st_ino, c->ifname);
	for (tries = 0; tries < 100; tries++) {
		fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0) {
			int e = errno;

			err_set(err, errlen, "%s: cannot create %s: %s%s", c->ifname, c->lock_path,
				strerror(e), e == EACCES ? " (not permitted: run as root)" : "");
			return -e;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			err_set(err, errlen, "%s: another vpncap is capturing on this interface",
				c->ifname);
			return -EBUSY;
		}
		if (lock_file_is_at(fd, c->lock_path)) {
			c->lock_fd = fd;
			return 0;
		}
		close(fd); /* its holder removed it as we opened it: take the new one */
	}
	err_set(err, errlen, "%s: %s keeps being replaced; another vpncap is starting on this interface",
		c->ifname, c->lock_path);
	return -EBUSY;
}

/* Removed while still held (see lock_interface), and only if it is still ours. */
void classifier_unlock(struct classifier *c)
{
	if (c->lock_fd < 0 || !c->lock_path[0]) /* never opened (a zeroed classifier) */
		return;
	if (lock_file_is_at(c->lock_fd, c->lock_path) && unlink(c->lock_path))
		log_debug("%s: cannot remove %s: %s", c->ifname, c->lock_path, strerror(errno));
	close(c->lock_fd);
	c->lock_fd = -1;
}

/* Detach vpncap programs left by a run that was killed (SIGKILL, OOM, crash). */
static void remove_orphans(struct classifier *c)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(c->ifindex);
	struct xdp_program *p, *orphans[16];
	int n = 0, i;

	if (!mp || libxdp_get_error(mp))
		return;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), PROG_NAME)) {
			log_info("%s: removing the XDP program of an earlier vpncap that did not exit cleanly",
				 c->ifname);
			xdp_multiprog__detach(mp);
		}
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && n < 16;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), PROG_NAME))
				orphans[n++] = p;
		for (i = 0; i < n; i++) {
			log_info("%s: removing the XDP program of an earlier vpncap that did not exit cleanly",
				 c->ifname);
			xdp_program__detach(orphans[i], c->ifindex, xdp_multiprog__attach_mode(mp), 0);
		}
	}
	xdp_multiprog__close(mp);
}

void classifier_choose_variant(const struct kernel_features *kf, struct classifier_variant *v)
{
	memset(v, 0, sizeof(*v));
	if (kernel_has(kf, KFEAT_ADJUST_META))
		v->meta = VPNCAP_META_IN_AREA;
	else if (kernel_has(kf, KFEAT_ADJUST_HEAD))
		v->meta = VPNCAP_META_IN_HEAD;
	else
		v->meta = VPNCAP_META_NONE;
	v->copy = kernel_has(kf, KFEAT_XDP_LOAD_BYTES) ? VPNCAP_XDP_COPY_LOAD_BYTES :
							VPNCAP_XDP_COPY_PROBE_READ;
	v->can_copy_rx = kernel_has(kf, KFEAT_RINGBUF) &&
			 (kernel_has(kf, KFEAT_XDP_LOAD_BYTES) || kernel_has(kf, KFEAT_PROBE_READ));
	v->frags = kernel_has(kf, KFEAT_XDP_FRAGS);
}

void classifier_variant_apply(struct vpncap_classifier *skel, const struct classifier_variant *v)
{
	skel->rodata->meta_place = v->meta;
	skel->rodata->xdp_copy = v->copy;
	bpf_program__set_flags(skel->progs.vpncap_xdp,
			       bpf_program__flags(skel->progs.vpncap_xdp) |
			       (v->frags ? BPF_F_XDP_HAS_FRAGS : 0));
}

const char *hook_kind_name(enum hook_kind kind)
{
	switch (kind) {
	case HOOK_DISPATCHER:
		return "libxdp dispatcher";
	case HOOK_ALONE_LIBXDP:
		return "single program (libxdp)";
	case HOOK_ALONE_DIRECT:
		return "single program (direct attach)";
	default:
		return "not attached";
	}
}

int classifier_open(struct classifier *c, const char *ifname, int ifindex, uint64_t ring_bytes,
		    const struct kernel_features *kf, char *err, size_t errlen)
{
	struct bpf_map *map;
	int ret;

	memset(c, 0, sizeof(*c));
	c->ifindex = ifindex;
	c->mode = XDP_MODE_UNSPEC;
	c->lock_fd = -1;
	c->egress.link_fd = -1;
	c->kf = kf;
	c->bpffs = 1;
	classifier_choose_variant(kf, &c->variant);
	/* Until the caller chooses: the plain program. */
	c->ts_want = TS_CHOICE_SOFTWARE;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	if (kf->probed && !kernel_has(kf, KFEAT_RINGBUF)) {
		err_set(err, errlen, "%s: kernel %s has no BPF ring buffer (Linux 5.8 or later needed)",
			ifname, kf->release);
		return -EOPNOTSUPP;
	}
	ret = lock_interface(c, err, errlen);
	if (ret) {
		classifier_close(c);
		return ret;
	}
	remove_orphans(c);
	tc_egress_remove_orphan(ifindex, ifname);

	c->skel = vpncap_classifier__open();
	if (!c->skel) {
		ret = -errno;
		err_set(err, errlen, "%s: cannot open the XDP classifier: %s", ifname,
			strerror(-ret));
		return ret;
	}
	bpf_map__set_max_entries(c->skel->maps.capture_ring, (__u32)ring_bytes);
	bpf_object__for_each_map(map, c->skel->obj) {
		ret = precreate_map(c, map);
		if (ret) {
			err_set(err, errlen, "%s: cannot create BPF map %s: %s%s", ifname,
				bpf_map__name(map), strerror(-ret),
				ret == -EPERM ? " (run as root or with CAP_BPF)" : "");
			classifier_close(c);
			return ret;
		}
	}
	return 0;
}

/* One store: the program reads the settings once per frame. */
static int store_settings(struct classifier *c, __u32 slot)
{
	__u32 key = 0;
	struct vpncap_settings settings = {
		.unmatched = c->unmatched,
		.active_rules = slot,
		.frag_timeout_ns = c->frag_timeout_ns,
		.host_window_ns = c->host_window_ns,
		.mode = c->bpf_mode,
		.snaplen = c->snaplen,
		.xsk_sg = c->xsk_sg,
	};

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.settings_map), &key, &settings,
				BPF_ANY))
		return -errno;
	return 0;
}

int classifier_apply_rules(struct classifier *c, const struct vpncap_ruleset *set,
			   uint32_t unmatched)
{
	__u32 slot = c->active_rules ^ 1;
	int ret;

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.rules_map), &slot, set, BPF_ANY))
		return -errno;
	c->unmatched = unmatched;
	ret = store_settings(c, slot);
	if (ret)
		return ret;
	c->active_rules = slot;
	return 0;
}

int classifier_set_mode(struct classifier *c, uint32_t bpf_mode)
{
	uint32_t old = c->bpf_mode;
	int ret;

	c->bpf_mode = bpf_mode;
	ret = store_settings(c, c->active_rules);
	if (ret)
		c->bpf_mode = old;
	return ret;
}

int classifier_set_xsk_sg(struct classifier *c, int on)
{
	uint32_t old = c->xsk_sg;
	int ret;

	c->xsk_sg = on ? 1 : 0;
	ret = store_settings(c, c->active_rules);
	if (ret)
		c->xsk_sg = old;
	return ret;
}

void classifier_set_timestamps(struct classifier *c, enum ts_choice want)
{
	c->ts_want = want;
}

int classifier_ring_fd(const struct classifier *c)
{
	return bpf_map__fd(c->skel->maps.capture_ring);
}

int classifier_xsks_map_fd(const struct classifier *c)
{
	return bpf_map__fd(c->skel->maps.xsks_map);
}

const char *xdp_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "none";
	}
}

static const char *attach_hint(int err)
{
	switch (-err) {
	case EBUSY:
	case EEXIST:
		return " (another XDP program is attached to the interface)";
	case EPERM:
	case EACCES:
		return " (not permitted: run as root or with CAP_NET_ADMIN and CAP_BPF)";
	case EOPNOTSUPP:
		return " (the driver has no native XDP; try --xdp-mode skb)";
	default:
		return "";
	}
}

/* An object just opened takes the maps vpncap created and filled, in order. */
int classifier_reuse_maps(struct classifier *c, struct bpf_object *obj)
{
	struct bpf_map *map;
	unsigned int i = 0;
	int ret;

	bpf_object__for_each_map(map, obj) {
		if (!map_is_shared(map))
			continue;
		if (i == c->n_map_fds)
			return -ENOENT;
		ret = bpf_map__reuse_fd(map, c->map_fds[i++]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Every try starts here: a new object on the same maps (already filled,
 * sockets and ring in use, so nothing user space holds changes), with the
 * variant's switches. Nothing of a failed load or attach is reused.
 */
static int fresh_object(struct classifier *c)
{
	int ret;

	if (c->prog) {
		xdp_program__close(c->prog);
		c->prog = NULL;
	}
	vpncap_classifier__destroy(c->skel);
	c->skel = vpncap_classifier__open();
	if (!c->skel)
		return -errno;
	ret = classifier_reuse_maps(c, c->skel->obj);
	if (ret)
		return ret;
	classifier_variant_apply(c->skel, &c->variant);
	return 0;
}

/* Did libxdp put the program behind its dispatcher, or alone? */
static enum hook_kind libxdp_hook_kind(const struct classifier *c)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(c->ifindex);
	int shared = !libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp);

	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	return shared ? HOOK_DISPATCHER : HOOK_ALONE_LIBXDP;
}

static int attach_libxdp(struct classifier *c, enum xdp_attach_mode mode, int frags)
{
	int ret = fresh_object(c);

	if (ret)
		return ret;
	c->prog = xdp_program__from_bpf_obj(c->skel->obj, "xdp");
	ret = (int)libxdp_get_error(c->prog);
	if (ret) {
		c->prog = NULL;
		return ret;
	}
	xdp_program__set_xdp_frags_support(c->prog, frags);
	ret = xdp_program__attach(c->prog, c->ifindex, mode, 0);
	if (ret)
		return ret;
	c->hook = libxdp_hook_kind(c);
	return 0;
}

static __u32 xdp_mode_flag(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Load the object ourselves and attach its program alone. */
static int attach_direct(struct classifier *c, enum xdp_attach_mode mode, int frags)
{
	struct bpf_program *prog;
	int ret = fresh_object(c);

	if (ret)
		return ret;
	prog = c->skel->progs.vpncap_xdp;
	if (!frags)
		bpf_program__set_flags(prog, bpf_program__flags(prog) & ~BPF_F_XDP_HAS_FRAGS);
	ret = vpncap_classifier__load(c->skel);
	if (ret)
		return ret;
	ret = bpf_xdp_attach(c->ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_UPDATE_IF_NOEXIST | xdp_mode_flag(mode), NULL);
	if (ret < 0)
		return ret;
	c->hook = HOOK_ALONE_DIRECT;
	return 0;
}

enum attach_path { PATH_LIBXDP, PATH_DIRECT };

/*
 * One mode, one path; multi-buffer aware first where the kernel has it.
 * Drivers without multi-buffer support refuse an xdp.frags program with
 * EINVAL: then the same again without, and later tries go without too.
 */
static int try_attach(struct classifier *c, enum attach_path path, enum xdp_attach_mode mode)
{
	int frags = c->variant.frags, ret;

	ret = path == PATH_LIBXDP ? attach_libxdp(c, mode, frags) : attach_direct(c, mode, frags);
	if (ret == -EINVAL && frags) {
		log_debug("%s: multi-buffer XDP program refused in %s mode (%s); trying without",
			  c->ifname, xdp_mode_name(mode), strerror(-ret));
		c->variant.frags = 0;
		ret = path == PATH_LIBXDP ? attach_libxdp(c, mode, 0) : attach_direct(c, mode, 0);
		if (!ret)
			log_info("%s: the driver refused a multi-buffer XDP program; attached one without multi-buffer support (frames larger than a page are not seen)",
				 c->ifname);
		else
			c->variant.frags = frags;
	}
	if (!ret) {
		c->mode = mode;
		c->frags = c->variant.frags;
	}
	return ret;
}

/*
 * No kernel tried lets the program behind libxdp's dispatcher tail-call
 * into the expressions: the extension it is loaded as owns the program
 * array, and the resume copy, a plain XDP program, is refused from it
 * (EINVAL on 5.10 and 6.1; 6.12 and later refuse the dispatcher vpncap's
 * program anyway). With expressions the program goes alone.
 */
int dispatcher_can_tail_call(const struct kernel_features *kf)
{
	(void)kf;
	return 0;
}

/*
 * libxdp only where its dispatcher can hold vpncap and has a bpffs to pin
 * to (or where a test insists: its failures must lead to a direct attach).
 */
static int libxdp_usable(const struct classifier *c)
{
	if (c->tail_calls && !dispatcher_can_tail_call(c->kf)) {
		log_info("%s: the XDP program goes alone, not behind libxdp's dispatcher: a program behind it cannot tail-call into the expressions (other XDP programs cannot share the interface meanwhile)",
			 c->ifname);
		return 0;
	}
	return c->kf->try_libxdp || (c->bpffs && kernel_has(c->kf, KFEAT_DISPATCHER));
}

/*
 * The plain program: for each mode (native first with AUTO), libxdp where
 * usable, then directly. The first refusal names the reason: it is the
 * mode the user wanted most.
 */
static int attach_plain(struct classifier *c, enum xdp_mode_choice want,
			char *err, size_t errlen)
{
	enum xdp_attach_mode modes[2] = { XDP_MODE_NATIVE, XDP_MODE_SKB };
	unsigned int first = want == XDP_MODE_CHOICE_SKB, last = want == XDP_MODE_CHOICE_NATIVE ? 0 : 1;
	int ret = -EOPNOTSUPP, first_err = 0;
	unsigned int m;

	for (m = first; m <= last; m++) {
		if (libxdp_usable(c)) {
			ret = try_attach(c, PATH_LIBXDP, modes[m]);
			if (!ret)
				return 0;
			log_debug("%s: libxdp could not attach in %s mode (%s); attaching directly",
				  c->ifname, xdp_mode_name(modes[m]), strerror(-ret));
			first_err = first_err ? first_err : ret;
		}
		ret = try_attach(c, PATH_DIRECT, modes[m]);
		if (!ret)
			return 0;
		log_debug("%s: %s XDP refused (%s)", c->ifname, xdp_mode_name(modes[m]),
			  strerror(-ret));
		first_err = first_err ? first_err : ret;
	}
	err_set(err, errlen, "%s: XDP attach refused: %s%s", c->ifname, strerror(-first_err),
		attach_hint(first_err));
	return first_err;
}

/* ---- hardware timestamps: the device-bound program ---------------------- */

static void hw_close(struct classifier *c)
{
	vpncap_classifier_hwts__destroy(c->hw_skel);
	c->hw_skel = NULL;
}

/*
 * Open the hardware-timestamp object on the maps vpncap already filled and
 * load it bound to the interface: the kfunc then calls the driver's own
 * rx_timestamp operation.
 */
static int hw_load(struct classifier *c, int frags)
{
	struct bpf_program *prog;
	int ret;

	hw_close(c);
	c->hw_skel = vpncap_classifier_hwts__open();
	if (!c->hw_skel)
		return -errno;
	ret = classifier_reuse_maps(c, c->hw_skel->obj);
	if (ret)
		return ret;
	c->hw_skel->rodata->meta_place = c->variant.meta;
	c->hw_skel->rodata->xdp_copy = c->variant.copy;
	prog = c->hw_skel->progs.vpncap_xdp;
	bpf_program__set_ifindex(prog, c->ifindex);
	bpf_program__set_flags(prog, BPF_F_XDP_DEV_BOUND_ONLY | (frags ? BPF_F_XDP_HAS_FRAGS : 0));
	return vpncap_classifier_hwts__load(c->hw_skel);
}

/* Alone on the hook: libxdp's dispatcher is not device-bound, so it cannot run ours. */
static int hw_attach_native(struct classifier *c)
{
	int fd = bpf_program__fd(c->hw_skel->progs.vpncap_xdp);
	int ret = bpf_xdp_attach(c->ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
				 NULL);

	return ret < 0 ? ret : 0;
}

static int hw_load_and_attach(struct classifier *c, int frags, const char **stage)
{
	int ret;

	*stage = "load";
	ret = hw_load(c, frags);
	if (ret)
		return ret;
	*stage = "attach";
	ret = hw_attach_native(c);
	if (ret)
		return ret;
	c->frags = frags;
	return 0;
}

static const char *hw_attach_hint(int err)
{
	switch (-err) {
	case EBUSY:
	case EEXIST:
		return "; another XDP program is attached, and a device-bound program cannot share the hook through libxdp's dispatcher";
	case EOPNOTSUPP:
		return "; the driver has no native XDP";
	default:
		return "";
	}
}

/*
 * The device-bound program in native mode, multi-buffer aware where the
 * driver accepts it (EINVAL: try without, as for the plain program).
 * 0, or -errno with c->ts_reason saying who refused.
 */
static int attach_hw_timestamps(struct classifier *c)
{
	const char *stage;
	int ret;

	ret = hw_load_and_attach(c, c->variant.frags, &stage);
	if (ret == -EINVAL && c->variant.frags) {
		log_debug("%s: multi-buffer device-bound program refused at %s; trying without",
			  c->ifname, stage);
		ret = hw_load_and_attach(c, 0, &stage);
	}
	if (ret) {
		snprintf(c->ts_reason, sizeof(c->ts_reason),
			 "the driver refused the device-bound XDP program at %s: %s%s", stage,
			 strerror(-ret), !strcmp(stage, "attach") ? hw_attach_hint(ret) : "");
		hw_close(c);
		return ret;
	}
	c->hw_timestamps = 1;
	c->mode = XDP_MODE_NATIVE;
	c->hook = HOOK_ALONE_DIRECT;
	c->ts_reason[0] = '\0';
	log_info("%s: hardware receive timestamps: device-bound XDP program attached alone in native mode (other XDP programs cannot share the hook)",
		 c->ifname);
	return 0;
}

struct ts_plan classifier_ts_plan(enum ts_choice want, enum xdp_mode_choice xdp_mode,
				  int have_kfuncs, enum netdev_rx_ts driver)
{
	enum ts_why why = TS_WHY_NONE;

	if (want == TS_CHOICE_SOFTWARE)
		return (struct ts_plan){ TS_PLAIN, TS_WHY_SOFTWARE };
	if (xdp_mode == XDP_MODE_CHOICE_SKB)
		why = TS_WHY_SKB_MODE;
	else if (!have_kfuncs)
		why = TS_WHY_NO_KFUNCS;
	/* Unknown (before 6.8) is tried: the driver's refusal then says no. */
	else if (driver == NETDEV_RX_TS_NO)
		why = TS_WHY_DRIVER;
	if (why == TS_WHY_NONE)
		return (struct ts_plan){ TS_TRY_DEVICE_BOUND, TS_WHY_NONE };
	return (struct ts_plan){ want == TS_CHOICE_HARDWARE ? TS_FAIL : TS_PLAIN, why };
}

/* The driver is asked only when the plan can still depend on its answer. */
static struct ts_plan plan_timestamps(const struct classifier *c, enum xdp_mode_choice xdp_mode)
{
	enum netdev_rx_ts driver = NETDEV_RX_TS_UNKNOWN;
	int kfuncs = kernel_has(c->kf, KFEAT_RX_KFUNCS);

	if (c->ts_want != TS_CHOICE_SOFTWARE && xdp_mode != XDP_MODE_CHOICE_SKB && kfuncs)
		driver = netdev_rx_timestamp(c->ifindex);
	return classifier_ts_plan(c->ts_want, xdp_mode, kfuncs, driver);
}

static void set_ts_reason(struct classifier *c, enum ts_why why)
{
	struct utsname u;

	switch (why) {
	case TS_WHY_SOFTWARE:
		snprintf(c->ts_reason, sizeof(c->ts_reason),
			 "software timestamps requested (--timestamps software)");
		break;
	case TS_WHY_SKB_MODE:
		snprintf(c->ts_reason, sizeof(c->ts_reason),
			 "generic (skb) XDP cannot run a device-bound program (--xdp-mode skb)");
		break;
	case TS_WHY_NO_KFUNCS:
		if (uname(&u))
			snprintf(u.release, sizeof(u.release), "?");
		snprintf(c->ts_reason, sizeof(c->ts_reason),
			 "kernel %s has no XDP RX metadata kfuncs (Linux 6.3 or later needed)",
			 u.release);
		break;
	case TS_WHY_DRIVER:
		snprintf(c->ts_reason, sizeof(c->ts_reason),
			 "the driver does not offer XDP RX timestamps (netdev xdp-rx-metadata-features)");
		break;
	case TS_WHY_NONE:
		c->ts_reason[0] = '\0';
		break;
	}
}

int classifier_attach(struct classifier *c, enum xdp_mode_choice want,
		      char *err, size_t errlen)
{
	struct ts_plan plan = plan_timestamps(c, want);
	int ret = -EOPNOTSUPP;

	set_ts_reason(c, plan.why);
	if (plan.action == TS_TRY_DEVICE_BOUND) {
		ret = attach_hw_timestamps(c);
		if (!ret)
			return 0;
		if (c->ts_want == TS_CHOICE_HARDWARE)
			plan.action = TS_FAIL;
	}
	if (plan.action == TS_FAIL) {
		err_set(err, errlen, "%s: hardware timestamps unavailable: %s", c->ifname,
			c->ts_reason);
		return ret;
	}
	/* auto: not a fault; the file header says why, -v says it here. */
	if (c->ts_want == TS_CHOICE_AUTO)
		log_debug("%s: hardware timestamps unavailable (%s); using software timestamps taken at the XDP hook",
			  c->ifname, c->ts_reason);
	return attach_plain(c, want, err, errlen);
}

int classifier_attach_egress(struct classifier *c, char *err, size_t errlen)
{
	/* The egress program of the object that was loaded (it stamps in software either way). */
	int fd = c->hw_timestamps ? bpf_program__fd(c->hw_skel->progs.vpncap_tc_egress)
				  : bpf_program__fd(c->skel->progs.vpncap_tc_egress);

	if (fd < 0) {
		err_set(err, errlen, "%s: the TC egress program is not loaded", c->ifname);
		return -ENOENT;
	}
	return tc_egress_attach(&c->egress, c->ifindex, c->ifname, fd, kernel_has(c->kf, KFEAT_TCX),
				err, errlen);
}

void counters_sum(const struct vpncap_counters *per_cpu, int ncpu,
		  struct vpncap_counters *sum)
{
	int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ncpu; i++) {
		sum->seen += per_cpu[i].seen;
		sum->matched += per_cpu[i].matched;
		sum->redirected += per_cpu[i].redirected;
		sum->redirect_fail += per_cpu[i].redirect_fail;
		sum->passed += per_cpu[i].passed;
		sum->dropped += per_cpu[i].dropped;
		sum->fragments += per_cpu[i].fragments;
		sum->early_fragments += per_cpu[i].early_fragments;
		sum->copied += per_cpu[i].copied;
		sum->ring_full += per_cpu[i].ring_full;
		sum->truncated += per_cpu[i].truncated;
		sum->hw_stamped += per_cpu[i].hw_stamped;
	}
}

int classifier_read_hits(const struct classifier *c, uint64_t *hits, unsigned int n)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 *per_cpu;
	__u32 key;
	int ret = 0;

	if (ncpu <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (key = 0; key < n && key < VPNCAP_MAX_RULES; key++) {
		hits[key] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.hits_map), &key, per_cpu)) {
			ret = -errno;
			break;
		}
		for (i = 0; i < ncpu; i++)
			hits[key] += per_cpu[i];
	}
	free(per_cpu);
	return ret;
}

int classifier_read_counters(const struct classifier *c, __u32 dir,
			     struct vpncap_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vpncap_counters *per_cpu;
	__u32 key = dir;
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.counters_map), &key, per_cpu)) {
		ret = -errno;
		goto out;
	}
	counters_sum(per_cpu, ncpu, sum);
out:
	free(per_cpu);
	return ret;
}

/* The device-bound program (hardware timestamps), or the one libxdp or vpncap loaded. */
static int attached_prog_fd(const struct classifier *c)
{
	if (c->hw_timestamps)
		return bpf_program__fd(c->hw_skel->progs.vpncap_xdp);
	if (c->hook == HOOK_ALONE_DIRECT)
		return bpf_program__fd(c->skel->progs.vpncap_xdp);
	return xdp_program__fd(c->prog);
}

/*
 * Attached alone, the program is detached with one netlink request naming
 * it (XDP_FLAGS_REPLACE), which needs only CAP_NET_ADMIN: vpncap has dropped
 * the rest by then. Through the dispatcher, libxdp must rebuild or remove
 * the dispatcher, which needs more (see privileges.c).
 */
static int detach(struct classifier *c)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = attached_prog_fd(c));
	__u32 flags = XDP_FLAGS_REPLACE | xdp_mode_flag(c->mode);

	if (c->hook == HOOK_DISPATCHER)
		return xdp_program__detach(c->prog, c->ifindex, c->mode, 0);
	return bpf_xdp_detach(c->ifindex, flags, &opts) ? -errno : 0;
}

/*
 * An interface that went away took vpncap's programs with it: nothing to
 * detach, and no advice to give about a device that is not there.
 */
void classifier_detach(struct classifier *c)
{
	int attached = c->hook != HOOK_NONE && c->mode != XDP_MODE_UNSPEC;

	if ((attached || c->egress.kind == TC_EGRESS_CLSACT) && iface_gone(c->ifindex)) {
		log_debug("%s: the interface went away, and vpncap's programs with it", c->ifname);
		if (c->egress.kind == TC_EGRESS_CLSACT)
			c->egress.kind = TC_EGRESS_NONE;
		attached = 0;
	}
	tc_egress_detach(&c->egress, c->ifname); /* a tcx link: closing it is all */
	if (attached) {
		int ret = detach(c);

		if (ret && iface_gone(c->ifindex))
			log_debug("%s: the interface went away as vpncap detached", c->ifname);
		else if (ret)
			log_error("%s: XDP detach failed: %s (remove with: xdp-loader unload %s --all)",
				  c->ifname, strerror(-ret), c->ifname);
	}
	c->mode = XDP_MODE_UNSPEC;
	c->hook = HOOK_NONE;
}

void classifier_close(struct classifier *c)
{
	classifier_detach(c);
	if (c->prog) {
		xdp_program__close(c->prog);
		c->prog = NULL;
	}
	hw_close(c);
	c->hw_timestamps = 0;
	if (c->resume_skel) {
		vpncap_classifier__destroy(c->resume_skel);
		c->resume_skel = NULL;
	}
	if (c->skel) {
		vpncap_classifier__destroy(c->skel);
		c->skel = NULL;
	}
	while (c->n_map_fds)
		close(c->map_fds[--c->n_map_fds]);
	if (!c->keep_lock)
		classifier_unlock(c);
}
