// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap version (--version, -V): vpncap's own version (git describe at
 * build time, see cmake/GitVersion.cmake), the libbpf and libxdp it runs
 * with, and what the kernel accepts. The first line is stable for scripts:
 * "vpncap VERSION".
 */
#include "cmd/cmd.h"
#include "hook/kernel_probe.h"
#include "log.h"
#include "vpncap/version.h"      /* generated in the build tree (cmake/GitVersion.cmake) */

#include <bpf/libbpf.h>
#include <stdio.h>
#include <unistd.h>

#ifndef VPNCAP_LIBXDP_VERSION
#define VPNCAP_LIBXDP_VERSION "unknown"
#endif

/* One compact line: the features the kernel accepts, then those it lacks. */
static void print_kernel(FILE *f)
{
	struct kernel_features kf;
	char err[256];

	/* Probing loads BPF programs: without root it can only fail, so say so. */
	if (geteuid() != 0) {
		fputs("kernel features: run as root to probe (vpncap list)\n", f);
		return;
	}
	if (kernel_probe(&kf, err, sizeof(err))) {
		fprintf(f, "kernel features: not probed: %s\n", err);
		return;
	}
	kernel_describe(&kf, f);
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vpncap %s\n", VPNCAP_VERSION_FULL);
	/* libbpf says its own version (the shared library loaded, not the headers). */
	printf("libbpf %u.%u (the library loaded)\n", libbpf_major_version(), libbpf_minor_version());
	/* libxdp has no version call: the version pkg-config gave at build time. */
	printf("libxdp %s (built against)\n", VPNCAP_LIBXDP_VERSION);
	print_kernel(stdout);
	return EXIT_OK;
}
