/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Livepatch relocations (Documentation/livepatch/module-elf-format.rst):
 * after Kbuild has linked a patch module, its references to undefined
 * ".klp.sym.<obj>.<name>,<pos>" symbols move to ".klp.rela.<obj>.<section>"
 * sections flagged SHF_RELA_LIVEPATCH, and those symbols get the section
 * index SHN_LIVEPATCH, so that the livepatch core, not the module loader,
 * resolves them.
 */
#ifndef KMEND_KLP_H
#define KMEND_KLP_H

#include "kmend.h"

#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH 0x00100000
#endif
#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif

#define KLP_SYM_PREFIX ".klp.sym."
#define KLP_RELA_PREFIX ".klp.rela."
/*
 * ".klp.dep.<obj>.<dep>.<name>,<pos>": a symbol of module <dep> that code
 * patching module <obj> uses; written as ".klp.sym.<dep>.<name>,<pos>" in
 * .klp.rela.<obj>.*, which the kernel applies when <obj> loads (its
 * dependencies are loaded then).
 */
#ifndef KLP_DEP_PREFIX
#define KLP_DEP_PREFIX ".klp.dep."
#endif

/* Rewrites module `in` into `out` (may be the same path); returns the
 * number of livepatch relocations written, or a negative errno. */
int km_klp_convert(struct km_ctx *ctx, const char *in, const char *out);

#endif
