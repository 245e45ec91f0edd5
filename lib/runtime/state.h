/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmend knows about the patches it loaded, beyond what sysfs says:
 * when each was loaded, from which file, and the fixes it carries.  Kept
 * in KM_RUN_DIR/<name> (a tmpfs: it describes this boot only), one
 * "key=value" a line.  And the machine's state at a glance, for
 * 'kmend status'.
 */
#ifndef KMEND_STATE_H
#define KMEND_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "json.h"
#include "loader.h"
#include "modinfo.h"

struct km_lp_record {
	char *path;		/* the module file loaded */
	time_t loaded;		/* 0: unknown */
	char *kernel;		/* kmend_kernel of its modinfo, or NULL */
	bool replace;		/* an atomic-replace patch */
	char **fixes;		/* kmend_patch entries: the diffs it carries */
	size_t nr_fixes;
};

int km_lp_record_load(const struct km_loader *l, const char *name,
		      const struct km_modinfo *mi);
void km_lp_forget_load(const struct km_loader *l, const char *name);
/* -ENOENT when kmend did not load it (insmod, or an earlier boot). */
int km_lp_read_record(const struct km_loader *l, const char *name,
		      struct km_lp_record *r);
void km_lp_record_release(struct km_lp_record *r);

/* One patch as 'kmend status' shows it. */
struct km_lp_status_patch {
	struct km_lp_patch patch;
	struct km_lp_record record;	/* zeroed when there is none */
	bool has_record;
	char **stacked_on;	/* earlier patches this one overrides */
	size_t nr_stacked_on;
};

/* Whether P is an atomic replace: the kernel's attribute where it has one
 * (6.12), else kmend's record of the load. */
bool km_lp_status_replace(const struct km_lp_status_patch *p);

struct km_status {
	char *krel;		/* uname -r */
	char *build_id;		/* of the running kernel, hex, or NULL */
	bool livepatch;		/* the kernel has a livepatch core */
	unsigned long taint;	/* /proc/sys/kernel/tainted */
	char *taint_flags;	/* "OEK": the letters of the taint bits */
	char *in_transition;	/* the patch in transition, or NULL */
	struct km_lp_status_patch *patches;	/* in load order, oldest first */
	size_t nr_patches;
};

int km_status_read(const struct km_loader *l, struct km_status *st);
void km_status_release(struct km_status *st);
void km_status_json(struct km_json *j, const struct km_status *st);

/*
 * The loaded patches in load order, oldest first (the kernel's module
 * list is newest first), with what each overrides.
 */
int km_lp_stack_order(const struct km_loader *l, struct km_lp_list *list);

#endif
