/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the author of a patch asks of kmend, through the sections that the
 * macros of <kmend/livepatch.h> (and of the kpatch and klp-build
 * compatibility headers) put in the patched object: callbacks to register
 * in the klp_patch, functions and sections whose changes are not carried,
 * functions to force.  Sections named .kmend.* (and kpatch's .kpatch.*,
 * same layout) are read here and never carried into the kernel.
 */
#ifndef KMEND_AUTHOR_H
#define KMEND_AUTHOR_H

#include <stdbool.h>

#include "diff.h"

enum km_callback_kind {
	KM_PRE_PATCH,
	KM_POST_PATCH,
	KM_PRE_UNPATCH,
	KM_POST_UNPATCH,
	KM_NR_CALLBACK_KINDS
};

struct km_diff_callback {
	enum km_callback_kind kind;
	struct kelf_sym *sym;	/* the function, in the patched object */
	char *object;		/* "vmlinux", a module; NULL: the file's object */
	char *alias;		/* its global name in the patch object (emit) */
};

/* "pre_patch" ... : the klp_callbacks member the kind fills. */
const char *km_callback_kind_name(enum km_callback_kind kind);

/* .kmend.* or .kpatch.*: read by kmend, never a change to the kernel. */
bool km_is_author_section(const char *name);

/*
 * Reads the author's sections of d->patched: d->callbacks, and the
 * functions and sections to ignore, which become KELF_SAME.  After
 * correlation and comparison, before the functions are collected.
 * -KM_EUNPATCHABLE is not returned: bad entries are refused through
 * d->nr_refused, with the reason logged.
 */
int km_read_author_sections(struct km_diff *d);

/* Is sec (of d->patched) a section the author asked kmend to ignore? */
bool km_is_ignored_by_author(const struct km_diff *d,
			     const struct kelf_sec *sec);

void km_author_release(struct km_diff *d);

#endif
