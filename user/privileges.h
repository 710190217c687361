/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Least privilege: once the XDP program is attached and the AF_XDP sockets
 * are bound, vpncap keeps only what running and stopping still need
 * (libcap-ng): CAP_NET_ADMIN to detach the program, CAP_BPF and CAP_PERFMON
 * to read counters and update rules (kernels before 6.5 check them on every
 * bpf() call). Everything else goes from the effective, permitted,
 * inheritable and bounding sets, and no_new_privs is set, so an --on-rotate
 * command can never regain more.
 */
#ifndef VPNCAP_PRIVILEGES_H
#define VPNCAP_PRIVILEGES_H

#include <stddef.h>
#include <stdint.h>

/* Bit mask (as in /proc/PID/status) of the capabilities kept. */
uint64_t privileges_kept_mask(void);

/* What has to stay beyond the base set, depending on how the capture runs. */
struct privileges_extra {
	int dac_override;   /* a file set in a directory owned by another user */
	int sys_admin;      /* attached through libxdp's dispatcher: detaching needs it */
	/*
	 * -i any attaches interfaces that appear later: AF_XDP sockets need
	 * CAP_NET_RAW, their UMEM CAP_IPC_LOCK (locked memory), libxdp's
	 * dispatcher CAP_SYS_ADMIN; kept for the whole run.
	 */
	int attach_later;
};

/* 0, or -1 with a one-line reason in err. */
int privileges_drop_after_start(const struct privileges_extra *extra, char *err,
				size_t errlen);

/* The capabilities privileges_drop_after_start(extra) keeps, in words ("CAP_NET_ADMIN, ..."). */
void privileges_kept_names(const struct privileges_extra *extra, char *buf, size_t len);

/*
 * fn(arg) on a thread of its own whose effective capabilities are only
 * those privileges_drop_after_start(extra) will keep (capabilities are per
 * thread; the caller's stay as they are). A file operation there succeeds
 * or fails exactly as it will once the capture runs, whatever decides it:
 * modes, ACLs, an LSM, a read-only mount. fn's result, or -errno when the
 * thread could not be made so.
 */
int privileges_run_as_kept(const struct privileges_extra *extra, int (*fn)(void *arg),
			   void *arg);

#endif /* VPNCAP_PRIVILEGES_H */
