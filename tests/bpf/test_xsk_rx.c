// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the AF_XDP receive side (user/xsk_rx.c) on a real socket: the
 * process moves into a network namespace of its own (unshare; it vanishes
 * with the process, nothing to clean up on the host), makes a veth pair
 * va/vb there, attaches tests/bpf/xsk_redirect.bpf.c to va (native XDP,
 * every frame to the socket of its RX queue) and a pass program to vb, and
 * sends raw Ethernet frames from vb with a packet socket. Needs root.
 *
 * Checked: the ring and UMEM sizes asked for and the defaults; busy-poll
 * socket options; hugepage-backed UMEM when vm.nr_hugepages has free pages
 * (raised for the test and restored in the teardown) and the 4k fallback;
 * multi-buffer: a 9000-byte frame on MTU 9000 arrives as one frame of three
 * segments, byte for byte, a 64-byte one as one segment; peek never returns
 * part of a frame; a frame of more segments than a frame can hold is counted
 * and released.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook/iface.h"
#include "test_xsk_redirect.skel.h"
#include "hook/xsk_rx.h"

#define IF_CAP "va"
#define IF_PEER "vb"
#define ETH_P_TEST 0x88b5 /* IEEE 802 local experimental */

struct lab {
	struct test_xsk_redirect *skel;
	int cap_ifindex, peer_ifindex;
	int tx_fd;                      /* packet socket on the peer */
	struct xsk_rx q;
	int q_open;
	long saved_hugepages;           /* -1: vm.nr_hugepages untouched */
};

static struct lab lab;

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		print_error("command failed (%d): %s\n", rc, cmd);
	return rc;
}

static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/* ---- the lab ------------------------------------------------------------- */

static int set_mtu(int mtu)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip link set %s mtu %d && ip link set %s mtu %d", IF_CAP,
		 mtu, IF_PEER, mtu);
	return run(cmd);
}

static int open_tx_socket(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_TEST),
		.sll_ifindex = lab.peer_ifindex,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int group_setup(void **state)
{
	(void)state;
	memset(&lab, 0, sizeof(lab));
	lab.saved_hugepages = -1;
	lab.tx_fd = -1;
	if (geteuid() != 0) {
		print_error("needs root\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET)) {
		print_error("unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	/* No IPv6 on the pair: its MLD and router solicitations would be frames too. */
	if (run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1") ||
	    run("ip link add " IF_CAP " type veth peer name " IF_PEER) ||
	    run("ip link set lo up && ip link set " IF_CAP " up && ip link set " IF_PEER " up") ||
	    set_mtu(9000))
		return -1;
	lab.cap_ifindex = (int)if_nametoindex(IF_CAP);
	lab.peer_ifindex = (int)if_nametoindex(IF_PEER);
	lab.skel = test_xsk_redirect__open_and_load();
	if (!lab.skel) {
		print_error("cannot load xsk_redirect.bpf.o\n");
		return -1;
	}
	if (bpf_xdp_attach(lab.cap_ifindex, bpf_program__fd(lab.skel->progs.xsk_redirect),
			   XDP_FLAGS_DRV_MODE, NULL) ||
	    bpf_xdp_attach(lab.peer_ifindex, bpf_program__fd(lab.skel->progs.xdp_pass),
			   XDP_FLAGS_DRV_MODE, NULL)) {
		print_error("cannot attach the XDP programs in native mode\n");
		return -1;
	}
	lab.tx_fd = open_tx_socket();
	return lab.tx_fd < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (lab.tx_fd >= 0)
		close(lab.tx_fd);
	test_xsk_redirect__destroy(lab.skel); /* the namespace goes with the process */
	return 0;
}

static long read_nr_hugepages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_nr_hugepages(long v)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f, "%ld\n", v) < 0;
	return fclose(f) || rc ? -1 : 0;
}

static long free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Each test ends with its socket closed and vm.nr_hugepages as it found it. */
static int test_teardown(void **state)
{
	(void)state;
	if (lab.q_open)
		xsk_rx_close(&lab.q);
	lab.q_open = 0;
	if (lab.saved_hugepages >= 0)
		write_nr_hugepages(lab.saved_hugepages);
	lab.saved_hugepages = -1;
	return 0;
}

static void open_queue(const struct xsk_rx_config *cfg)
{
	char err[256] = "";
	int rc = xsk_rx_open(&lab.q, IF_CAP, 0, cfg, bpf_map__fd(lab.skel->maps.xsks), err,
			     sizeof(err));

	if (rc)
		print_error("xsk_rx_open: %s\n", err);
	assert_int_equal(rc, 0);
	lab.q_open = 1;
}

/* ---- frames ------------------------------------------------------------ */

static void make_frame(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	memset(buf, 0xff, 6);                           /* broadcast */
	memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
	buf[12] = ETH_P_TEST >> 8;
	buf[13] = ETH_P_TEST & 0xff;
	for (i = 14; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

static void send_frame(const uint8_t *buf, size_t len)
{
	ssize_t n = send(lab.tx_fd, buf, len, 0);

	if (n != (ssize_t)len)
		print_error("send %zu bytes: %s\n", len, n < 0 ? strerror(errno) : "short");
	assert_int_equal(n, (ssize_t)len);
}

/*
 * Peeks until want frames came (or a second passed); frames stay unreleased,
 * *first and *n_descs say what to release.
 */
static uint32_t receive(struct xsk_frame *frames, uint32_t want, uint32_t *first,
			uint32_t *n_descs)
{
	struct timespec start, now;
	uint32_t n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = xsk_rx_fd(&lab.q), .events = POLLIN };

		n = xsk_rx_peek(&lab.q, frames, want, first, n_descs);
		if (n >= want || *n_descs)
			return n;
		if (lab.q.busy_poll)
			xsk_rx_kick(&lab.q);
		else
			xsk_rx_wakeup_if_needed(&lab.q);
		poll(&pfd, 1, 50);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 1)
			return n;
	}
}

/* The segments of f, one after the other, equal buf[0..len). */
static void assert_frame_is(const struct xsk_frame *f, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	uint32_t i;

	assert_int_equal(f->total_len, len);
	assert_ptr_equal(f->data, f->segs[0].iov_base);
	assert_int_equal(f->len, f->segs[0].iov_len);
	for (i = 0; i < f->n_segs; i++) {
		assert_true(off + f->segs[i].iov_len <= len);
		assert_memory_equal(f->segs[i].iov_base, buf + off, f->segs[i].iov_len);
		off += f->segs[i].iov_len;
	}
	assert_int_equal(off, len);
}

/* Sends one frame of len bytes and checks it arrives whole in segs segments. */
static void round_trip(size_t len, uint32_t segs, unsigned int seed)
{
	static uint8_t buf[70000];
	struct xsk_frame frames[2];
	uint32_t first, n_descs, n;

	make_frame(buf, len, seed);
	send_frame(buf, len);
	n = receive(frames, 1, &first, &n_descs);
	assert_int_equal(n, 1);
	assert_int_equal(frames[0].n_segs, segs);
	assert_int_equal(n_descs, segs);
	assert_frame_is(&frames[0], buf, len);
	xsk_rx_release(&lab.q, first, n_descs);
}

static uint32_t round_up_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_default_sizes(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO };
	uint32_t nic = iface_rx_ring_pending(IF_CAP);
	char desc[200];

	(void)state;
	open_queue(&cfg);
	assert_int_equal(lab.q.nic_rx_ring, nic);
	assert_int_equal(lab.q.rx_ring, XSK_RX_DEFAULT_RX_RING);
	assert_int_equal(lab.q.fill_ring, round_up_pow2(XSK_RX_DEFAULT_RX_RING + nic));
	/* Plus as many as the rx ring for the writer to hold. */
	assert_int_equal(lab.q.umem_frames, lab.q.fill_ring + 2 * lab.q.rx_ring);
	/* The fill ring is full; the rest waits as spares. */
	assert_int_equal(lab.q.n_spare, lab.q.umem_frames - lab.q.fill_ring);
	assert_int_equal(lab.q.zero_copy, 0); /* veth has no zero-copy */
	assert_int_equal(lab.q.busy_poll, 0);
	assert_int_equal(lab.q.sg, 0);
	assert_null(xsk_rx_sg_refused(&lab.q));
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "copy, umem "));
	assert_non_null(strstr(desc, " x 4096 B ("));
	assert_non_null(strstr(desc, "busy poll off, multi-buffer off"));
	round_trip(64, 1, 1);
}

/*
 * Frames kept at release (the writer holds them) stay out of the fill ring:
 * more traffic than the UMEM has frames never lands in their buffers, and
 * given back they return to the fill ring.
 */
static void test_keep_until_given_back(void **state)
{
	struct xsk_rx_config cfg = {
		.copy = COPY_CHOICE_COPY, .rx_ring = 64, .fill_ring = 64, .umem_frames = 192,
	};
	static uint8_t sent[3][300], other[300];
	struct xsk_frame frames[3], more[16];
	uint64_t kept[2];
	uint32_t first, n_descs, n, spare_before, got = 0, i;

	(void)state;
	open_queue(&cfg);
	spare_before = lab.q.n_spare;
	for (i = 0; i < 3; i++) {
		make_frame(sent[i], sizeof(sent[i]), 40 + i);
		send_frame(sent[i], sizeof(sent[i]));
	}
	n = receive(frames, 3, &first, &n_descs);
	assert_int_equal(n, 3);
	kept[0] = frames[0].addr;
	kept[1] = frames[2].addr;
	xsk_rx_release_keep(&lab.q, first, n_descs, kept, 2);
	/* The fill ring took three spares for the three frames; one came back. */
	assert_int_equal(lab.q.n_spare, spare_before - 2);

	/* 400 frames through a UMEM of 192: every other buffer is used again and again. */
	make_frame(other, sizeof(other), 99);
	while (got < 400) {
		for (i = 0; i < 16; i++)
			send_frame(other, sizeof(other));
		for (i = 0; i < 16;) {
			n = receive(more, 16 - i, &first, &n_descs);
			assert_true(n_descs > 0);
			xsk_rx_release(&lab.q, first, n_descs);
			i += n;
		}
		got += 16;
	}
	assert_frame_is(&frames[0], sent[0], sizeof(sent[0]));
	assert_frame_is(&frames[2], sent[2], sizeof(sent[2]));

	xsk_rx_give_back(&lab.q, kept[0]);
	xsk_rx_give_back(&lab.q, kept[1]);
	xsk_rx_refill(&lab.q);
	assert_int_equal(lab.q.n_spare, spare_before);
	round_trip(64, 1, 7);
}

static void test_sizes_asked_for(void **state)
{
	struct xsk_rx_config cfg = {
		.copy = COPY_CHOICE_COPY, .rx_ring = 512, .fill_ring = 1024, .umem_frames = 2000,
	};
	char desc[200];
	int i;

	(void)state;
	open_queue(&cfg);
	assert_int_equal(lab.q.rx_ring, 512);
	assert_int_equal(lab.q.fill_ring, 1024);
	assert_int_equal(lab.q.umem_frames, 2000);
	assert_int_equal(lab.q.n_spare, 2000 - 1024);
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "copy, umem 2000 x 4096 B ("));
	assert_non_null(strstr(desc, "rx ring 512, fill ring 1024"));
	/* More frames than the rings: every buffer comes back and is reused. */
	for (i = 0; i < 3000; i++)
		round_trip(64 + (size_t)(i % 100), 1, (unsigned int)i);
	/* A UMEM smaller than the fill ring: the fill ring takes them all. */
	xsk_rx_close(&lab.q);
	lab.q_open = 0;
	cfg.umem_frames = 100;
	open_queue(&cfg);
	assert_int_equal(lab.q.n_spare, 0);
	for (i = 0; i < 300; i++)
		round_trip(64, 1, (unsigned int)i);
}

/* The option's value, or -errno when the kernel cannot report it. */
static int get_int_sockopt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) ? -errno : v;
}

static void test_busy_poll(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .busy_poll = 1 };
	char desc[200];
	int budget;

	(void)state;
	open_queue(&cfg);
	assert_int_equal(lab.q.busy_poll, 1);
	assert_int_equal(get_int_sockopt(xsk_rx_fd(&lab.q), 69 /* SO_PREFER_BUSY_POLL */), 1);
	assert_int_equal(get_int_sockopt(xsk_rx_fd(&lab.q), 46 /* SO_BUSY_POLL */),
			 XSK_RX_BUSY_POLL_US);
	/* Linux has no getsockopt for SO_BUSY_POLL_BUDGET: open checked the set. */
	budget = get_int_sockopt(xsk_rx_fd(&lab.q), 70 /* SO_BUSY_POLL_BUDGET */);
	if (budget != -ENOPROTOOPT)
		assert_int_equal(budget, XSK_RX_BATCH);
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "busy poll on"));
	round_trip(64, 1, 3); /* receive() kicks instead of waking */
	round_trip(1500, 1, 4);
}

static void test_hugepages(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .umem_frames = 4096 };
	long pages = 4096L * 4096 / (2L << 20); /* 16 MiB in 2 MiB pages */
	char desc[200];

	(void)state;
	lab.saved_hugepages = read_nr_hugepages();
	if (lab.saved_hugepages < 0)
		skip();
	if (free_hugepages() < pages &&
	    (write_nr_hugepages(lab.saved_hugepages + pages) || free_hugepages() < pages)) {
		print_message("cannot reserve %ld hugepages here; hugepage path untested\n", pages);
		skip();
	}
	open_queue(&cfg);
	assert_int_equal(lab.q.hugepages, 1);
	assert_int_equal(lab.q.area_size % (2u << 20), 0);
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "(hugepages)"));
	round_trip(64, 1, 5);
}

static void test_hugepages_fallback(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO };
	char desc[200];
	long free_now;

	(void)state;
	lab.saved_hugepages = read_nr_hugepages();
	if (lab.saved_hugepages > 0 && write_nr_hugepages(0))
		skip();
	free_now = free_hugepages();
	/* More frames than the free hugepages hold (others may keep theirs). */
	cfg.umem_frames = (uint32_t)((free_now + 1) * 512);
	if (cfg.umem_frames > 65536)
		skip();
	open_queue(&cfg);
	assert_int_equal(lab.q.hugepages, 0);
	assert_int_equal(lab.q.area_size, (size_t)cfg.umem_frames * 4096);
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "(4k pages)"));
	round_trip(64, 1, 6);
}

static void test_multi_buffer(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .want_sg = 1 };
	char desc[200];

	(void)state;
	open_queue(&cfg);
	if (!kernel_at_least(6, 6)) {
		/* Refused before 6.6: the socket works without, and says why. */
		assert_int_equal(lab.q.sg, 0);
		assert_non_null(xsk_rx_sg_refused(&lab.q));
		assert_non_null(strstr(xsk_rx_sg_refused(&lab.q), "XDP_USE_SG"));
		round_trip(64, 1, 7);
		return;
	}
	assert_int_equal(lab.q.sg, 1);
	assert_null(xsk_rx_sg_refused(&lab.q));
	xsk_rx_describe(&lab.q, desc, sizeof(desc));
	assert_non_null(strstr(desc, "multi-buffer on"));
	/* 4096-byte buffers less the kernel's 256 bytes of headroom: 3 x 3840. */
	round_trip(9000, 3, 8);
	round_trip(64, 1, 9);
	round_trip(3840, 1, 10);
	round_trip(3841, 2, 11);
	round_trip(9000, 3, 12);
}

/* Two jumbo frames, one frame per peek: the second waits whole. */
static void test_peek_whole_frames(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .want_sg = 1 };
	static uint8_t a[9000], b[9000];
	struct xsk_frame frames[1];
	uint32_t first, n_descs, n;

	(void)state;
	if (!kernel_at_least(6, 6))
		skip();
	open_queue(&cfg);
	make_frame(a, sizeof(a), 20);
	make_frame(b, sizeof(b), 21);
	send_frame(a, sizeof(a));
	send_frame(b, sizeof(b));
	n = receive(frames, 1, &first, &n_descs);
	assert_int_equal(n, 1);
	assert_int_equal(n_descs, 3);
	assert_frame_is(&frames[0], a, sizeof(a));
	xsk_rx_release(&lab.q, first, n_descs);
	n = receive(frames, 1, &first, &n_descs);
	assert_int_equal(n, 1);
	assert_int_equal(n_descs, 3);
	assert_frame_is(&frames[0], b, sizeof(b));
	xsk_rx_release(&lab.q, first, n_descs);
}

/*
 * A 65535-byte frame needs 18 buffers of 3840 bytes, one more than
 * XSK_RX_MAX_SEGS: counted, released, and the next frame is whole.
 */
static void test_oversized_frame(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .want_sg = 1 };
	static uint8_t big[65535];
	struct xsk_frame frames[2];
	uint32_t first, n_descs, n;

	(void)state;
	if (!kernel_at_least(6, 6))
		skip();
	if (set_mtu(65535 - ETH_HLEN)) {
		set_mtu(9000);
		skip();
	}
	open_queue(&cfg);
	make_frame(big, sizeof(big), 30);
	if (send(lab.tx_fd, big, sizeof(big), 0) != (ssize_t)sizeof(big)) {
		set_mtu(9000);
		skip();
	}
	n = receive(frames, 2, &first, &n_descs);
	assert_int_equal(n, 0);
	assert_int_equal(n_descs, 18);
	assert_int_equal(lab.q.oversized, 1);
	assert_int_equal(lab.q.skipping, 0);
	xsk_rx_release(&lab.q, first, n_descs);
	round_trip(9000, 3, 31);
	assert_int_equal(set_mtu(9000), 0);
}

/* Without XDP_USE_SG a jumbo frame cannot reach the socket; small ones do. */
static void test_without_multi_buffer(void **state)
{
	struct xsk_rx_config cfg = { .copy = COPY_CHOICE_AUTO, .want_sg = 0 };
	static uint8_t buf[9000];
	struct xsk_frame frames[1];
	uint32_t first, n_descs;

	(void)state;
	open_queue(&cfg);
	assert_int_equal(lab.q.sg, 0);
	assert_null(xsk_rx_sg_refused(&lab.q));
	make_frame(buf, sizeof(buf), 40);
	send_frame(buf, sizeof(buf));
	assert_int_equal(receive(frames, 1, &first, &n_descs), 0);
	assert_int_equal(n_descs, 0);
	round_trip(64, 1, 41);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_default_sizes, test_teardown),
		cmocka_unit_test_teardown(test_sizes_asked_for, test_teardown),
		cmocka_unit_test_teardown(test_keep_until_given_back, test_teardown),
		cmocka_unit_test_teardown(test_busy_poll, test_teardown),
		cmocka_unit_test_teardown(test_hugepages, test_teardown),
		cmocka_unit_test_teardown(test_hugepages_fallback, test_teardown),
		cmocka_unit_test_teardown(test_multi_buffer, test_teardown),
		cmocka_unit_test_teardown(test_peek_whole_frames, test_teardown),
		cmocka_unit_test_teardown(test_oversized_frame, test_teardown),
		cmocka_unit_test_teardown(test_without_multi_buffer, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
