/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whether -w would work, found without creating, opening for writing or
 * changing anything (`vpncap capture --check`): the file set's directory
 * exists or can be created, is no symbolic link, can be written in, and
 * only root or vpncap's user can write in it (trusted_dir.h); or, for one
 * file, its directory can be written in.
 */
#ifndef VPNCAP_STORE_OUTPUT_CHECK_H
#define VPNCAP_STORE_OUTPUT_CHECK_H

#include <stddef.h>

#include "store/output_file.h"      /* enum output_io_mode */

/*
 * 0 with what was found in said ("exists, only root can write in it"), or
 * -errno with the one-line reason in err, worded as the capture would say it.
 */
int output_check(const char *path, int is_dir, int allow_shared_dir, char *said,
		 size_t saidlen, char *err, size_t errlen);

/*
 * How -w's files would be written (--output-io mode on the file system of
 * the nearest existing directory): 0 with it in said ("direct (O_DIRECT) on
 * ext4, ..."), or -EINVAL when mode is direct and the file system is not one
 * vpncap writes with O_DIRECT, err worded as the capture says it.
 */
int output_check_io(const char *path, int is_dir, enum output_io_mode mode, char *said,
		    size_t saidlen, char *err, size_t errlen);

/* A set's directory as vpncap names it: "set/" is "set" (its files "set/x", not "set//x"). */
void output_trim_slashes(const char *path, char *out, size_t len);

/*
 * The file set's directory dir (it exists), opened as vpncap keeps it: no
 * symbolic link, writable, and refused when another user may write in it
 * unless allow_shared (then why says who may: "writable by group 27 ...";
 * else why is ""). The descriptor, or -errno with the reason in err.
 */
int output_open_set_dir(const char *dir, int allow_shared, char *why, size_t whylen, char *err,
			size_t errlen);

#endif /* VPNCAP_STORE_OUTPUT_CHECK_H */
