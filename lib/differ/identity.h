/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What makes a symbol the same symbol in two builds: its name (without the
 * numbers the compiler makes up), its type, and the kind of section it lives
 * in.  A variable that leaves .rodata is not the read-only variable the
 * kernel holds; a function that leaves .init.text is not code the kernel
 * still has.
 */
#ifndef KMEND_IDENTITY_H
#define KMEND_IDENTITY_H

#include <stdbool.h>

#include "kelf.h"

enum km_sec_kind {
	KM_KIND_TEXT,
	KM_KIND_INIT_TEXT,	/* freed after boot */
	KM_KIND_EXIT_TEXT,
	KM_KIND_RODATA,
	KM_KIND_DATA,		/* .data, .bss */
	KM_KIND_RO_AFTER_INIT,	/* read-only once the kernel booted */
	KM_KIND_READ_MOSTLY,
	KM_KIND_ONCE,		/* .data.once: WARN_ONCE and friends */
	KM_KIND_PERCPU,
	KM_KIND_INIT_DATA,
	KM_KIND_EXIT_DATA,
	KM_KIND_OTHER,		/* non-alloc, or a table kmend reads as such */
};

enum km_sec_kind km_section_kind(const struct kelf_sec *sec);
const char *km_kind_name(enum km_sec_kind kind);
/* Gone after boot (or never loaded): init and exit code and data. */
bool km_kind_is_init(enum km_sec_kind kind);
/* A function of __init or __exit code (km_kind_is_init of its section). */
bool km_is_init_code(const struct kelf_sym *s);
/* foo.cold: the part of foo the compiler moved out of line. */
bool km_is_cold_part(const struct kelf_sym *s);
/* Data the running kernel cannot write (or write any more). */
bool km_kind_is_readonly(enum km_sec_kind kind);

/*
 * A name the compiler made up: "count.3", "foo.constprop.0", "CSWTCH.12",
 * ".LC6", "__UNIQUE_ID_ddebug42", "__BTF_ID__func__foo__123".  Its number
 * is no identity: it moves whenever the file changes.
 */
bool km_is_numbered_name(const char *name);
/* A label of the assembler's (.LC6, .L123): never a kernel symbol. */
bool km_is_local_label(const char *name);
/*
 * The name without its numbers ("count", "foo.constprop", "CSWTCH"),
 * malloc'd; NULL + errno.
 */
char *km_base_name(const char *name);
/*
 * A constant only the compiler names (__func__.3, CSWTCH.12, .LC6): no code
 * can depend on its address, so it is copied and compared by content.  A
 * numbered static the programmer wrote (static const struct ops def) is
 * data like any other: its address may be compared.
 */
bool km_is_compiler_constant(const char *name);
/* Do a and b have the same base name? */
bool km_same_base_name(const char *a, const char *b);

#endif
