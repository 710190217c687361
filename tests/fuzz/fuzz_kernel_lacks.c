// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for kernel_lacks_parse, the reader of the test switch
 * VPNCAP_KERNEL_LACKS (a comma-separated list of kernel feature names).
 *
 * abort()s when:
 *  - the answer is neither 0 nor -EINVAL, or a refusal leaves no message or
 *    one of several lines;
 *  - an accepted list sets a bit that names no feature, or leaves out a
 *    name it holds: the mask printed back as a list parses to the same mask;
 *  - kernel_deny() of the mask leaves a denied feature present or a
 *    feature without its reason.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hook/kernel_probe.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static void check_round_trip(uint32_t mask)
{
	char list[512] = "", err[256];
	uint32_t again;
	int f;

	for (f = 0; f < KFEAT_COUNT; f++)
		if (mask & (1u << f)) {
			if (list[0])
				strcat(list, ",");
			strcat(list, kfeat_name((enum kfeat)f));
		}
	CHECK(kernel_lacks_parse(list, &again, err, sizeof(err)) == 0);
	CHECK(again == mask);
}

static void check_deny(uint32_t mask)
{
	struct kernel_features kf;
	int f;

	memset(&kf, 0, sizeof(kf));
	kf.have = (1u << KFEAT_COUNT) - 1;
	kernel_deny(&kf, mask);
	for (f = 0; f < KFEAT_COUNT; f++) {
		int denied = !!(mask & (1u << f));

		CHECK(kernel_has(&kf, (enum kfeat)f) == !denied);
		CHECK(!denied || kf.why[f][0]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list = malloc(size + 1), err[256] = "";
	uint32_t mask = 0xdeadbeef;
	int ret;

	CHECK(list);
	memcpy(list, data, size);
	list[size] = '\0';
	ret = kernel_lacks_parse(list, &mask, err, sizeof(err));
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		CHECK(err[0] && !strchr(err, '\n'));
	} else {
		CHECK(!(mask >> KFEAT_COUNT));
		check_round_trip(mask);
		check_deny(mask);
	}
	free(list);
	return 0;
}
