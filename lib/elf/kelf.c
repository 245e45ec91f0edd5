// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kelf.h"
#include "util.h"

#define elf_fail(ctx, e, what) \
	km_err(ctx, "cannot read '%s': %s: %s", (e)->path, what, elf_errmsg(-1))

/* Logs what is wrong with the object: -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int bad_object(struct km_ctx *ctx, const struct kelf *e,
		      const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	km_err(ctx, "cannot read '%s': %s", e->path, what);
	return -EINVAL;
}

static bool is_power_of_two(GElf_Xword x)
{
	return x && !(x & (x - 1));
}

static int read_shstrndx(struct km_ctx *ctx, struct kelf *e, size_t *shstrndx)
{
	GElf_Shdr sh;

	if (elf_getshdrnum(e->elf, &e->nr_secs) ||
	    elf_getshdrstrndx(e->elf, shstrndx)) {
		elf_fail(ctx, e, "no section headers");
		return -EINVAL;
	}
	if (!*shstrndx || *shstrndx >= e->nr_secs ||
	    !gelf_getshdr(elf_getscn(e->elf, *shstrndx), &sh) ||
	    sh.sh_type != SHT_STRTAB)
		return bad_object(ctx, e, "the section name table (e_shstrndx "
				  "%zu) is not a string table", *shstrndx);
	return 0;
}

/* Copied into an output, a huge alignment would pad the file to it. */
static int check_alignment(struct km_ctx *ctx, struct kelf *e,
			   const struct kelf_sec *s)
{
	GElf_Xword align = s->sh.sh_addralign;

	if (align > 1 && (!is_power_of_two(align) || align > KELF_MAX_ALIGN))
		return bad_object(ctx, e, "section %s has an alignment of "
				  "%#lx: it must be a power of two, at most "
				  "%#lx", s->name, (unsigned long)align,
				  (unsigned long)KELF_MAX_ALIGN);
	return 0;
}

/* Rules the differ and the writer rely on, checked once here. */
static int check_section(struct km_ctx *ctx, struct kelf *e,
			 const struct kelf_sec *s)
{
	/* the gABI's rule, which libelf enforces on writing */
	if ((s->sh.sh_flags & SHF_COMPRESSED) &&
	    ((s->sh.sh_flags & SHF_ALLOC) || s->sh.sh_type == SHT_NOBITS))
		return bad_object(ctx, e, "section %s is compressed "
				  "(SHF_COMPRESSED) but allocated or without "
				  "contents", s->name);
	/* libelf would not write it back out either */
	if (s->sh.sh_entsize > 1 && s->size % s->sh.sh_entsize)
		return bad_object(ctx, e, "section %s has entries of %lu bytes "
				  "but is %zu bytes long", s->name,
				  (unsigned long)s->sh.sh_entsize, s->size);
	/* the differ reads the strings that relocations point at */
	if (!s->data && s->size && kelf_is_string_section(s))
		return bad_object(ctx, e, "section %s holds strings "
				  "(SHF_STRINGS) but has no contents (%s)",
				  s->name, s->sh.sh_type == SHT_NOBITS ?
				  "SHT_NOBITS" : "SHT_NULL");
	return 0;
}

static int read_section_data(struct km_ctx *ctx, struct kelf *e,
			     struct kelf_sec *s, Elf_Scn *scn)
{
	Elf_Data *d;

	s->size = s->sh.sh_size;
	if (s->sh.sh_type == SHT_NOBITS || s->sh.sh_type == SHT_NULL)
		return 0;
	d = elf_getdata(scn, NULL);
	if (!d && s->size)
		return bad_object(ctx, e, "section %s cannot be read (it lies "
				  "outside the file or is malformed): %s",
				  s->name, elf_errmsg(-1));
	if (d && (d->d_size != s->size || (d->d_size && !d->d_buf)))
		return bad_object(ctx, e, "section %s has %lu bytes of contents, "
				  "its header says %lu", s->name,
				  (unsigned long)d->d_size, (unsigned long)s->size);
	s->data = d && d->d_size ? d->d_buf : NULL;
	return 0;
}

static int read_section(struct km_ctx *ctx, struct kelf *e, size_t shstrndx,
			size_t i)
{
	struct kelf_sec *s = &e->secs[i];
	Elf_Scn *scn = elf_getscn(e->elf, i);
	int ret;

	s->index = i;
	if (!scn || !gelf_getshdr(scn, &s->sh)) {
		elf_fail(ctx, e, "bad section header");
		return -EINVAL;
	}
	s->name = elf_strptr(e->elf, shstrndx, s->sh.sh_name);
	if (!s->name)
		return bad_object(ctx, e, "section %zu has a bad name (offset "
				  "%#x in the section name table)", i,
				  s->sh.sh_name);
	ret = read_section_data(ctx, e, s, scn);
	if (!ret)
		ret = check_alignment(ctx, e, s);
	if (!ret)
		ret = check_section(ctx, e, s);
	if (!ret && km_hash_add(&e->sec_by_name, s->name, s))
		ret = -ENOMEM;
	return ret;
}

static int read_sections(struct km_ctx *ctx, struct kelf *e)
{
	size_t shstrndx, i;
	int ret;

	ret = read_shstrndx(ctx, e, &shstrndx);
	if (ret)
		return ret;
	e->secs = calloc(e->nr_secs, sizeof(*e->secs));
	if (!e->secs || km_hash_init(&e->sec_by_name, e->nr_secs))
		return -ENOMEM;
	if (e->nr_secs)
		e->secs[0].name = "";
	for (i = 1; !ret && i < e->nr_secs; i++)
		ret = read_section(ctx, e, shstrndx, i);
	return ret;
}

static struct kelf_sec *symtab_section(struct kelf *e)
{
	struct kelf_sec *s;

	for_each_sec(e, s)
		if (s->sh.sh_type == SHT_SYMTAB)
			return s;
	return NULL;
}

static int check_symtab(struct km_ctx *ctx, struct kelf *e,
			const struct kelf_sec *symtab)
{
	GElf_Word link = symtab->sh.sh_link;

	if (symtab->sh.sh_entsize != sizeof(Elf64_Sym) ||
	    symtab->size % sizeof(Elf64_Sym))
		return bad_object(ctx, e, "symbol table %s has entries of %lu "
				  "bytes (and %lu in all), not of %zu",
				  symtab->name,
				  (unsigned long)symtab->sh.sh_entsize,
				  (unsigned long)symtab->size, sizeof(Elf64_Sym));
	if (!link || link >= e->nr_secs ||
	    e->secs[link].sh.sh_type != SHT_STRTAB)
		return bad_object(ctx, e, "the string table of %s (section %u) "
				  "is not a string table", symtab->name, link);
	return 0;
}

/* The extended section indexes of symtab (SHN_XINDEX), if any. */
static Elf_Data *symtab_shndx_data(struct kelf *e,
				   const struct kelf_sec *symtab)
{
	struct kelf_sec *s;

	for_each_sec(e, s)
		if (s->sh.sh_type == SHT_SYMTAB_SHNDX &&
		    s->sh.sh_link == symtab->index)
			return elf_getdata(elf_getscn(e->elf, s->index), NULL);
	return NULL;
}

/* The section of a symbol; NULL when undefined, absolute or common. */
static int set_symbol_section(struct km_ctx *ctx, struct kelf *e,
			      struct kelf_sym *s, const GElf_Word *xndx)
{
	size_t shndx = s->sym.st_shndx;

	if (shndx == SHN_XINDEX && !xndx)
		return bad_object(ctx, e, "symbol '%s' has an extended section "
				  "index (SHN_XINDEX) but there is no "
				  "SHT_SYMTAB_SHNDX table", s->name);
	if (shndx == SHN_XINDEX)
		shndx = *xndx;
	else if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE)
		return 0;
	if (!shndx || shndx >= e->nr_secs)
		return bad_object(ctx, e, "symbol '%s' is in section %zu, which "
				  "does not exist", s->name, shndx);
	s->sec = &e->secs[shndx];
	return 0;
}

/* The differ reads a function's or a variable's bytes from its section. */
static int check_symbol_extent(struct km_ctx *ctx, struct kelf *e,
			       const struct kelf_sym *s)
{
	GElf_Addr value = s->sym.st_value;

	if (!s->sec || (s->type != STT_FUNC && s->type != STT_OBJECT))
		return 0;
	if (value > s->sec->size || s->sym.st_size > s->sec->size - value)
		return bad_object(ctx, e, "symbol '%s' (section %s) lies outside "
				  "its section", s->name, s->sec->name);
	return 0;
}

static int read_symbol(struct km_ctx *ctx, struct kelf *e,
		       const struct kelf_sec *symtab, Elf_Data *d,
		       Elf_Data *xd, size_t i)
{
	struct kelf_sym *s = &e->syms[i];
	GElf_Word xndx = 0;
	int ret;

	s->index = i;
	if (!gelf_getsymshndx(d, xd, (int)i, &s->sym, &xndx))
		return bad_object(ctx, e, "symbol %zu cannot be read: %s", i,
				  elf_errmsg(-1));
	s->name = elf_strptr(e->elf, symtab->sh.sh_link, s->sym.st_name);
	if (!s->name)
		return bad_object(ctx, e, "symbol %zu has a bad name (offset %#x "
				  "in the string table)", i, s->sym.st_name);
	s->type = GELF_ST_TYPE(s->sym.st_info);
	s->bind = GELF_ST_BIND(s->sym.st_info);
	ret = set_symbol_section(ctx, e, s, xd ? &xndx : NULL);
	if (!ret)
		ret = check_symbol_extent(ctx, e, s);
	return ret;
}

static int index_symbol(struct kelf *e, struct kelf_sym *s)
{
	if (s->type == STT_SECTION && s->sec) {
		s->name = s->sec->name;
		if (!s->sec->secsym)
			s->sec->secsym = s;
		return 0;
	}
	if (s->index && *s->name && km_hash_add(&e->sym_by_name, s->name, s))
		return -ENOMEM;
	if (s->type == STT_FUNC && s->sec && kelf_is_text(s->sec) &&
	    !s->sec->func && s->sym.st_value == 0 &&
	    s->sym.st_size == s->sec->size)
		s->sec->func = s;
	return 0;
}

static int read_symbols(struct km_ctx *ctx, struct kelf *e)
{
	struct kelf_sec *symtab = symtab_section(e);
	Elf_Data *d, *xd;
	size_t i;
	int ret;

	if (!symtab) {
		km_err(ctx, "cannot read '%s': no symbol table", e->path);
		return -EINVAL;
	}
	ret = check_symtab(ctx, e, symtab);
	if (ret)
		return ret;
	d = elf_getdata(elf_getscn(e->elf, symtab->index), NULL);
	xd = symtab_shndx_data(e, symtab);
	e->nr_syms = symtab->size / sizeof(Elf64_Sym);
	e->syms = calloc(e->nr_syms ? e->nr_syms : 1, sizeof(*e->syms));
	if (!e->syms || km_hash_init(&e->sym_by_name, e->nr_syms))
		return -ENOMEM;
	for (i = 0; !ret && i < e->nr_syms; i++) {
		ret = read_symbol(ctx, e, symtab, d, xd, i);
		if (!ret)
			ret = index_symbol(e, &e->syms[i]);
	}
	return ret;
}

static int cmp_rela(const void *a, const void *b)
{
	const struct kelf_rela *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool can_be_relocated(const struct kelf_sec *base)
{
	switch (base->sh.sh_type) {
	case SHT_NULL:
	case SHT_NOBITS:
	case SHT_RELA:
	case SHT_REL:
	case SHT_SYMTAB:
		return false;
	default:
		return true;
	}
}

/* The section rs relocates, once checked; NULL when it is bad (logged). */
static struct kelf_sec *relocated_section(struct km_ctx *ctx, struct kelf *e,
					  const struct kelf_sec *rs)
{
	const struct kelf_sec *symtab = symtab_section(e);
	GElf_Word info = rs->sh.sh_info;
	struct kelf_sec *base = info < e->nr_secs ? &e->secs[info] : NULL;

	if (rs->sh.sh_entsize != sizeof(Elf64_Rela) ||
	    rs->size % sizeof(Elf64_Rela))
		bad_object(ctx, e, "relocation section %s has entries of %lu "
			   "bytes (and %lu in all), not of %zu", rs->name,
			   (unsigned long)rs->sh.sh_entsize,
			   (unsigned long)rs->size, sizeof(Elf64_Rela));
	else if (!symtab || rs->sh.sh_link != symtab->index)
		bad_object(ctx, e, "relocation section %s refers to section %u "
			   "as its symbol table, not to %s", rs->name,
			   rs->sh.sh_link, symtab ? symtab->name : "?");
	else if (!info || !base)
		bad_object(ctx, e, "relocation section %s applies to section "
			   "%u, which does not exist", rs->name, info);
	else if (!can_be_relocated(base))
		bad_object(ctx, e, "relocation section %s applies to %s, which "
			   "has no contents to relocate", rs->name, base->name);
	else if (base->rela)
		bad_object(ctx, e, "sections %s and %s both relocate %s",
			   base->rela->name, rs->name, base->name);
	else
		return base;
	return NULL;
}

static int read_rela(struct km_ctx *ctx, struct kelf *e, struct kelf_sec *base,
		     Elf_Data *d, size_t i)
{
	struct kelf_rela *r = &base->relas[i];
	GElf_Rela gr;
	size_t symi;

	if (!gelf_getrela(d, (int)i, &gr))
		return bad_object(ctx, e, "relocation %zu of %s cannot be read: "
				  "%s", i, base->rela->name, elf_errmsg(-1));
	symi = GELF_R_SYM(gr.r_info);
	if (symi >= e->nr_syms)
		return bad_object(ctx, e, "%s+0x%lx: bad symbol index %zu",
				  base->name, (unsigned long)gr.r_offset, symi);
	if (gr.r_offset >= base->size)
		return bad_object(ctx, e, "relocation %s+0x%lx lies outside its "
				  "section (0x%zx bytes)", base->name,
				  (unsigned long)gr.r_offset, base->size);
	r->offset = gr.r_offset;
	r->addend = gr.r_addend;
	r->type = (unsigned int)GELF_R_TYPE(gr.r_info);
	r->sym = &e->syms[symi];
	return 0;
}

static int read_relas(struct km_ctx *ctx, struct kelf *e, struct kelf_sec *rs)
{
	Elf_Data *d = elf_getdata(elf_getscn(e->elf, rs->index), NULL);
	struct kelf_sec *base = relocated_section(ctx, e, rs);
	size_t i, n;
	int ret = 0;

	if (!base)
		return -EINVAL;
	base->rela = rs;
	rs->base = base;
	n = rs->size / sizeof(Elf64_Rela);
	base->relas = calloc(n ? n : 1, sizeof(*base->relas));
	if (!base->relas)
		return -ENOMEM;
	for (i = 0; !ret && i < n; i++)
		ret = read_rela(ctx, e, base, d, i);
	if (ret)
		return ret;
	base->nr_relas = n;
	qsort(base->relas, n, sizeof(*base->relas), cmp_rela);
	return 0;
}

static int index_object(struct km_ctx *ctx, struct kelf *e)
{
	struct kelf_sec *s;
	int ret;

	ret = read_sections(ctx, e);
	if (!ret)
		ret = read_symbols(ctx, e);
	if (ret)
		return ret;
	for_each_sec(e, s) {
		if (ret)
			break;
		/* livepatch relocations are the livepatch core's, not the base's */
		if (s->sh.sh_type == SHT_RELA && !(s->sh.sh_flags & KELF_SHF_RELA_LIVEPATCH))
			ret = read_relas(ctx, e, s);
		else if (s->sh.sh_type == SHT_REL)
			ret = bad_object(ctx, e, "SHT_REL section %s: only RELA "
					 "objects (x86_64) are supported", s->name);
	}
	return ret;
}

struct kelf *kelf_open(struct km_ctx *ctx, const char *path)
{
	struct kelf *e = calloc(1, sizeof(*e));
	int fd, ret;

	if (!e)
		return NULL;
	e->file.fd = -1;
	e->path = strdup(path);
	if (!e->path) {
		ret = -ENOMEM;
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	ret = km_elf_file_begin(ctx, path, fd, &e->file);
	if (ret)
		goto fail;
	e->elf = e->file.elf;
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF || !gelf_getehdr(e->elf, &e->eh)) {
		km_err(ctx, "cannot read '%s': not an ELF file", path);
		ret = -EINVAL;
		goto fail;
	}
	if (e->eh.e_type != ET_REL || e->eh.e_ident[EI_CLASS] != ELFCLASS64) {
		km_err(ctx, "cannot read '%s': not a 64-bit relocatable object "
		       "(a .o or .ko file)", path);
		ret = -EINVAL;
		goto fail;
	}
	ret = index_object(ctx, e);
	if (ret)
		goto fail;
	return e;
fail:
	kelf_free(e);
	errno = -ret;
	return NULL;
}

void kelf_free(struct kelf *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; e->secs && i < e->nr_secs; i++)
		free(e->secs[i].relas);
	free(e->secs);
	free(e->syms);
	km_hash_release(&e->sec_by_name);
	km_hash_release(&e->sym_by_name);
	km_elf_file_close(&e->file);
	free(e->path);
	free(e);
}

struct kelf_sec *kelf_find_section(const struct kelf *e, const char *name)
{
	return km_hash_get(&e->sec_by_name, name);
}

struct kelf_sym *kelf_find_symbol(const struct kelf *e, const char *name)
{
	return km_hash_get(&e->sym_by_name, name);
}

struct kelf_sym *kelf_symbol_at(const struct kelf *e,
				const struct kelf_sec *sec, GElf_Addr offset)
{
	struct kelf_sym *s;

	for_each_sym(e, s) {
		if (s->sec != sec || (s->type != STT_FUNC && s->type != STT_OBJECT))
			continue;
		if (offset >= s->sym.st_value &&
		    (offset < s->sym.st_value + s->sym.st_size ||
		     (s->sym.st_size == 0 && offset == s->sym.st_value)))
			return s;
	}
	return NULL;
}

struct kelf_sym *kelf_symbol_for(const struct kelf *e,
				 const struct kelf_sec *sec, GElf_Sxword offset)
{
	struct kelf_sym *s, *only = NULL;
	size_t n = 0;

	if (sec->func)
		return sec->func;
	if (offset >= 0) {
		s = kelf_symbol_at(e, sec, (GElf_Addr)offset);
		if (s)
			return s;
	}
	for_each_sym(e, s) {
		if (s->sec == sec && (s->type == STT_FUNC || s->type == STT_OBJECT)) {
			only = s;
			n++;
		}
	}
	return n == 1 ? only : NULL;
}

struct kelf_rela *kelf_relas_in(const struct kelf_sec *sec, GElf_Addr start,
				GElf_Addr end, size_t *count)
{
	size_t lo = 0, hi = sec->nr_relas, first;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sec->relas[mid].offset < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < sec->nr_relas && sec->relas[lo].offset < end)
		lo++;
	*count = lo - first;
	return sec->relas ? sec->relas + first : NULL;
}

bool kelf_is_text(const struct kelf_sec *sec)
{
	return sec->sh.sh_type == SHT_PROGBITS &&
	       (sec->sh.sh_flags & SHF_EXECINSTR);
}

bool kelf_is_rela(const struct kelf_sec *sec)
{
	return sec->sh.sh_type == SHT_RELA;
}

bool kelf_is_string_section(const struct kelf_sec *sec)
{
	return (sec->sh.sh_flags & SHF_STRINGS) != 0;
}

bool kelf_is_function(const struct kelf_sym *sym)
{
	return sym->type == STT_FUNC && sym->sec;
}

bool kelf_is_object(const struct kelf_sym *sym)
{
	return sym->type == STT_OBJECT && sym->sec;
}
