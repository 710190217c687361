// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware receive timestamps: the device-bound classifier (built with
 * VPNCAP_HW_TIMESTAMPS, calling bpf_xdp_metadata_rx_timestamp) loaded and
 * attached through the product's own path (hook/classifier.c), on a veth pair in
 * a private network namespace of this process (unshare: it disappears with
 * the process, however the test ends).
 *
 * What the driver says, and so what is expected: veth (Linux 6.3+)
 * implements rx_timestamp; for a frame that came from its peer's stack it
 * answers 0 with the skb's hardware stamp, and a frame sent through an
 * AF_PACKET socket on the peer has none (0). So the frames arrive matched
 * and copied, without VPNCAP_META_HW_TS, with hw_ns 0 and hw_stamped 0.
 * Whatever a driver answers, the flag must be set exactly when hw_ns is
 * non-zero, and hw_stamped must count exactly the flagged frames.
 *
 * Asking the driver first: on Linux 6.8+ the netdev family says veth offers
 * the RX timestamp (so auto still loads the device-bound program) and the
 * namespace's own loopback offers none (so auto attaches the plain program
 * without trying, and hardware fails, with that reason). Before 6.8 nobody
 * knows, and loopback refuses the device-bound program instead. A driver
 * that offers the stamp can still refuse the attach (another program holds
 * the hook): hardware then fails with the driver's refusal.
 *
 * The decision itself is a pure function, tested first on every branch
 * (no root needed for that group).
 *
 * Needs root and Linux 6.3+ (skipped otherwise).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "log.h"
#include "hook/netdev_genl.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "vpncap_classifier_hwts.skel.h"
#include "hook/classifier.h"

#define PEER "vhtsA"       /* sends */
#define CAPT "vhtsB"       /* captures */
#define FRAMES 8
#define RING_BYTES (1u << 20)
#define RECS_MAX 64

static struct {
	struct vpncap_ring_rec recs[RECS_MAX];
	unsigned int n;
} got;

#define DRIVER_REASON \
	"the driver does not offer XDP RX timestamps (netdev xdp-rx-metadata-features)"

/* The classifier of the running test; closed by teardown even when a test fails. */
static struct classifier cur;
static int cur_open;
/* Another program holding CAPT's hook in native mode, detached by teardown. */
static int other_prog_fd = -1;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	assert_true(size >= sizeof(struct vpncap_ring_rec));
	if (got.n < RECS_MAX)
		memcpy(&got.recs[got.n], data, sizeof(got.recs[0]));
	got.n++;
	return 0;
}

static int libbpf_warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* What the kernel accepts, probed once by the product's own probe. */
static struct kernel_features kf;

static int kernel_has_kfunc(void)
{
	return kernel_has(&kf, KFEAT_RX_KFUNCS);
}

/* The running kernel is major.minor or later. */
static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/* ---- the decision, pure ------------------------------------------------------ */

static void test_ts_plan_cases(void **state)
{
	static const struct {
		const char *name;
		enum ts_choice want;
		enum xdp_mode_choice xdp_mode;
		int kfuncs;
		enum netdev_rx_ts driver;
		enum ts_action action;
		enum ts_why why;
	} cases[] = {
		{ "software asks nothing", TS_CHOICE_SOFTWARE, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_YES, TS_PLAIN, TS_WHY_SOFTWARE },
		{ "software in skb mode", TS_CHOICE_SOFTWARE, XDP_MODE_CHOICE_SKB, 0, NETDEV_RX_TS_NO, TS_PLAIN, TS_WHY_SOFTWARE },
		{ "auto, skb mode", TS_CHOICE_AUTO, XDP_MODE_CHOICE_SKB, 1, NETDEV_RX_TS_YES, TS_PLAIN, TS_WHY_SKB_MODE },
		{ "hardware, skb mode", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_SKB, 1, NETDEV_RX_TS_YES, TS_FAIL, TS_WHY_SKB_MODE },
		{ "auto, kernel < 6.3", TS_CHOICE_AUTO, XDP_MODE_CHOICE_AUTO, 0, NETDEV_RX_TS_UNKNOWN, TS_PLAIN, TS_WHY_NO_KFUNCS },
		{ "hardware, kernel < 6.3", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_NATIVE, 0, NETDEV_RX_TS_UNKNOWN, TS_FAIL, TS_WHY_NO_KFUNCS },
		{ "auto, the driver says no", TS_CHOICE_AUTO, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_NO, TS_PLAIN, TS_WHY_DRIVER },
		{ "auto native, the driver says no", TS_CHOICE_AUTO, XDP_MODE_CHOICE_NATIVE, 1, NETDEV_RX_TS_NO, TS_PLAIN, TS_WHY_DRIVER },
		{ "hardware, the driver says no", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_NO, TS_FAIL, TS_WHY_DRIVER },
		{ "auto, the driver says yes", TS_CHOICE_AUTO, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_YES, TS_TRY_DEVICE_BOUND, TS_WHY_NONE },
		{ "hardware native, the driver says yes", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_NATIVE, 1, NETDEV_RX_TS_YES, TS_TRY_DEVICE_BOUND, TS_WHY_NONE },
		{ "auto, kernel 6.3 to 6.7: unknown is tried", TS_CHOICE_AUTO, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_UNKNOWN, TS_TRY_DEVICE_BOUND, TS_WHY_NONE },
		{ "hardware, unknown is tried", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_AUTO, 1, NETDEV_RX_TS_UNKNOWN, TS_TRY_DEVICE_BOUND, TS_WHY_NONE },
		{ "skb mode before the driver's no", TS_CHOICE_HARDWARE, XDP_MODE_CHOICE_SKB, 1, NETDEV_RX_TS_NO, TS_FAIL, TS_WHY_SKB_MODE },
		{ "no kfuncs before the driver's no", TS_CHOICE_AUTO, XDP_MODE_CHOICE_AUTO, 0, NETDEV_RX_TS_NO, TS_PLAIN, TS_WHY_NO_KFUNCS },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ts_plan p = classifier_ts_plan(cases[i].want, cases[i].xdp_mode,
						      cases[i].kfuncs, cases[i].driver);

		if (p.action != cases[i].action || p.why != cases[i].why)
			fail_msg("%s: action %d why %d, expected %d %d", cases[i].name, p.action,
				 p.why, cases[i].action, cases[i].why);
	}
}

/* Every input: the device-bound program is tried exactly when nothing rules it out. */
static void test_ts_plan_all_inputs(void **state)
{
	int want, mode, kfuncs, driver;

	(void)state;
	for (want = TS_CHOICE_AUTO; want <= TS_CHOICE_SOFTWARE; want++)
		for (mode = XDP_MODE_CHOICE_AUTO; mode <= XDP_MODE_CHOICE_SKB; mode++)
			for (kfuncs = 0; kfuncs <= 1; kfuncs++)
				for (driver = NETDEV_RX_TS_UNKNOWN; driver <= NETDEV_RX_TS_YES; driver++) {
					struct ts_plan p = classifier_ts_plan(want, mode, kfuncs, driver);
					int ruled_out = want == TS_CHOICE_SOFTWARE ||
							mode == XDP_MODE_CHOICE_SKB || !kfuncs ||
							driver == NETDEV_RX_TS_NO;

					assert_int_equal(p.action == TS_TRY_DEVICE_BOUND, !ruled_out);
					assert_int_equal(p.why == TS_WHY_NONE, !ruled_out);
					/* Only an insistence on hardware makes the attach fail. */
					assert_int_equal(p.action == TS_FAIL,
							 ruled_out && want == TS_CHOICE_HARDWARE);
				}
}

/* ---- on veth and loopback ------------------------------------------------------ */

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_hwts needs root\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	if (system("ip link add " PEER " type veth peer name " CAPT " && "
		   "ip link set " PEER " up && ip link set " CAPT " up && ip link set lo up")) {
		fprintf(stderr, "cannot create the veth pair\n");
		return -1;
	}
	if (bpffs_ensure_mounted(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (kernel_probe(&kf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int close_classifier(void **state)
{
	(void)state;
	if (cur_open)
		classifier_close(&cur);
	cur_open = 0;
	if (other_prog_fd >= 0) {
		bpf_xdp_detach((int)if_nametoindex(CAPT), XDP_FLAGS_DRV_MODE, NULL);
		close(other_prog_fd);
		other_prog_fd = -1;
	}
	return 0;
}

/* UDP 500 rule, inline: matched frames are copied into capture_ring with their stamp. */
static void open_classifier(struct classifier *c, const char *ifname)
{
	struct vpncap_ruleset set;
	char err[256] = "";

	memset(&set, 0, sizeof(set));
	set.count = 1;
	set.rules[0].fields = VPNCAP_F_PROTO | VPNCAP_F_PORT;
	set.rules[0].l4_proto = 17;
	set.rules[0].port_lo = set.rules[0].port_hi = 500;
	if (classifier_open(c, ifname, (int)if_nametoindex(ifname), RING_BYTES, &kf, err,
			    sizeof(err)))
		fail_msg("classifier_open(%s): %s", ifname, err);
	cur_open = 1;
	c->bpf_mode = VPNCAP_MODE_INLINE;
	assert_int_equal(classifier_apply_rules(c, &set, VPNCAP_UNMATCHED_PASS), 0);
}

/* Is prog_fd the program attached in native mode on ifname? */
static int attached_natively(const char *ifname, int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info), id = 0;

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex(ifname), XDP_FLAGS_DRV_MODE, &id), 0);
	return id == info.id;
}

/* Ethernet + IPv4 198.18.0.1 -> 198.18.0.2 + UDP 40000 -> 500, through AF_PACKET on PEER. */
static void send_ike_frames(unsigned int n)
{
	static const uint8_t frame[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
		0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
		0x9c, 0x40, 0x01, 0xf4, 0, 16, 0, 0, 'v', 'p', 'n', 'c', 'a', 'p', '!', '!',
	};
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_ifindex = (int)if_nametoindex(PEER),
		.sll_halen = ETH_ALEN,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	unsigned int i;

	assert_true(fd >= 0);
	for (i = 0; i < n; i++)
		assert_int_equal(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to,
					sizeof(to)), (ssize_t)sizeof(frame));
	close(fd);
}

/* Wait up to a second for n records. */
static void collect(struct classifier *c, unsigned int n)
{
	struct ring_buffer *rb = ring_buffer__new(classifier_ring_fd(c), on_record, NULL, NULL);
	int i;

	assert_non_null(rb);
	memset(&got, 0, sizeof(got));
	for (i = 0; i < 100 && got.n < n; i++)
		ring_buffer__poll(rb, 10);
	ring_buffer__free(rb);
}

static void test_device_bound_program_on_veth(void **state)
{
	struct vpncap_counters in;
	struct classifier *c = &cur;
	char err[256] = "";
	unsigned int i, flagged = 0;

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	open_classifier(c, CAPT);
	classifier_set_timestamps(c, TS_CHOICE_AUTO);
	if (classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)))
		fail_msg("attach: %s", err);
	assert_int_equal(c->hw_timestamps, 1);
	assert_string_equal(c->ts_reason, "");
	assert_int_equal(c->mode, XDP_MODE_NATIVE);
	assert_non_null(c->hw_skel);
	assert_true(attached_natively(CAPT, bpf_program__fd(c->hw_skel->progs.vpncap_xdp)));

	send_ike_frames(FRAMES);
	collect(c, FRAMES);
	assert_int_equal(got.n, FRAMES);
	for (i = 0; i < got.n; i++) {
		const struct vpncap_ring_rec *r = &got.recs[i];

		assert_int_equal(r->rule, 0);
		assert_int_equal(!!(r->flags & VPNCAP_META_HW_TS), r->hw_ns != 0);
		flagged += !!(r->flags & VPNCAP_META_HW_TS);
	}
	assert_int_equal(classifier_read_counters(c, VPNCAP_DIR_IN, &in), 0);
	assert_int_equal(in.hw_stamped, flagged);
	/* veth: a frame from the peer's stack carries no hardware stamp. */
	assert_int_equal(flagged, 0);

	/* Inline on the same attach: the egress program of the loaded object. */
	assert_int_equal(classifier_attach_egress(c, err, sizeof(err)), 0);
}

/* ---- bypass: the metadata in front of the frame, through AF_XDP ------------ */

#define UMEM_FRAMES 64

struct rx_socket {
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
};

/* A copy-mode socket on queue 0 of ifname, in the classifier's XSKMAP, fill ring full. */
static void rx_socket_open(struct rx_socket *s, const char *ifname, int xsks_map_fd)
{
	const struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = (size_t)UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	__u32 idx = 0, key = 0;
	int i, fd;

	memset(s, 0, sizeof(*s));
	s->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(s->area != MAP_FAILED);
	assert_int_equal(xsk_umem__create(&s->umem, s->area, size, &s->fill, &s->comp, NULL), 0);
	assert_int_equal(xsk_socket__create(&s->xsk, ifname, 0, s->umem, &s->rx, NULL, &cfg), 0);
	assert_int_equal(xsk_ring_prod__reserve(&s->fill, UMEM_FRAMES, &idx), UMEM_FRAMES);
	for (i = 0; i < UMEM_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) =
			(__u64)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	xsk_ring_prod__submit(&s->fill, UMEM_FRAMES);
	fd = xsk_socket__fd(s->xsk);
	assert_int_equal(bpf_map_update_elem(xsks_map_fd, &key, &fd, BPF_ANY), 0);
}

static void rx_socket_close(struct rx_socket *s)
{
	xsk_socket__delete(s->xsk);
	xsk_umem__delete(s->umem);
	munmap(s->area, (size_t)UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
}

/* Up to n frames' metadata, waiting up to a second. */
/* The metadata of each frame, where the attached variant puts it. */
static unsigned int rx_metas(struct rx_socket *s, enum vpncap_meta_place place,
			     struct vpncap_meta *metas, unsigned int n)
{
	struct pollfd pfd = { .fd = xsk_socket__fd(s->xsk), .events = POLLIN };
	unsigned int got_n = 0, i, k;
	__u32 idx = 0;

	for (i = 0; i < 100 && got_n < n; i++) {
		unsigned int rcvd = xsk_ring_cons__peek(&s->rx, n - got_n, &idx);

		if (!rcvd) {
			poll(&pfd, 1, 10);
			continue;
		}
		for (k = 0; k < rcvd; k++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + k);
			const uint8_t *frame = xsk_umem__get_data(s->area, d->addr);

			memcpy(&metas[got_n++],
			       place == VPNCAP_META_IN_HEAD ? frame : frame - sizeof(struct vpncap_meta),
			       sizeof(struct vpncap_meta));
		}
		xsk_ring_cons__release(&s->rx, rcvd);
	}
	return got_n;
}

static void test_bypass_meta_through_af_xdp(void **state)
{
	struct vpncap_meta metas[FRAMES];
	struct vpncap_counters in;
	struct classifier *c = &cur;
	struct rx_socket s;
	char err[256] = "";
	unsigned int i, n, flagged = 0;

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	open_classifier(c, CAPT);
	assert_int_equal(classifier_set_mode(c, VPNCAP_MODE_BYPASS), 0);
	classifier_set_timestamps(c, TS_CHOICE_HARDWARE);
	if (classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)))
		fail_msg("attach: %s", err);
	assert_int_equal(c->hw_timestamps, 1);
	rx_socket_open(&s, CAPT, classifier_xsks_map_fd(c));

	send_ike_frames(FRAMES);
	if (c->variant.meta == VPNCAP_META_NONE)
		skip();     /* no per-frame metadata on this kernel */
	n = rx_metas(&s, c->variant.meta, metas, FRAMES);
	rx_socket_close(&s);
	assert_int_equal(n, FRAMES);
	for (i = 0; i < n; i++) {
		assert_int_equal(metas[i].magic, VPNCAP_META_MAGIC);
		assert_int_equal(metas[i].rule, 0);
		assert_int_equal(!!(metas[i].flags & VPNCAP_META_HW_TS), metas[i].hw_ns != 0);
		flagged += !!(metas[i].flags & VPNCAP_META_HW_TS);
	}
	assert_int_equal(classifier_read_counters(c, VPNCAP_DIR_IN, &in), 0);
	assert_int_equal(in.redirected, FRAMES);
	assert_int_equal(in.hw_stamped, flagged);
	assert_int_equal(flagged, 0);   /* veth, from the peer's stack: no stamp */
}

static void test_hardware_refused_in_skb_mode(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	open_classifier(c, CAPT);
	classifier_set_timestamps(c, TS_CHOICE_HARDWARE);
	assert_int_not_equal(classifier_attach(c, XDP_MODE_CHOICE_SKB, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "hardware timestamps unavailable"));
	assert_non_null(strstr(err, "skb"));
	assert_int_equal(c->hw_timestamps, 0);
	assert_null(c->hw_skel);
}

static void test_software_loads_no_kfunc_program(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	open_classifier(c, CAPT);
	classifier_set_timestamps(c, TS_CHOICE_SOFTWARE);
	if (classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)))
		fail_msg("attach: %s", err);
	assert_int_equal(c->hw_timestamps, 0);
	assert_null(c->hw_skel);
	assert_non_null(strstr(c->ts_reason, "software"));

	send_ike_frames(2);
	collect(c, 2);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.recs[0].flags & VPNCAP_META_HW_TS, 0);
	assert_true(got.recs[0].hw_ns == 0);
}

/*
 * What the netdev family says: veth reads the stamp (veth_xdp_rx_timestamp),
 * loopback has no XDP RX metadata at all; nothing is known before 6.8.
 */
static void test_driver_answers(void **state)
{
	struct netdev_dev veth, lo;

	(void)state;
	if (!kernel_at_least(6, 8)) {
		assert_int_equal(netdev_rx_timestamp((int)if_nametoindex(CAPT)), NETDEV_RX_TS_UNKNOWN);
		skip();
	}
	assert_int_equal(netdev_get((int)if_nametoindex(CAPT), &veth), 0);
	assert_int_equal(veth.ifindex, if_nametoindex(CAPT));
	assert_true(veth.has_rx_metadata);
	assert_true(veth.rx_metadata & NETDEV_RX_META_TIMESTAMP);
	assert_int_equal(netdev_rx_timestamp((int)if_nametoindex(CAPT)), NETDEV_RX_TS_YES);
	assert_int_equal(netdev_get((int)if_nametoindex("lo"), &lo), 0);
	assert_true(lo.has_rx_metadata);
	assert_int_equal(lo.rx_metadata, 0);
	assert_int_equal(netdev_rx_timestamp((int)if_nametoindex("lo")), NETDEV_RX_TS_NO);
	/* No such device: unknown, never a guess. */
	assert_int_equal(netdev_get(0x7ffffff0, &lo), -ENODEV);
	assert_int_equal(netdev_rx_timestamp(0x7ffffff0), NETDEV_RX_TS_UNKNOWN);
}

/*
 * The namespace's own loopback offers no RX metadata: auto attaches the
 * plain program without trying and says why (6.8+); before 6.8 it tries,
 * and loopback, without native XDP, refuses the device-bound program.
 */
static void test_auto_plain_without_driver_support(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	open_classifier(c, "lo");
	classifier_set_timestamps(c, TS_CHOICE_AUTO);
	if (classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)))
		fail_msg("attach: %s", err);
	assert_int_equal(c->hw_timestamps, 0);
	assert_null(c->hw_skel);
	if (kernel_at_least(6, 8))
		assert_string_equal(c->ts_reason, DRIVER_REASON);
	else
		assert_non_null(strstr(c->ts_reason, "refused"));
	/* The plain program, through libxdp's dispatcher where the kernel lets it hold vpncap. */
	assert_int_equal(c->hook, kernel_has(&kf, KFEAT_DISPATCHER) ? HOOK_DISPATCHER :
							       HOOK_ALONE_DIRECT);
	assert_int_equal(c->mode, XDP_MODE_SKB);
}

static void test_hardware_fails_without_driver_support(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	open_classifier(c, "lo");
	classifier_set_timestamps(c, TS_CHOICE_HARDWARE);
	assert_int_not_equal(classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)), 0);
	if (kernel_at_least(6, 8))
		assert_string_equal(err, "lo: hardware timestamps unavailable: " DRIVER_REASON);
	else
		assert_non_null(strstr(err, "hardware timestamps unavailable"));
	assert_non_null(strstr(err, c->ts_reason));
	assert_int_equal(c->mode, XDP_MODE_UNSPEC);
	assert_null(c->prog);
}

/* r0 = XDP_PASS; exit: a stranger's program holding the hook, without libxdp. */
static int load_other_program(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "other", "GPL", insns, 2, NULL);
}

/* The driver offers the stamp, but the hook is taken: hardware fails with the refusal. */
static void test_hardware_fails_when_hook_taken(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	other_prog_fd = load_other_program();
	assert_true(other_prog_fd >= 0);
	assert_int_equal(bpf_xdp_attach((int)if_nametoindex(CAPT), other_prog_fd,
					XDP_FLAGS_DRV_MODE, NULL), 0);
	open_classifier(c, CAPT);
	classifier_set_timestamps(c, TS_CHOICE_HARDWARE);
	assert_int_not_equal(classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "hardware timestamps unavailable: the driver refused the device-bound XDP program at attach"));
	assert_non_null(strstr(err, "another XDP program is attached"));
	assert_int_equal(c->hw_timestamps, 0);
	assert_null(c->hw_skel);
	assert_int_equal(c->mode, XDP_MODE_UNSPEC);
}

int main(void)
{
	const struct CMUnitTest decision[] = {
		cmocka_unit_test(test_ts_plan_cases),
		cmocka_unit_test(test_ts_plan_all_inputs),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_answers),
		cmocka_unit_test_teardown(test_device_bound_program_on_veth, close_classifier),
		cmocka_unit_test_teardown(test_bypass_meta_through_af_xdp, close_classifier),
		cmocka_unit_test_teardown(test_hardware_refused_in_skb_mode, close_classifier),
		cmocka_unit_test_teardown(test_software_loads_no_kfunc_program, close_classifier),
		cmocka_unit_test_teardown(test_auto_plain_without_driver_support, close_classifier),
		cmocka_unit_test_teardown(test_hardware_fails_without_driver_support, close_classifier),
		cmocka_unit_test_teardown(test_hardware_fails_when_hook_taken, close_classifier),
	};
	int failed;

	log_set_level(LOG_INFO);
	libbpf_set_print(libbpf_warnings_only);
	failed = cmocka_run_group_tests_name("timestamp decision", decision, NULL, NULL);
	return failed | cmocka_run_group_tests_name("hardware timestamps", tests, group_setup, NULL);
}
