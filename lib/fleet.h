/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One fix for many kernels: km_build() once per kernel, each in a process of
 * its own, up to `jobs` at a time, each writing OUTDIR/KREL/NAME.ko and its
 * log OUTDIR/KREL/build.log.  A refusal or a failure on one kernel does not
 * stop the others.
 */
#ifndef KMEND_FLEET_H
#define KMEND_FLEET_H

#include <stddef.h>

#include "build.h"

enum km_fleet_result {
	KM_FLEET_BUILT,
	KM_FLEET_NOCHANGE,	/* nothing a live patch would carry */
	KM_FLEET_REFUSED,	/* cannot be live patched on this kernel */
	KM_FLEET_FAILED,	/* the build failed (fix does not apply ...) */
};

struct km_fleet_kernel {
	const char *krel;		/* in: the kernel */
	enum km_fleet_result result;	/* out: */
	double seconds;			/* the build's wall time */
	size_t nr_funcs;		/* functions the module replaces */
	char *output;			/* OUTDIR/KREL/NAME.ko */
	char *log;			/* OUTDIR/KREL/build.log */
	char *reason;			/* the first error line, or NULL */
};

struct km_fleet_opts {
	/* what to build; target.krel and output are set per kernel */
	const struct km_build_opts *build;
	const char *outdir;		/* created when missing */
	int jobs;			/* builds at a time; <= 0: the cores */
};

/*
 * Builds for every kernel; fills each kernels[i]'s results (release them
 * with km_fleet_release()).  0 when every build ran to a result, whatever
 * the results; a negative errno when the builds could not be run.
 */
int km_fleet_build(struct km_ctx *ctx, const struct km_fleet_opts *opts,
		   struct km_fleet_kernel *kernels, size_t nr);
void km_fleet_release(struct km_fleet_kernel *kernels, size_t nr);
const char *km_fleet_result_name(enum km_fleet_result r);

#endif
