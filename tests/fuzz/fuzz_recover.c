// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for recover_scan: any input must give a result that
 * accounts for every byte, and the kept prefix must itself be a clean file
 * that scans to the same counts (so recovering twice changes nothing).
 * ASan watches the reads; a broken invariant aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/recover.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static int same_counts(const struct recover_result *a, const struct recover_result *b)
{
	return a->valid_len == b->valid_len && a->blocks == b->blocks &&
	       a->frames == b->frames && a->ifaces == b->ifaces &&
	       a->last_ts_raw == b->last_ts_raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recover_result res, again;
	char err[256];
	int rc;

	memset(&res, 0xA5, sizeof(res));        /* every field must be written */
	err[0] = '\0';
	rc = recover_scan(data, size, &res, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	CHECK(res.valid_len <= size);
	CHECK(res.valid_len + res.cut_bytes == size);
	CHECK(res.frames <= res.blocks);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc) {
		CHECK(res.valid_len == 0 && res.blocks == 0 && err[0] != '\0');
		return 0;
	}
	CHECK(res.blocks > 0 && res.valid_len > 0);
	/* Scanning only what was kept: nothing to cut, the same blocks. */
	CHECK(recover_scan(data, res.valid_len, &again, err, sizeof(err)) == 0);
	CHECK(again.cut_bytes == 0);
	CHECK(same_counts(&again, &res));
	return 0;
}
