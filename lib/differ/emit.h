/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emitter: writes the object a live patch carries -- the functions the
 * differ selected, what they need (strings, constants, special section
 * entries) and references to everything else, which stays in the kernel.
 */
#ifndef KMEND_EMIT_H
#define KMEND_EMIT_H

#include "diff.h"

/*
 * How the patch names a symbol that stays in the kernel.  sym is the
 * pristine object's symbol (or the patched object's, for externals).
 * Sets *name (malloc'd) and *klp: true when the name is a livepatch symbol
 * (.klp.sym.<obj>.<name>,<pos>) whose relocations the livepatch core
 * resolves, false for an ordinary (exported) symbol.
 */
struct km_resolver {
	int (*resolve)(void *data, const struct kelf_sym *sym, char **name,
		       bool *klp);
	void *data;
};

/*
 * Resolution from the objects alone, for 'kmend diff': local symbols
 * become livepatch symbols of vmlinux at position 0, globals stay as they
 * are.  'kmend build' resolves against the kernel's symbol table instead.
 */
int km_resolve_from_object(void *data, const struct kelf_sym *sym,
			   char **name, bool *klp);

/* Prefix of the global names given to the new code of replaced functions. */
#define KM_NEW_FUNC_PREFIX "__kmend_new_"

/*
 * Writes the patch object of a successful km_diff_objects() to path (NULL:
 * decides everything, writes nothing: the same verdict) and
 * names the new code of each replaced function (d->funcs[i].alias:
 * alias_prefix followed by a number).  -KM_EUNPATCHABLE when something the
 * functions need cannot be carried.
 */
int km_emit_object(struct km_diff *d, const struct km_resolver *res,
		   const char *alias_prefix, const char *path);

#endif
