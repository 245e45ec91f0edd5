/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running kernel's live patches: load a livepatch module and wait for
 * its transition, disable and remove one, list what is applied.  All of it
 * goes through /sys/kernel/livepatch and the module syscalls, the way the
 * kernel's livepatch selftests drive it.
 *
 * Nothing is left half done: a load whose transition does not finish by
 * the deadline is reversed and the module removed again; an unload whose
 * transition does not finish is reversed to the patched state.
 */
#ifndef KMEND_LOADER_H
#define KMEND_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "kmend.h"
#include "modinfo.h"

#define KM_LIVEPATCH_SYSFS	"/sys/kernel/livepatch"
#define KM_LOADER_TIMEOUT	60.0	/* seconds, per transition */
#define KM_LOADER_PROGRESS	5.0	/* seconds between progress lines */
#define KM_LOADER_GRACE		5.0	/* seconds before signalling tasks */
#define KM_PROC			"/proc"
#define KM_SYS_MODULE		"/sys/module"
#define KM_RUN_DIR		"/run/kmend"	/* what kmend loaded, this boot */
#define KM_KERNEL_NOTES		"/sys/kernel/notes"

/* km_lp_load() and km_lp_unload() when --force completed the transition */
#define KM_LP_FORCED		1

struct km_loader {
	struct km_ctx *ctx;
	const char *sysfs;	/* KM_LIVEPATCH_SYSFS, or a fake tree in tests */
	const char *proc;	/* KM_PROC, or a fake tree in tests */
	const char *sys_module;	/* KM_SYS_MODULE, or a fake tree */
	const char *run_dir;	/* KM_RUN_DIR */
	const char *kernel_notes;	/* KM_KERNEL_NOTES: the build-id */
	double timeout;		/* deadline of one transition, seconds */
	double progress_every;	/* seconds between "still in transition" */
	double grace;		/* seconds between signals to blocking tasks */
	bool signal;		/* signal blocking tasks after each grace */
	bool force;		/* at the deadline, force instead of revert */
	/*
	 * Checks of the module against this machine, after the loader's own
	 * (a live patch, livepatch enabled, root, not loaded yet), before its
	 * vermagic check and before the kernel sees it (NULL: none): 0 or a
	 * negative errno, logged.
	 */
	int (*check)(struct km_ctx *ctx, const char *path);
};

/* One applied patch, as /sys/kernel/livepatch/<name> shows it. */
struct km_lp_patch {
	char *name;
	bool enabled;
	bool transition;
	int replace;	/* the kernel's replace attribute (6.12 has it): 1, 0, -1 when absent */
	struct km_func_ref *funcs;	/* <object>/<function,sympos> dirs */
	size_t nr_funcs;
};

struct km_lp_list {
	struct km_lp_patch *patches;	/* sorted by name */
	size_t nr_patches;
};

/* Defaults: the real sysfs, KM_LOADER_TIMEOUT, KM_LOADER_PROGRESS. */
void km_loader_init(struct km_loader *l, struct km_ctx *ctx);

/*
 * 0 when the kernel has a livepatch core; -ENODEV otherwise.  Logs
 * "<what>: livepatch is not enabled in this kernel ..." when what is set.
 */
int km_lp_check_available(const struct km_loader *l, const char *what);

/*
 * Load the module at path and wait for its patching transition.  On
 * success *name (may be NULL) gets the patch's name, to free.  Errors:
 * -ENOENT (no file), -ENOEXEC (not a module for this kernel), -EINVAL (not
 * a livepatch module, or refused by the kernel), -EEXIST (already loaded),
 * -EPERM (not root), -ENODEV (no livepatch), -EBUSY (another patch is in
 * transition), -ETIMEDOUT (reverted); KM_LP_FORCED when l->force had to
 * force the transition.  Patches that an atomic-replace patch retires
 * have their modules removed too.
 */
int km_lp_load(const struct km_loader *l, const char *path, char **name);

/*
 * Disable the patch called name, wait for its unpatching transition and
 * remove its module.  name may also be the module file.  -ENOENT: no such
 * patch; -ETIMEDOUT: the transition was reversed, the patch stays applied.
 */
int km_lp_unload(const struct km_loader *l, const char *name);

/*
 * The patches of before that were enabled and are not any more (an
 * atomic-replace patch retired them): their modules removed.  The number
 * removed, or -errno of the first removal that failed.
 */
int km_lp_remove_retired(const struct km_loader *l,
			 const struct km_lp_list *before);

/* All applied patches. */
int km_lp_list(const struct km_loader *l, struct km_lp_list *list);
void km_lp_list_release(struct km_lp_list *list);

/* One patch by name; -ENOENT (silently) when it is not loaded. */
int km_lp_get(const struct km_loader *l, const char *name,
	      struct km_lp_patch *p);
void km_lp_patch_release(struct km_lp_patch *p);

/*
 * JSON forms shared by 'kmend list' and 'kmend info':
 *   {"object":"vmlinux","function":"cmdline_proc_show","sympos":1}
 *   {"name":..,"enabled":true,"transition":false,"functions":[..]}
 */
void km_func_ref_json(struct km_json *j, const char *key,
		      const struct km_func_ref *f);
void km_lp_patch_json(struct km_json *j, const char *key,
		      const struct km_lp_patch *p);

#endif
