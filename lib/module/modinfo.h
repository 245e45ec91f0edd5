/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The .modinfo strings of a kernel module file ("key=value", NUL separated):
 * what kmend needs to know about a .ko before it is loaded.  Modules built
 * by kmend carry keys of their own besides the kernel's:
 *
 *   kmend_kernel=<KREL>                     the kernel it was built for
 *   kmend_func=<object>:<function>,<sympos> one per replaced function
 *   kmend_patch=<diff file basename>        one per input diff
 *   kmend_version=<version of kmend>
 */
#ifndef KMEND_MODINFO_H
#define KMEND_MODINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "kmend.h"

struct km_modinfo_entry {
	const char *key;	/* both point into km_modinfo.data */
	const char *value;
};

struct km_modinfo {
	char *path;
	char *data;		/* copy of the .modinfo section, '=' split */
	size_t size;
	struct km_modinfo_entry *entries;
	size_t nr_entries;
	bool has_this_module;	/* a .gnu.linkonce.this_module section */
};

/* A function a live patch replaces, as kmend_func and sysfs name it. */
struct km_func_ref {
	char *object;		/* "vmlinux" or a module name */
	char *name;
	unsigned long sympos;	/* 0: the name is unique in its object */
};

/* -ENOENT: no such file; -ENOEXEC: not an ELF file or no .modinfo. */
int km_modinfo_read(struct km_ctx *ctx, const char *path,
		    struct km_modinfo *mi);
void km_modinfo_release(struct km_modinfo *mi);

/* The first value of key, NULL when absent. */
const char *km_modinfo_get(const struct km_modinfo *mi, const char *key);
/*
 * The next value of key at or after *pos, NULL at the end; *pos moves
 * past it.  Start with *pos = 0, or use km_modinfo_for_each().
 */
const char *km_modinfo_next(const struct km_modinfo *mi, const char *key,
			    size_t *pos);
size_t km_modinfo_count(const struct km_modinfo *mi, const char *key);

#define km_modinfo_for_each(mi, key, pos, value)			\
	for ((pos) = 0; ((value) = km_modinfo_next((mi), (key), &(pos))); )

bool km_modinfo_is_livepatch(const struct km_modinfo *mi);
/*
 * A live patch module: livepatch=Y and linked as a module (its struct
 * module in .gnu.linkonce.this_module).  NULL, or why it is not one.
 */
const char *km_modinfo_not_livepatch_module(const struct km_modinfo *mi);
/* Built by kmend: has any kmend_* key. */
bool km_modinfo_is_kmend(const struct km_modinfo *mi);

/*
 * The name the kernel will know the module by: modinfo "name", else the
 * file's basename without ".ko", '-' turned into '_' as Kbuild does.
 */
char *km_modinfo_module_name(const struct km_modinfo *mi);
char *km_module_name_of_path(const char *path);
/* The kernel release a module is for: the first word of its vermagic. */
char *km_modinfo_vermagic_krel(const struct km_modinfo *mi);

/* "vmlinux:cmdline_proc_show,0" -> object, name, sympos.  -EINVAL if bad. */
int km_func_ref_parse(const char *value, struct km_func_ref *f);
void km_func_ref_release(struct km_func_ref *f);

#endif
