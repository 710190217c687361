// SPDX-License-Identifier: GPL-2.0-only
/*
 * iface_gone(): "gone" only when the kernel says no interface has the
 * index; the loopback (index 1 in every network namespace) is there. No
 * privileges needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <net/if_arp.h>

#include "hook/iface.h"

static void test_loopback_is_there(void **state)
{
	(void)state;
	assert_int_equal(iface_gone((int)if_nametoindex("lo")), 0);
}

static void test_unknown_index_is_gone(void **state)
{
	(void)state;
	assert_int_equal(iface_gone(0x7ffffff0), 1);
}

/* -i any: up, Ethernet framing, not loopback, not stacked on another interface. */
static void test_any_wants(void **state)
{
	(void)state;
	assert_true(iface_any_wants(ARPHRD_ETHER, IFF_UP | IFF_BROADCAST, 0));
	assert_false(iface_any_wants(ARPHRD_ETHER, IFF_BROADCAST, 0));          /* down */
	assert_false(iface_any_wants(ARPHRD_ETHER, IFF_UP, 1));                 /* VLAN, bridge, bond */
	assert_false(iface_any_wants(ARPHRD_LOOPBACK, IFF_UP | IFF_LOOPBACK, 0));
	assert_false(iface_any_wants(ARPHRD_ETHER, IFF_UP | IFF_LOOPBACK, 0));
	assert_false(iface_any_wants(ARPHRD_NONE, IFF_UP | IFF_POINTOPOINT, 0)); /* tun, WireGuard */
	assert_false(iface_any_wants(ARPHRD_IPGRE, IFF_UP, 0));
}

/* lo is never in the list; whatever is, is up and Ethernet. */
static void test_list_any_skips_lo(void **state)
{
	struct iface_pick picks[64];
	unsigned int n = iface_list_any(picks, 64), i;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_string_not_equal(picks[i].name, "lo");
		assert_int_equal((unsigned int)picks[i].ifindex, if_nametoindex(picks[i].name));
	}
	assert_true(iface_list_any(picks, 0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_is_there),
		cmocka_unit_test(test_unknown_index_is_gone),
		cmocka_unit_test(test_any_wants),
		cmocka_unit_test(test_list_any_skips_lo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
