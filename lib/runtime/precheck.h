/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What can be checked on the machine that will run a patch, before the
 * kernel sees it: that it was built for this very kernel (release,
 * vermagic, the build-id of vmlinux in /sys/kernel/notes and of each
 * patched module in /sys/module/M/notes), and that nothing else holds the
 * functions it replaces (another live patch: stacking, shown; a kprobe
 * with a post handler or an ftrace user that modifies the instruction
 * pointer: refused, livepatch cannot share those).
 *
 * Each check is one km_check, for `kmend verify` to print or write as
 * JSON; `kmend load` stops at the first failure.
 */
#ifndef KMEND_PRECHECK_H
#define KMEND_PRECHECK_H

#include <stddef.h>

#include "kmend.h"
#include "modinfo.h"

enum km_check_status { KM_CHECK_PASS, KM_CHECK_NOTE, KM_CHECK_SKIP,
		       KM_CHECK_FAIL };

struct km_check {
	char *name;		/* "release", "build-id vmlinux" ... */
	enum km_check_status status;
	int err;		/* when failed: -ENOEXEC, -KM_EUNPATCHABLE */
	char *detail;
};

struct km_checks {
	struct km_check *v;
	size_t n;
};

__attribute__((format(printf, 5, 6)))
int km_checks_add(struct km_checks *c, const char *name,
		  enum km_check_status status, int err, const char *fmt, ...);
void km_checks_release(struct km_checks *c);
/* 0, or the error of the first failed check. */
int km_checks_verdict(const struct km_checks *c);
const char *km_check_status_name(enum km_check_status s);

/* Where the running kernel's files are; "" for the real ones (tests). */
struct km_runtime_paths {
	const char *root;	/* prefix of /sys and /proc */
	const char *release;	/* NULL: uname -r */
};

/* The GNU build-id of an ELF file (a .ko.xz too), in hex; NULL + errno. */
char *km_build_id_of_file(const char *path);
/* The GNU build-id in raw ELF notes (/sys/kernel/notes); NULL + errno. */
char *km_build_id_of_notes(const unsigned char *notes, size_t size);

/* Identity checks of module mi (built by kmend) against this kernel. */
int km_check_identity(struct km_ctx *ctx, const struct km_runtime_paths *rp,
		      const struct km_modinfo *mi, struct km_checks *c);
/* Conflicts of its functions with live patches, kprobes, ftrace users. */
int km_check_conflicts(struct km_ctx *ctx, const struct km_runtime_paths *rp,
		       const struct km_modinfo *mi, struct km_checks *c);

/*
 * Both, for `kmend load`: logs each failure and note, returns the first
 * failure's error (0 when the module may be loaded).  A module not built
 * by kmend passes (the loader's own checks apply).
 */
int km_preload_checks(struct km_ctx *ctx, const char *path);

#endif
