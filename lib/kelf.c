// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kelf.h"
#include "util.h"

#define elf_fail(ctx, e, what) \
	km_err(ctx, "cannot read '%s': %s: %s", (e)->path, what, elf_errmsg(-1))

static int read_sections(struct km_ctx *ctx, struct kelf *e)
{
	size_t shstrndx, i;

	if (elf_getshdrnum(e->elf, &e->nr_secs) ||
	    elf_getshdrstrndx(e->elf, &shstrndx)) {
		elf_fail(ctx, e, "no section headers");
		return -EINVAL;
	}
	e->secs = calloc(e->nr_secs, sizeof(*e->secs));
	if (!e->secs || km_hash_init(&e->sec_by_name, e->nr_secs))
		return -ENOMEM;
	for (i = 1; i < e->nr_secs; i++) {
		struct kelf_sec *s = &e->secs[i];
		Elf_Scn *scn = elf_getscn(e->elf, i);
		Elf_Data *d;

		s->index = i;
		if (!scn || !gelf_getshdr(scn, &s->sh)) {
			elf_fail(ctx, e, "bad section header");
			return -EINVAL;
		}
		s->name = elf_strptr(e->elf, shstrndx, s->sh.sh_name);
		if (!s->name) {
			elf_fail(ctx, e, "bad section name");
			return -EINVAL;
		}
		s->size = s->sh.sh_size;
		if (s->sh.sh_type != SHT_NOBITS) {
			d = elf_getdata(scn, NULL);
			if (!d && s->size) {
				elf_fail(ctx, e, "unreadable section");
				return -EINVAL;
			}
			s->data = d ? d->d_buf : NULL;
		}
		if (km_hash_add(&e->sec_by_name, s->name, s))
			return -ENOMEM;
	}
	return 0;
}

static struct kelf_sec *symtab_section(struct kelf *e)
{
	struct kelf_sec *s;

	for_each_sec(e, s)
		if (s->sh.sh_type == SHT_SYMTAB)
			return s;
	return NULL;
}

static int read_symbols(struct km_ctx *ctx, struct kelf *e)
{
	struct kelf_sec *symtab = symtab_section(e);
	Elf_Data *d;
	size_t i;

	if (!symtab) {
		km_err(ctx, "cannot read '%s': no symbol table", e->path);
		return -EINVAL;
	}
	d = elf_getdata(elf_getscn(e->elf, symtab->index), NULL);
	e->nr_syms = symtab->sh.sh_size / symtab->sh.sh_entsize;
	e->syms = calloc(e->nr_syms ? e->nr_syms : 1, sizeof(*e->syms));
	if (!e->syms || km_hash_init(&e->sym_by_name, e->nr_syms))
		return -ENOMEM;
	for (i = 0; i < e->nr_syms; i++) {
		struct kelf_sym *s = &e->syms[i];

		s->index = i;
		if (!gelf_getsym(d, (int)i, &s->sym)) {
			elf_fail(ctx, e, "bad symbol");
			return -EINVAL;
		}
		s->name = elf_strptr(e->elf, symtab->sh.sh_link, s->sym.st_name);
		if (!s->name)
			s->name = "";
		s->type = GELF_ST_TYPE(s->sym.st_info);
		s->bind = GELF_ST_BIND(s->sym.st_info);
		if (s->sym.st_shndx != SHN_UNDEF &&
		    s->sym.st_shndx < SHN_LORESERVE &&
		    s->sym.st_shndx < e->nr_secs)
			s->sec = &e->secs[s->sym.st_shndx];
		if (s->type == STT_SECTION && s->sec) {
			s->name = s->sec->name;
			if (!s->sec->secsym)
				s->sec->secsym = s;
			continue;
		}
		if (i && *s->name && km_hash_add(&e->sym_by_name, s->name, s))
			return -ENOMEM;
		if (s->type == STT_FUNC && s->sec && kelf_is_text(s->sec) &&
		    !s->sec->func && s->sym.st_value == 0 &&
		    s->sym.st_size == s->sec->size)
			s->sec->func = s;
	}
	return 0;
}

static int cmp_rela(const void *a, const void *b)
{
	const struct kelf_rela *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int read_relas(struct km_ctx *ctx, struct kelf *e, struct kelf_sec *rs)
{
	Elf_Data *d = elf_getdata(elf_getscn(e->elf, rs->index), NULL);
	struct kelf_sec *base;
	size_t i, n;

	if (rs->sh.sh_info >= e->nr_secs || !rs->sh.sh_entsize) {
		km_err(ctx, "cannot read '%s': section %s relocates nothing",
		       e->path, rs->name);
		return -EINVAL;
	}
	base = &e->secs[rs->sh.sh_info];
	base->rela = rs;
	rs->base = base;
	n = rs->sh.sh_size / rs->sh.sh_entsize;
	base->relas = calloc(n ? n : 1, sizeof(*base->relas));
	if (!base->relas)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct kelf_rela *r = &base->relas[i];
		GElf_Rela gr;
		size_t symi;

		if (!gelf_getrela(d, (int)i, &gr)) {
			elf_fail(ctx, e, "bad relocation");
			return -EINVAL;
		}
		symi = GELF_R_SYM(gr.r_info);
		if (symi >= e->nr_syms) {
			km_err(ctx, "cannot read '%s': %s+0x%lx: bad symbol index",
			       e->path, base->name, (unsigned long)gr.r_offset);
			return -EINVAL;
		}
		r->offset = gr.r_offset;
		r->addend = gr.r_addend;
		r->type = (unsigned int)GELF_R_TYPE(gr.r_info);
		r->sym = &e->syms[symi];
	}
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
	for_each_sec(e, s) {
		if (ret)
			break;
		/* livepatch relocations are the livepatch core's, not the base's */
		if (s->sh.sh_type == SHT_RELA && !(s->sh.sh_flags & KELF_SHF_RELA_LIVEPATCH))
			ret = read_relas(ctx, e, s);
		else if (s->sh.sh_type == SHT_REL) {
			km_err(ctx, "cannot read '%s': SHT_REL section %s: only "
			       "RELA objects (x86_64) are supported", e->path, s->name);
			ret = -EINVAL;
		}
	}
	return ret;
}

struct kelf *kelf_open(struct km_ctx *ctx, const char *path)
{
	struct kelf *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return NULL;
	e->fd = -1;
	e->path = strdup(path);
	if (!e->path) {
		ret = -ENOMEM;
		goto fail;
	}
	elf_version(EV_CURRENT);
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
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
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
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
