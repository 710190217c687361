// SPDX-License-Identifier: GPL-2.0-only
#include "privileges.h"
#include "log.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const int kept[] = { CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON };

uint64_t privileges_kept_mask(void)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		mask |= 1ull << kept[i];
	return mask;
}

int privileges_drop_after_start(const struct privileges_extra *extra, char *err,
				size_t errlen)
{
	const capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;
	size_t i;

	/*
	 * Shrinking the bounding set needs CAP_SETPCAP, which the service unit
	 * does not grant (its own bounding set is already small); without it,
	 * leave the bounding set alone rather than have libcap-ng complain.
	 */
	int can_bound = capng_get_caps_process() == 0 &&
			capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);

	capng_clear(CAPNG_SELECT_ALL);
	if (extra->dac_override)
		capng_update(CAPNG_ADD, sets, CAP_DAC_OVERRIDE);
	if (extra->sys_admin)
		capng_update(CAPNG_ADD, sets, CAP_SYS_ADMIN);
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (capng_update(CAPNG_ADD, sets, kept[i]) && kept[i] < CAP_PERFMON) {
			err_set(err, errlen, "cannot keep capability %d", kept[i]);
			return -1;
		}
	/* The bounding set first, while CAP_SETPCAP is still effective. */
	if (can_bound && capng_apply(CAPNG_SELECT_BOUNDS))
		log_debug("bounding set left as it is");
	if (capng_apply(CAPNG_SELECT_CAPS) || capng_apply(CAPNG_SELECT_AMBIENT)) {
		err_set(err, errlen, "cannot drop capabilities after start-up");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err_set(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}
