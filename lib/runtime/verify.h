/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmend verify: every check of a live patch module on the machine that
 * will run it, without loading it: identity and conflicts (precheck.h),
 * then, where /proc/kcore and /proc/kallsyms show the kernel's memory,
 * run-pre against it: the code the module's proof section recorded at
 * build time (proof.h) must be what the running kernel has, but where
 * the kernel itself rewrites code (alternatives, static keys, ftrace,
 * relocation by KASLR: the masks recorded with it).
 */
#ifndef KMEND_VERIFY_H
#define KMEND_VERIFY_H

#include "kmend.h"
#include "precheck.h"

/* Adds the checks of module path to c; 0, or a failure of the tool. */
int km_verify(struct km_ctx *ctx, const struct km_runtime_paths *rp,
	      const char *path, struct km_checks *c);

#endif
