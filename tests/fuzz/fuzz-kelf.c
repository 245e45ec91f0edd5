// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the ELF model.  An object kelf_open() accepts must be
 * safe to walk with every lookup the differ and the emitter use, must
 * survive being written back out by the writer and read again, and is
 * diffed against itself.
 */
#include <assert.h>

#include "diff.h"
#include "fuzz.h"
#include "kelf.h"

static volatile unsigned int sink;

/* Reads the first and last byte, so that ASan sees any bad extent. */
static void touch(const unsigned char *data, GElf_Addr start, GElf_Xword size)
{
	if (data && size)
		sink += data[start] + data[start + size - 1];
}

static void walk_relas(const struct kelf *e, const struct kelf_sec *sec)
{
	const struct kelf_rela *r;
	size_t n;

	kelf_relas_in(sec, 0, sec->size, &n);
	assert(n == sec->nr_relas);
	for_each_rela(sec, r) {
		assert(r->offset < sec->size);
		sink += (unsigned char)r->sym->name[0];
		kelf_symbol_at(e, sec, r->offset);
		if (r->sym->sec)
			kelf_symbol_for(e, r->sym->sec, r->addend);
	}
}

static void walk(const struct kelf *e)
{
	const struct kelf_sec *sec;
	const struct kelf_sym *sym;
	size_t n;

	for_each_sec(e, sec) {
		assert(kelf_find_section(e, sec->name));
		sink += kelf_is_text(sec) + kelf_is_rela(sec) +
			kelf_is_string_section(sec);
		touch(sec->data, 0, sec->size);
		walk_relas(e, sec);
	}
	for_each_sym(e, sym) {
		GElf_Addr v = sym->sym.st_value;

		sink += *sym->name && kelf_find_symbol(e, sym->name);
		if (!kelf_is_function(sym) && !kelf_is_object(sym))
			continue;
		assert(kelf_symbol_at(e, sym->sec, v));
		kelf_relas_in(sym->sec, v, v + sym->sym.st_size, &n);
		touch(sym->sec->data, v, sym->sym.st_size);
	}
}

/* --- written back out by the writer, as the emitter does --- */

/* The sections an emitter copies: contents, not tables nor debug info. */
static bool is_copied(const struct kelf_sec *sec)
{
	if (sec->sh.sh_flags & SHF_COMPRESSED)
		return false;
	switch (sec->sh.sh_type) {
	case SHT_NULL: case SHT_SYMTAB: case SHT_STRTAB: case SHT_RELA:
	case SHT_REL: case SHT_GROUP: case SHT_SYMTAB_SHNDX: case SHT_DYNSYM:
		return false;
	default:
		return true;
	}
}

static int copy_sections(const struct kelf *e, struct kelf_out *o,
			 struct kelf_out_sec **out)
{
	const struct kelf_sec *sec;

	for_each_sec(e, sec) {
		GElf_Shdr sh = sec->sh;

		if (!is_copied(sec))
			continue;
		sh.sh_link = sh.sh_info = 0;
		out[sec->index] = kelf_out_add_section(o, sec->name, &sh,
						       sec->data, sec->size);
		if (!out[sec->index])
			return -ENOMEM;
	}
	return 0;
}

static int copy_symbols(const struct kelf *e, struct kelf_out *o,
			struct kelf_out_sec **out, struct kelf_out_sym **osym)
{
	const struct kelf_sym *sym;

	for_each_sym(e, sym) {
		struct kelf_out_sec *os = sym->sec ? out[sym->sec->index] : NULL;

		if (sym->sec && !os)
			continue;
		osym[sym->index] = kelf_out_add_symbol(o, sym->name, sym->bind,
						       sym->type, os,
						       sym->sym.st_value,
						       sym->sym.st_size);
		if (!osym[sym->index])
			return -ENOMEM;
		if (!os)
			osym[sym->index]->shndx = sym->sym.st_shndx;
	}
	return 0;
}

static int copy_relas(const struct kelf *e, struct kelf_out_sec **out,
		      struct kelf_out_sym **osym)
{
	const struct kelf_sec *sec;
	const struct kelf_rela *r;
	int ret = 0;

	for_each_sec(e, sec) {
		if (!out[sec->index])
			continue;
		for_each_rela(sec, r) {
			if (!osym[r->sym->index])
				continue;
			ret = kelf_out_add_rela(out[sec->index], r->offset,
						r->type, osym[r->sym->index],
						r->addend);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* What kelf_open() accepted, the writer writes and kelf_open() reads. */
static void round_trip(const struct kelf *e)
{
	struct kelf_out_sec **out = calloc(e->nr_secs + 1, sizeof(*out));
	struct kelf_out_sym **osym = calloc(e->nr_syms + 1, sizeof(*osym));
	struct kelf_out *o = kelf_out_new(&e->eh);
	char *path = km_strfmt("%s/out.o", fuzz_tempdir());
	struct kelf *back;
	int ret = out && osym && o && path ? 0 : -ENOMEM;

	if (!ret)
		ret = copy_sections(e, o, out);
	if (!ret)
		ret = copy_symbols(e, o, out, osym);
	if (!ret)
		ret = copy_relas(e, out, osym);
	if (!ret)
		ret = kelf_out_write(fuzz_ctx(), o, path);
	if (ret && ret != -ENOMEM)
		abort();	/* a valid object must be writable */
	if (!ret) {
		back = kelf_open(fuzz_ctx(), path);
		if (!back)
			abort();	/* and what was written, readable */
		kelf_free(back);
	}
	kelf_out_free(o);
	free(path);
	free(osym);
	free(out);
}

static void diff_with_itself(const char *path)
{
	struct km_diff d;

	if (km_diff_open(fuzz_ctx(), &d, path, path))
		return;
	km_diff_objects(&d);
	km_diff_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = input_in_memfd(data, size);
	struct kelf *e;

	if (!path)
		return 0;
	e = kelf_open(fuzz_ctx(), path);
	if (!e)
		return 0;
	walk(e);
	round_trip(e);
	kelf_free(e);
	diff_with_itself(path);
	return 0;
}
