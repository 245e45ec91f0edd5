/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target kernel's symbols: vmlinux's symbol table (what kallsyms holds,
 * in kallsyms order) and Module.symvers (what it exports).  They decide how
 * a live patch refers to what stays in the kernel: by name when exported,
 * through a livepatch symbol .klp.sym.vmlinux.<name>,<pos> otherwise, pos
 * telling apart local symbols of the same name.
 */
#ifndef KMEND_KSYM_H
#define KMEND_KSYM_H

#include <stdbool.h>

#include "hash.h"
#include "kelf.h"
#include "kmend.h"

struct km_ksym {
	const char *name;
	GElf_Addr addr;
	GElf_Xword size;
	unsigned char type, bind;
	const char *file;	/* the STT_FILE the symbol follows (locals) */
};

struct km_ksyms {
	char *vmlinux;
	int fd;
	Elf *elf;
	struct km_ksym *syms;
	size_t nr_syms;
	struct km_hash by_name;
	struct km_hash exported;
	struct km_hash mod_exports;	/* name -> exporting module's path */
	struct km_hash namespace_of;	/* name -> namespace, when it has one */
	char *symvers_text;
};

int km_ksyms_load(struct km_ctx *ctx, const char *vmlinux,
		  const char *symvers, struct km_ksyms *ks);
void km_ksyms_release(struct km_ksyms *ks);

bool km_ksyms_is_exported(const struct km_ksyms *ks, const char *name);
/*
 * The module that exports name, as Module.symvers names it ("fs/fat/fat"),
 * or NULL when no module exports it.
 */
const char *km_ksyms_exporting_module(const struct km_ksyms *ks,
				      const char *name);
/*
 * The namespace of an exported symbol (EXPORT_SYMBOL_NS: "CXL",
 * "DMA_BUF"), NULL when it has none: a module using it must say
 * MODULE_IMPORT_NS, or modpost and the module loader refuse it.
 */
const char *km_ksyms_namespace(const struct km_ksyms *ks, const char *name);
/* Adds name's namespace, if it has one, to set (name -> name). */
int km_ksyms_note_namespace(const struct km_ksyms *ks, struct km_hash *set,
			    const char *name);
/*
 * The kallsyms position of the kernel's copy of sym, a symbol of the
 * pristine object compiled from source file `file` (its STT_FILE name):
 * 0 when the name is unique, 1..n among same-named symbols otherwise.
 */
int km_ksyms_sympos(struct km_ctx *ctx, const struct km_ksyms *ks,
		    const char *file, const struct kelf_sym *sym,
		    unsigned long *pos);

/*
 * Is sym, a weak symbol of the pristine object, overridden by a strong one
 * elsewhere in the kernel?  Then its code never runs, and its name is the
 * other definition's: replacing it would replace the wrong function.
 */
bool km_ksyms_is_overridden(const struct km_ksyms *ks,
			    const struct kelf_sym *sym);

/* A km_resolver for one pristine object (see emit.h). */
struct km_ksym_resolver {
	struct km_ctx *ctx;
	const struct km_ksyms *ks;
	const char *file;	/* STT_FILE of the pristine object */
	const char *object;	/* for messages: fs/proc/cmdline.o */
	/* globals another file of the patch defines (NULL: none) */
	const struct km_hash *patch_globals;
	/* the namespaces of the exported symbols it resolved to, as a set
	 * (NULL: not collected) */
	struct km_hash *namespaces;
};
int km_ksyms_resolve(void *data, const struct kelf_sym *sym, char **name,
		     bool *klp);

/* The STT_FILE name of an object ("cmdline.c"), or NULL. */
const char *km_object_source_file(const struct kelf *e);

#endif
