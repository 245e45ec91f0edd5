/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differ: which functions of a patched object differ from the pristine
 * one, and whether the difference can be carried by a live patch.
 */
#ifndef KMEND_DIFF_H
#define KMEND_DIFF_H

#include "kelf.h"
#include "kmend.h"
#include "linemap.h"

struct arch_layout;
struct km_entries;
struct km_diff_callback;

struct km_diff_func {
	struct kelf_sym *sym;	/* in the patched object */
	struct kelf_sym *orig;	/* its twin, NULL when new */
	enum kelf_status status;	/* KELF_CHANGED or KELF_NEW */
	bool replaces;		/* replaced in the kernel through a klp_func */
	char *alias;		/* global name of the new code in the output */
};

struct km_diff {
	struct km_ctx *ctx;
	const char *name;	/* for messages: the source file or the object */
	/* where the source's lines went, when known: __init code that
	 * differs only in line numbers (__LINE__) is not a change */
	const struct km_linemap *lines;
	struct kelf *orig, *patched;
	/* the special sections' layout of the target kernel's version: from
	 * the objects by km_diff_open(), the caller may set the target's */
	const struct arch_layout *layout;
	struct km_diff_func *funcs;
	size_t nr_funcs;
	size_t nr_replaced;
	size_t nr_new_global;	/* new global functions: other files may call them */
	int nr_refused;
	int error;		/* the first failure while comparing */
	/* special-section entries by function (compare.h) */
	struct km_entries *pentries, *oentries;
	int cmp_depth;
	bool comparing_init;	/* the function compared is __init code */
	bool *referenced;	/* patched symbols some relocation names */
	/* types whose layout change was said, by the build's other units */
	struct km_buf *layouts_reported;
	/* what the patch's author asks (author.h) */
	struct km_diff_callback *callbacks;
	size_t nr_callbacks;
	char **ignored_sections;
	size_t nr_ignored_sections;
};

/* km_diff_objects() returns this when nothing functional changed. */
#define KM_DIFF_NOCHANGE 1

int km_diff_open(struct km_ctx *ctx, struct km_diff *d, const char *orig,
		 const char *patched);
/*
 * Correlates, compares and checks.  0: there are functions to replace;
 * KM_DIFF_NOCHANGE; -KM_EUNPATCHABLE (each reason logged as an error);
 * another negative errno on failure.
 */
int km_diff_objects(struct km_diff *d);
void km_diff_release(struct km_diff *d);

const char *km_status_name(enum kelf_status status);
/*
 * What the patch does with a function: "changed" or "new"; "carried" for
 * new code of a function livepatch cannot redirect, "replaced" for its
 * unchanged callers, replaced in its stead.
 */
const char *km_func_role(const struct km_diff_func *f);

#endif
