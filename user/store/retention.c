// SPDX-License-Identifier: GPL-2.0-only
/*
 * Retention. Deleting oldest first until the set fits is the same as keeping
 * the longest run of newest files that fits; the latter is computed here
 * because it only ever adds sizes up to a limit, so a huge file can never
 * overflow a running total.
 */
#define _GNU_SOURCE /* qsort_r */
#include "store/retention.h"

#include <stdlib.h>

static int cmp_oldest(const void *a, const void *b, void *arg)
{
	const struct retained_file *files = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;

	if (files[ia].seq != files[ib].seq)
		return files[ia].seq < files[ib].seq ? -1 : 1;
	/* Equal seq: a set numbered twice by an older vpncap; the newer stays. */
	if (files[ia].start_sec != files[ib].start_sec)
		return files[ia].start_sec < files[ib].start_sec ? -1 : 1;
	return (ia > ib) - (ia < ib); /* deterministic */
}

void retention_oldest_first(const struct retained_file *files, size_t n, size_t *order)
{
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = i;
	if (n > 1)
		qsort_r(order, n, sizeof(*order), cmp_oldest, (void *)files);
}

/* How many of the newest completed files (order oldest first) can stay. */
static size_t files_kept(const struct retained_file *files, size_t n, const size_t *order,
			 const struct retention_policy *p, int has_current,
			 uint64_t current_bytes)
{
	uint64_t count = has_current ? 1 : 0;
	uint64_t bytes = has_current ? current_bytes : 0;
	size_t kept = 0;

	if (p->max_bytes && bytes > p->max_bytes)
		return 0;
	while (kept < n) {
		uint64_t size = files[order[n - 1 - kept]].size;

		if (p->max_files && count + 1 > p->max_files)
			break;
		if (p->max_bytes && size > p->max_bytes - bytes)
			break;
		count++;
		bytes += size; /* <= max_bytes when limited; unused otherwise */
		kept++;
	}
	return kept;
}

size_t retention_select(const struct retained_file *files, size_t n,
			const struct retention_policy *policy, int has_current,
			uint64_t current_bytes, size_t *victims)
{
	if (n == 0 || !policy)
		return 0;
	/* Victims are the oldest: sort all, the kept ones end up at the tail. */
	retention_oldest_first(files, n, victims);
	return n - files_kept(files, n, victims, policy, has_current, current_bytes);
}
