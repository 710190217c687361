// SPDX-License-Identifier: GPL-2.0-only
#include "privileges.h"
#include "log.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	if (extra->sys_admin || extra->attach_later)
		capng_update(CAPNG_ADD, sets, CAP_SYS_ADMIN);
	if (extra->attach_later) {
		capng_update(CAPNG_ADD, sets, CAP_NET_RAW);
		capng_update(CAPNG_ADD, sets, CAP_IPC_LOCK);
	}
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

static uint64_t kept_with(const struct privileges_extra *extra)
{
	uint64_t mask = privileges_kept_mask();

	if (extra->dac_override)
		mask |= 1ull << CAP_DAC_OVERRIDE;
	if (extra->sys_admin || extra->attach_later)
		mask |= 1ull << CAP_SYS_ADMIN;
	if (extra->attach_later)
		mask |= 1ull << CAP_NET_RAW | 1ull << CAP_IPC_LOCK;
	return mask;
}

void privileges_kept_names(const struct privileges_extra *extra, char *buf, size_t len)
{
	snprintf(buf, len, "CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON%s%s%s",
		 extra->dac_override ? ", CAP_DAC_OVERRIDE" : "",
		 extra->sys_admin || extra->attach_later ? ", CAP_SYS_ADMIN" : "",
		 extra->attach_later ? ", CAP_NET_RAW, CAP_IPC_LOCK" : "");
}

struct as_kept {
	uint64_t mask;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

/*
 * The raw system calls on this thread alone (pid 0): libcap-ng's state and
 * its idea of the process are left to privileges_drop_after_start.
 * Lowering the effective set needs no capability.
 */
static int keep_effective(uint64_t mask)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= (uint32_t)mask;
	data[1].effective &= (uint32_t)(mask >> 32);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static void *run_as_kept(void *arg)
{
	struct as_kept *k = arg;

	k->ret = keep_effective(k->mask);
	if (!k->ret)
		k->ret = k->fn(k->arg);
	return NULL;
}

int privileges_run_as_kept(const struct privileges_extra *extra, int (*fn)(void *arg),
			   void *arg)
{
	struct as_kept k = { .mask = kept_with(extra), .fn = fn, .arg = arg };
	pthread_t th;
	int ret = pthread_create(&th, NULL, run_as_kept, &k);

	if (ret)
		return -ret;
	pthread_join(th, NULL);
	return k.ret;
}
