// SPDX-License-Identifier: GPL-2.0-only
/*
 * SipHash-2-4 against the reference test vectors (key 00 01 .. 0f, message
 * 00 01 .. n-1; the paper's appendix and vectors.h of the reference
 * implementation): lengths 0 to 17 take every tail size and the full-word
 * loop. Random keys differ from run to run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "siphash.h"

static void test_reference_vectors(void **state)
{
	static const uint64_t want[18] = {
		0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
		0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
		0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
		0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
		0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
		0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	};
	const struct siphash_key key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[18];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 18; n++)
		assert_true(siphash24(&key, msg, n) == want[n]);
}

static void test_random_keys(void **state)
{
	struct siphash_key a = { 0, 0 }, b = { 0, 0 };

	(void)state;
	siphash_key_random(&a);
	siphash_key_random(&b);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1);
	assert_false(siphash24(&a, "spi", 3) == siphash24(&b, "spi", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_random_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
