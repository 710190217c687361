// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware receive timestamps: the device-bound classifier (built with
 * VPNCAP_HW_TIMESTAMPS, calling bpf_xdp_metadata_rx_timestamp) loaded and
 * attached through the product's own path (xdp_attach.c), on a veth pair in
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
 * The fallback: the namespace's own loopback device has no native XDP and
 * refuses a device-bound program, so auto must attach the plain program
 * with a reason, and hardware must fail with that reason.
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

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "log.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "vpncap_classifier_hwts.skel.h"
#include "xdp_attach.h"

#define PEER "vhtsA"       /* sends */
#define CAPT "vhtsB"       /* captures */
#define FRAMES 8
#define RING_BYTES (1u << 20)
#define RECS_MAX 64

static struct {
	struct vpncap_ring_rec recs[RECS_MAX];
	unsigned int n;
} got;

/* The classifier of the running test; closed by teardown even when a test fails. */
static struct classifier cur;
static int cur_open;

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

static int kernel_has_kfunc(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;

	if (libbpf_get_error(vmlinux))
		return 0;
	found = btf__find_by_name_kind(vmlinux, "bpf_xdp_metadata_rx_timestamp",
				       BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

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
	return 0;
}

static int close_classifier(void **state)
{
	(void)state;
	if (cur_open)
		classifier_close(&cur);
	cur_open = 0;
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
	if (classifier_open(c, ifname, (int)if_nametoindex(ifname), RING_BYTES, err, sizeof(err)))
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
static unsigned int rx_metas(struct rx_socket *s, struct vpncap_meta *metas, unsigned int n)
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

			memcpy(&metas[got_n++], frame - sizeof(struct vpncap_meta),
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
	n = rx_metas(&s, metas, FRAMES);
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

/* The namespace's own loopback: no native XDP, so no device-bound program. */
static void test_auto_falls_back_on_refusal(void **state)
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
	assert_non_null(strstr(c->ts_reason, "refused"));
	assert_non_null(c->prog);      /* the plain program, through libxdp */
	assert_int_equal(c->mode, XDP_MODE_SKB);
}

static void test_hardware_fails_on_refusal(void **state)
{
	struct classifier *c = &cur;
	char err[256] = "";

	(void)state;
	if (!kernel_has_kfunc())
		skip();
	open_classifier(c, "lo");
	classifier_set_timestamps(c, TS_CHOICE_HARDWARE);
	assert_int_not_equal(classifier_attach(c, XDP_MODE_CHOICE_AUTO, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "hardware timestamps unavailable"));
	assert_non_null(strstr(err, c->ts_reason));
	assert_int_equal(c->mode, XDP_MODE_UNSPEC);
	assert_null(c->prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_device_bound_program_on_veth, close_classifier),
		cmocka_unit_test_teardown(test_bypass_meta_through_af_xdp, close_classifier),
		cmocka_unit_test_teardown(test_hardware_refused_in_skb_mode, close_classifier),
		cmocka_unit_test_teardown(test_software_loads_no_kfunc_program, close_classifier),
		cmocka_unit_test_teardown(test_auto_falls_back_on_refusal, close_classifier),
		cmocka_unit_test_teardown(test_hardware_fails_on_refusal, close_classifier),
	};

	log_set_level(LOG_INFO);
	libbpf_set_print(libbpf_warnings_only);
	return cmocka_run_group_tests_name("hardware timestamps", tests, group_setup, NULL);
}
