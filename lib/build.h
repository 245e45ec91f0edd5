/* SPDX-License-Identifier: GPL-2.0 */
/* kmend build: from diffs to a livepatch module, step by step. */
#ifndef KMEND_BUILD_H
#define KMEND_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "kmend.h"
#include "target.h"

struct km_build_opts {
	struct km_target_opts target;
	const char *name;	/* -n; NULL: from the first patch's file name */
	const char *output;	/* -o; NULL: NAME.ko in the current directory */
	const char *const *patches;
	size_t nr_patches;
	bool keep;		/* keep the scratch and work directories */
	bool replace;		/* an atomic-replace (cumulative) patch */
	size_t max_units;	/* --max-units; 0: KM_BUILD_MAX_UNITS */
	unsigned int fuzz;	/* --fuzz: context lines a hunk may miss */
	/* headers for patch authors (kmend/livepatch.h, kpatch-macros.h ...),
	 * on the include path of the patched compile only; NULL: none */
	const char *author_include;
};

/*
 * A changed header brings in every unit that includes it; each is
 * preprocessed twice to find those whose code changes.  Past this many,
 * kmend refuses rather than run for hours (include/linux/sched.h is in
 * nearly all of them); --max-units raises it.
 */
#define KM_BUILD_MAX_UNITS 600
/* Preprocessing one unit, in CPU seconds, for the estimate shown. */
#define KM_BUILD_CPP_SECONDS 0.5

/*
 * 0: the module is written; KM_BUILD_NOCHANGE: the patches change nothing
 * a live patch would carry; -KM_EUNPATCHABLE: refused, with reasons
 * logged; another negative errno on failure.  Nothing is left behind on
 * failure: no output file, the cache as it was.
 */
#define KM_BUILD_NOCHANGE 1
int km_build(struct km_ctx *ctx, const struct km_build_opts *opts);

#endif
