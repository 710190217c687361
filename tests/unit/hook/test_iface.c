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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_is_there),
		cmocka_unit_test(test_unknown_index_is_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
