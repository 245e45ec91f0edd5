/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thin, indexed model of an ELF relocatable object over libelf: sections,
 * symbols and relocations in arrays, with hash tables for lookups by name.
 * The differ keeps its per-section and per-symbol state here (twin, status,
 * include), as kpatch's create-diff-object does.
 *
 * kelf_out is the other half: an object built from scratch (sections,
 * symbols, relocations) and written in one pass.
 */
#ifndef KMEND_ELF_H
#define KMEND_ELF_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

#include "elfile.h"
#include "hash.h"
#include "kmend.h"

enum kelf_status { KELF_SAME, KELF_CHANGED, KELF_NEW };

/*
 * The largest section alignment kmend reads or writes.  The kernel's x86
 * objects ask for 16 KiB at most (IRQ stacks; 32 KiB with KASAN); more is a
 * broken object, and copied into an output it would pad the file to it.
 */
#define KELF_MAX_ALIGN 0x10000UL

/* SHF_RELA_LIVEPATCH of include/uapi/linux/elf.h */
#define KELF_SHF_RELA_LIVEPATCH 0x00100000

struct kelf_sym;

struct kelf_rela {
	GElf_Addr offset;
	GElf_Sxword addend;
	unsigned int type;
	struct kelf_sym *sym;
};

struct kelf_sec {
	size_t index;
	const char *name;
	GElf_Shdr sh;
	unsigned char *data;	/* NULL for SHT_NOBITS */
	size_t size;
	struct kelf_sec *rela;	/* its SHT_RELA section, if any */
	struct kelf_sec *base;	/* for a SHT_RELA section: what it relocates */
	struct kelf_rela *relas;	/* on the base section, sorted by offset */
	size_t nr_relas;
	struct kelf_sym *secsym;	/* STT_SECTION symbol */
	struct kelf_sym *func;	/* the one function of a .text.<name> section */
	/* differ state */
	struct kelf_sec *twin;
	enum kelf_status status;
	bool include;
	const struct kelf_sec *cmp_with;	/* as for symbols */
	signed char cmp_result;
};

struct kelf_sym {
	size_t index;
	const char *name;
	GElf_Sym sym;
	unsigned char type, bind;
	struct kelf_sec *sec;	/* NULL: undefined, absolute or common */
	/* differ state */
	struct kelf_sym *twin;
	enum kelf_status status;
	bool include;
	bool klp;		/* referenced through a livepatch relocation */
	struct kelf_sym *parent;	/* foo for foo.cold */
	struct kelf_sym *moved;	/* same name, another kind of section */
	bool ambiguous;		/* numbered, and its uses name no one twin */
	/* changed but not traceable: carried as new code, callers replaced */
	bool copy;
	bool refused;		/* the differ refused it, and said why */
	struct kelf_sym *via;	/* replaced because it calls this copy */
	/* comparison by contents in progress or done: with whom, and result */
	const struct kelf_sym *cmp_with;
	signed char cmp_result;	/* 0 in progress, 1 same, -1 differs */
	void *out;		/* the emitter's output symbol */
};

struct kelf {
	char *path;
	struct km_elf_file file;	/* the .o, or a .ko.xz decompressed */
	Elf *elf;			/* file.elf */
	GElf_Ehdr eh;
	struct kelf_sec *secs;
	size_t nr_secs;
	struct kelf_sym *syms;
	size_t nr_syms;
	struct km_hash sec_by_name;
	struct km_hash sym_by_name;
};

/* Opens a relocatable object (ET_REL) and indexes it.  NULL + errno. */
struct kelf *kelf_open(struct km_ctx *ctx, const char *path);
void kelf_free(struct kelf *e);

struct kelf_sec *kelf_find_section(const struct kelf *e, const char *name);
struct kelf_sym *kelf_find_symbol(const struct kelf *e, const char *name);
/* The FUNC/OBJECT symbol of sec that covers offset, or NULL. */
struct kelf_sym *kelf_symbol_at(const struct kelf *e,
				const struct kelf_sec *sec, GElf_Addr offset);
/*
 * The symbol a relocation against sec's section symbol means: the one
 * covering offset, else the only FUNC/OBJECT of sec (with -fdata-sections a
 * variable has its section to itself, and an x86 instruction's immediate
 * after a PC-relative field moves the addend off it), else NULL.
 */
struct kelf_sym *kelf_symbol_for(const struct kelf *e,
				 const struct kelf_sec *sec, GElf_Sxword offset);
/* The relocations of sec whose offsets fall in [start, end). */
struct kelf_rela *kelf_relas_in(const struct kelf_sec *sec, GElf_Addr start,
				GElf_Addr end, size_t *count);

bool kelf_is_text(const struct kelf_sec *sec);
bool kelf_is_rela(const struct kelf_sec *sec);
bool kelf_is_string_section(const struct kelf_sec *sec);
bool kelf_is_function(const struct kelf_sym *sym);
bool kelf_is_object(const struct kelf_sym *sym);

#define for_each_sec(e, s) \
	for ((s) = (e)->secs + 1; (s) < (e)->secs + (e)->nr_secs; (s)++)
#define for_each_sym(e, s) \
	for ((s) = (e)->syms + 1; (s) < (e)->syms + (e)->nr_syms; (s)++)
/* relas is NULL for a section without relocations: no NULL + 0 */
#define for_each_rela(sec, r) \
	for ((r) = (sec)->relas; (r) && (r) < (sec)->relas + (sec)->nr_relas; \
	     (r)++)

/* --- building and writing an object --- */

struct kelf_out_sec {
	char *name;
	GElf_Shdr sh;		/* type, flags, addralign, entsize, link/info */
	unsigned char *data;	/* owned; NULL for SHT_NOBITS */
	size_t size;
	struct kelf_out_rela *relas;
	size_t nr_relas, cap_relas;
	struct kelf_out_sec *info_sec;	/* for raw SHT_RELA copies */
	size_t index;
	void *priv;
	/* a slice of priv's section: the offset there of this data's start */
	size_t src_off;
};

struct kelf_out_sym {
	char *name;
	unsigned char type, bind, other;
	struct kelf_out_sec *sec;	/* NULL: shndx below */
	GElf_Section shndx;		/* SHN_UNDEF, SHN_ABS, SHN_LIVEPATCH ... */
	GElf_Addr value;
	GElf_Xword size;
	size_t index;
};

struct kelf_out_rela {
	GElf_Addr offset;
	GElf_Sxword addend;
	unsigned int type;
	struct kelf_out_sym *sym;
};

struct kelf_out {
	GElf_Ehdr eh;
	struct kelf_out_sec **secs;
	size_t nr_secs, cap_secs;
	struct kelf_out_sym **syms;
	size_t nr_syms, cap_syms;
	struct km_hash sym_by_name;	/* externs, added once per name */
};

struct kelf_out *kelf_out_new(const GElf_Ehdr *like);
void kelf_out_free(struct kelf_out *o);
struct kelf_out_sec *kelf_out_add_section(struct kelf_out *o, const char *name,
					  const GElf_Shdr *like,
					  const void *data, size_t size);
struct kelf_out_sec *kelf_out_find_section(struct kelf_out *o,
					   const char *name);
struct kelf_out_sym *kelf_out_add_symbol(struct kelf_out *o, const char *name,
					 unsigned char bind, unsigned char type,
					 struct kelf_out_sec *sec,
					 GElf_Addr value, GElf_Xword size);
/* An undefined (or special-index) symbol, added once per name. */
struct kelf_out_sym *kelf_out_extern(struct kelf_out *o, const char *name,
				     unsigned char bind, unsigned char type);
struct kelf_out_sym *kelf_out_find_symbol(struct kelf_out *o, const char *name);
int kelf_out_add_rela(struct kelf_out_sec *sec, GElf_Addr offset,
		      unsigned int type, struct kelf_out_sym *sym,
		      GElf_Sxword addend);
/*
 * Writes the object: symbols ordered locals first; for each section with
 * relocations a ".rela<name>" section.  A section added with type SHT_RELA
 * (a livepatch relocation section) holds its own relocations and applies
 * to info_sec.  Written to a temporary file and renamed: never partial.
 */
int kelf_out_write(struct km_ctx *ctx, struct kelf_out *o, const char *path);

#endif
