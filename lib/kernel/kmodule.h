/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A loadable module of the target kernel that a fix changes: its .ko in
 * /lib/modules/KREL (found through modules.dep) and its symbol table, which
 * the livepatch core reads as the module's kallsyms.  They decide how a live
 * patch names the module's functions (klp_func.old_sympos within the
 * module) and refers to its symbols (.klp.sym.<module>.<name>,<pos>).
 *
 * The livepatch core counts same-named symbols in the module's symbol table
 * order, skipping undefined ones (module_kallsyms_on_each_symbol()).  While
 * the module loads (the patch came first) that table is the whole symtab of
 * the .ko; once its init has run (the module came first), the core symbols
 * only: no init code, nothing outside SHF_ALLOC sections.  A position is
 * given only when both counts agree.
 */
#ifndef KMEND_KMODULE_H
#define KMEND_KMODULE_H

#include <stdbool.h>

#include "hash.h"
#include "kelf.h"
#include "kmend.h"
#include "ksym.h"

struct km_module {
	char *name;		/* as the kernel names it: "binfmt_misc" */
	char *path;		/* /lib/modules/KREL/kernel/fs/binfmt_misc.ko[.xz] */
	struct kelf *ko;
	struct km_hash by_name;	/* defined symbols with a name */
};

/*
 * Opens module `name` (KBUILD_MODNAME) of the module tree modules_dir.
 * `source` names the fix's file in messages.  The .ko may be compressed
 * (.ko.xz, .ko.gz: read decompressed in memory, see elfile.h).
 * -KM_EUNPATCHABLE, logged, when the .ko is absent or has no symbol table;
 * another -errno, logged, when it cannot be read (a damaged .ko.xz).
 */
int km_module_open(struct km_ctx *ctx, const char *modules_dir,
		   const char *name, const char *source, struct km_module *m);
void km_module_release(struct km_module *m);

/*
 * The livepatch position of the module's copy of sym, a symbol of the
 * pristine object: 0 when its name is unique in the module, 1..n among
 * same-named symbols otherwise.  -KM_EUNPATCHABLE, logged, when kmend
 * cannot tell which it is, or when the position depends on whether the
 * module is loaded before or after the patch.
 */
int km_module_sympos(struct km_ctx *ctx, const struct km_module *m,
		     const struct kelf_sym *sym, unsigned long *pos);

/*
 * The module's symbol of that name at livepatch position pos (0: the
 * only one), among those the kernel counts; NULL when none.  Run-pre
 * (lib/proof) compares its code with the pristine object's.
 */
const struct kelf_sym *km_module_symbol(const struct km_module *m,
					const char *name, unsigned long pos);

/* "fs/fat/fat" (Module.symvers) or "vfat-x" -> "fat", "vfat_x". */
char *km_module_name_of(const char *path);

/*
 * The prefix of a symbol that lives in module <dep>, used by code of the
 * patched module <obj>: ".klp.dep.<obj>.<dep>.<name>,<pos>".  The patch's
 * livepatch relocations for it go to .klp.rela.<obj>.*, which the kernel
 * applies when <obj> loads, when <dep> is loaded too (see klp.h).
 */
#ifndef KLP_DEP_PREFIX
#define KLP_DEP_PREFIX ".klp.dep."
#endif

/* A km_resolver for one pristine object of a module (see emit.h). */
struct km_module_resolver {
	struct km_ctx *ctx;
	const struct km_ksyms *ks;	/* vmlinux and Module.symvers */
	const struct km_module *m;
	const char *object;	/* for messages: fs/binfmt_misc.o */
	const struct km_hash *patch_globals;	/* NULL: none */
	struct km_hash *namespaces;	/* of the exports it uses; NULL: none */
};
int km_module_resolve(void *data, const struct kelf_sym *sym, char **name,
		      bool *klp);

#endif
