// SPDX-License-Identifier: GPL-2.0
/* Building an ELF relocatable object from scratch and writing it out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kelf.h"
#include "util.h"

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

struct kelf_out *kelf_out_new(const GElf_Ehdr *like)
{
	struct kelf_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->eh = *like;
	o->eh.e_type = ET_REL;
	/* whatever the model object said: libelf writes version 1 only */
	o->eh.e_ident[EI_VERSION] = EV_CURRENT;
	o->eh.e_version = EV_CURRENT;
	o->eh.e_phnum = 0;
	o->eh.e_phoff = 0;
	o->eh.e_entry = 0;
	if (km_hash_init(&o->sym_by_name, 256)) {
		free(o);
		return NULL;
	}
	/* index 0: the null symbol */
	if (!kelf_out_add_symbol(o, "", STB_LOCAL, STT_NOTYPE, NULL, 0, 0)) {
		kelf_out_free(o);
		return NULL;
	}
	return o;
}

void kelf_out_free(struct kelf_out *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nr_secs; i++) {
		free(o->secs[i]->name);
		free(o->secs[i]->data);
		free(o->secs[i]->relas);
		free(o->secs[i]);
	}
	for (i = 0; i < o->nr_syms; i++) {
		free(o->syms[i]->name);
		free(o->syms[i]);
	}
	free(o->secs);
	free(o->syms);
	km_hash_release(&o->sym_by_name);
	free(o);
}

struct kelf_out_sec *kelf_out_add_section(struct kelf_out *o, const char *name,
					  const GElf_Shdr *like,
					  const void *data, size_t size)
{
	struct kelf_out_sec *s;

	if (grow((void **)&o->secs, &o->cap_secs, o->nr_secs + 1, sizeof(*o->secs)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = strdup(name);
	s->sh = *like;
	s->size = size;
	if (like->sh_type != SHT_NOBITS && size) {
		s->data = malloc(size);
		if (s->data && data)
			memcpy(s->data, data, size);
		else if (s->data)
			memset(s->data, 0, size);
	}
	if (!s->name || (like->sh_type != SHT_NOBITS && size && !s->data)) {
		free(s->name);
		free(s->data);
		free(s);
		return NULL;
	}
	o->secs[o->nr_secs++] = s;
	return s;
}

struct kelf_out_sec *kelf_out_find_section(struct kelf_out *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nr_secs; i++)
		if (!strcmp(o->secs[i]->name, name))
			return o->secs[i];
	return NULL;
}

struct kelf_out_sym *kelf_out_add_symbol(struct kelf_out *o, const char *name,
					 unsigned char bind, unsigned char type,
					 struct kelf_out_sec *sec,
					 GElf_Addr value, GElf_Xword size)
{
	struct kelf_out_sym *s;

	if (grow((void **)&o->syms, &o->cap_syms, o->nr_syms + 1, sizeof(*o->syms)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	s->bind = bind;
	s->type = type;
	s->sec = sec;
	s->shndx = SHN_UNDEF;
	s->value = value;
	s->size = size;
	o->syms[o->nr_syms++] = s;
	return s;
}

struct kelf_out_sym *kelf_out_find_symbol(struct kelf_out *o, const char *name)
{
	return km_hash_get(&o->sym_by_name, name);
}

struct kelf_out_sym *kelf_out_extern(struct kelf_out *o, const char *name,
				     unsigned char bind, unsigned char type)
{
	struct kelf_out_sym *s = kelf_out_find_symbol(o, name);

	if (s)
		return s;
	s = kelf_out_add_symbol(o, name, bind, type, NULL, 0, 0);
	if (s && km_hash_add(&o->sym_by_name, s->name, s))
		return NULL;
	return s;
}

int kelf_out_add_rela(struct kelf_out_sec *sec, GElf_Addr offset,
		      unsigned int type, struct kelf_out_sym *sym,
		      GElf_Sxword addend)
{
	struct kelf_out_rela *r;

	if (grow((void **)&sec->relas, &sec->cap_relas, sec->nr_relas + 1,
		 sizeof(*sec->relas)))
		return -ENOMEM;
	r = &sec->relas[sec->nr_relas++];
	r->offset = offset;
	r->type = type;
	r->sym = sym;
	r->addend = addend;
	return 0;
}

/* --- writing --- */

struct strtab {
	struct km_buf buf;
};

static size_t strtab_add(struct strtab *t, const char *s)
{
	size_t off;

	if (!*s)
		return 0;
	off = t->buf.len;
	if (km_buf_add(&t->buf, s, strlen(s) + 1))
		return (size_t)-1;
	return off;
}

struct writer {
	struct km_ctx *ctx;
	struct kelf_out *o;
	Elf *elf;
	struct strtab shstr, str;
	GElf_Sym *symdata;
	size_t nr_locals;
	/* the generated .rela sections, parallel to o->secs */
	GElf_Rela **reladata;
	size_t symtab_index;
};

static bool is_local(const struct kelf_out_sym *s)
{
	return s->bind == STB_LOCAL;
}

/* Locals first (the ELF rule); section order of symbols kept otherwise. */
static void number_symbols(struct writer *w)
{
	struct kelf_out *o = w->o;
	size_t i, n = 0;

	for (i = 0; i < o->nr_syms; i++)
		if (is_local(o->syms[i]))
			o->syms[i]->index = n++;
	w->nr_locals = n;
	for (i = 0; i < o->nr_syms; i++)
		if (!is_local(o->syms[i]))
			o->syms[i]->index = n++;
}

static bool needs_rela_section(const struct kelf_out_sec *s)
{
	return s->sh.sh_type != SHT_RELA && s->nr_relas;
}

/* Section indexes: content sections, their .rela sections, then tables. */
static size_t number_sections(struct writer *w)
{
	struct kelf_out *o = w->o;
	size_t i, n = 1;

	for (i = 0; i < o->nr_secs; i++)
		o->secs[i]->index = n++;
	for (i = 0; i < o->nr_secs; i++)
		if (needs_rela_section(o->secs[i]))
			n++;
	w->symtab_index = n;
	return n;
}

static int build_symbols(struct writer *w)
{
	struct kelf_out *o = w->o;
	size_t i;

	w->symdata = calloc(o->nr_syms, sizeof(*w->symdata));
	if (!w->symdata)
		return -ENOMEM;
	for (i = 0; i < o->nr_syms; i++) {
		struct kelf_out_sym *s = o->syms[i];
		GElf_Sym *g = &w->symdata[s->index];
		size_t name = strtab_add(&w->str, s->name);

		if (name == (size_t)-1)
			return -ENOMEM;
		g->st_name = (GElf_Word)name;
		g->st_info = GELF_ST_INFO(s->bind, s->type);
		g->st_other = s->other;
		g->st_shndx = s->sec ? (GElf_Section)s->sec->index : s->shndx;
		g->st_value = s->value;
		g->st_size = s->size;
	}
	return 0;
}

static GElf_Rela *encode_relas(const struct kelf_out_sec *s)
{
	GElf_Rela *r = calloc(s->nr_relas ? s->nr_relas : 1, sizeof(*r));
	size_t i;

	if (!r)
		return NULL;
	for (i = 0; i < s->nr_relas; i++) {
		r[i].r_offset = s->relas[i].offset;
		r[i].r_addend = s->relas[i].addend;
		r[i].r_info = GELF_R_INFO(s->relas[i].sym->index, s->relas[i].type);
	}
	return r;
}

static int new_section(struct writer *w, const char *name, GElf_Shdr sh,
		       void *buf, size_t size, Elf_Type type)
{
	Elf_Scn *scn = elf_newscn(w->elf);
	Elf_Data *d;
	size_t off;

	if (!scn)
		return -EINVAL;
	off = strtab_add(&w->shstr, name);
	if (off == (size_t)-1)
		return -ENOMEM;
	sh.sh_name = (GElf_Word)off;
	if (sh.sh_type != SHT_NOBITS || size) {
		d = elf_newdata(scn);
		if (!d)
			return -EINVAL;
		d->d_buf = sh.sh_type == SHT_NOBITS ? NULL : buf;
		d->d_size = size;
		d->d_type = type;
		d->d_align = sh.sh_addralign ? sh.sh_addralign : 1;
		d->d_version = EV_CURRENT;
	}
	sh.sh_size = size;
	sh.sh_offset = 0;
	sh.sh_addr = 0;
	if (!gelf_update_shdr(scn, &sh))
		return -EINVAL;
	return 0;
}

static GElf_Shdr rela_shdr(struct writer *w, const struct kelf_out_sec *target,
			   GElf_Xword flags)
{
	GElf_Shdr sh = { 0 };

	sh.sh_type = SHT_RELA;
	sh.sh_flags = flags | SHF_INFO_LINK;
	sh.sh_addralign = 8;
	sh.sh_entsize = sizeof(Elf64_Rela);
	sh.sh_link = (GElf_Word)w->symtab_index;
	sh.sh_info = target ? (GElf_Word)target->index : 0;
	return sh;
}

static int add_content_sections(struct writer *w)
{
	struct kelf_out *o = w->o;
	size_t i;
	int ret;

	for (i = 0; i < o->nr_secs; i++) {
		struct kelf_out_sec *s = o->secs[i];

		if (s->sh.sh_type == SHT_RELA) {
			GElf_Shdr sh = rela_shdr(w, s->info_sec, s->sh.sh_flags);

			w->reladata[i] = encode_relas(s);
			if (!w->reladata[i])
				return -ENOMEM;
			ret = new_section(w, s->name, sh, w->reladata[i],
					  s->nr_relas * sizeof(Elf64_Rela), ELF_T_RELA);
		} else {
			ret = new_section(w, s->name, s->sh, s->data, s->size,
					  ELF_T_BYTE);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int add_rela_sections(struct writer *w)
{
	struct kelf_out *o = w->o;
	size_t i;
	int ret;

	for (i = 0; i < o->nr_secs; i++) {
		struct kelf_out_sec *s = o->secs[i];
		GElf_Shdr sh;
		char *name;

		if (!needs_rela_section(s))
			continue;
		sh = rela_shdr(w, s, 0);
		w->reladata[i] = encode_relas(s);
		name = km_strfmt(".rela%s", s->name);
		if (!w->reladata[i] || !name) {
			free(name);
			return -ENOMEM;
		}
		ret = new_section(w, name, sh, w->reladata[i],
				  s->nr_relas * sizeof(Elf64_Rela), ELF_T_RELA);
		free(name);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_tables(struct writer *w)
{
	GElf_Shdr sh = { 0 };
	int ret;

	sh.sh_type = SHT_SYMTAB;
	sh.sh_addralign = 8;
	sh.sh_entsize = sizeof(Elf64_Sym);
	sh.sh_link = (GElf_Word)w->symtab_index + 1;
	sh.sh_info = (GElf_Word)w->nr_locals;
	ret = new_section(w, ".symtab", sh, w->symdata,
			  w->o->nr_syms * sizeof(Elf64_Sym), ELF_T_SYM);
	if (ret)
		return ret;
	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_STRTAB;
	sh.sh_addralign = 1;
	ret = new_section(w, ".strtab", sh, w->str.buf.buf, w->str.buf.len,
			  ELF_T_BYTE);
	if (ret)
		return ret;
	/* .shstrtab must name itself before its size is known */
	if (strtab_add(&w->shstr, ".shstrtab") == (size_t)-1)
		return -ENOMEM;
	ret = new_section(w, "", sh, NULL, 0, ELF_T_BYTE);
	return ret;
}

static int set_shstrndx(Elf *elf, size_t index)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		return -EINVAL;
	eh.e_shstrndx = (GElf_Half)index;
	return gelf_update_ehdr(elf, &eh) ? 0 : -EINVAL;
}

static int finish_shstrtab(struct writer *w)
{
	size_t n;
	Elf_Scn *scn;
	Elf_Data *d;
	GElf_Shdr sh;
	const char *p;

	if (elf_getshdrnum(w->elf, &n))
		return -EINVAL;
	scn = elf_getscn(w->elf, n - 1);
	if (!scn || !gelf_getshdr(scn, &sh))
		return -EINVAL;
	/* the name was added last, just before the section itself */
	p = w->shstr.buf.buf + w->shstr.buf.len - sizeof(".shstrtab");
	sh.sh_name = (GElf_Word)(p - w->shstr.buf.buf);
	d = elf_newdata(scn);
	if (!d)
		return -EINVAL;
	d->d_buf = w->shstr.buf.buf;
	d->d_size = w->shstr.buf.len;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh.sh_size = w->shstr.buf.len;
	if (!gelf_update_shdr(scn, &sh))
		return -EINVAL;
	return set_shstrndx(w->elf, n - 1);
}

static int write_elf(struct writer *w, int fd)
{
	GElf_Ehdr eh;
	int ret;

	w->elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!w->elf || !gelf_newehdr(w->elf, ELFCLASS64))
		return -EINVAL;
	eh = w->o->eh;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	if (!gelf_update_ehdr(w->elf, &eh))
		return -EINVAL;
	ret = add_content_sections(w);
	if (!ret)
		ret = add_rela_sections(w);
	if (!ret)
		ret = add_tables(w);
	if (!ret)
		ret = finish_shstrtab(w);
	if (!ret && elf_update(w->elf, ELF_C_WRITE) < 0)
		ret = -EIO;
	return ret;
}

/*
 * libelf pads each section's file offset to its alignment: a section asking
 * for 2^36 would make a 64 GiB file.  kelf_open() refuses such objects;
 * this keeps any caller from writing one.
 */
static int check_alignments(struct km_ctx *ctx, const struct kelf_out *o,
			    const char *path)
{
	size_t i;

	for (i = 0; i < o->nr_secs; i++) {
		GElf_Xword align = o->secs[i]->sh.sh_addralign;

		if (align <= 1 || (!(align & (align - 1)) &&
				   align <= KELF_MAX_ALIGN))
			continue;
		km_err(ctx, "cannot write '%s': section %s asks for an "
		       "alignment of %#lx (a power of two up to %#lx only)",
		       path, o->secs[i]->name, (unsigned long)align,
		       (unsigned long)KELF_MAX_ALIGN);
		return -EINVAL;
	}
	return 0;
}

int kelf_out_write(struct km_ctx *ctx, struct kelf_out *o, const char *path)
{
	struct writer w = { .ctx = ctx, .o = o };
	char *tmp = km_strfmt("%s.tmp.%d", path, (int)getpid());
	size_t i;
	int fd, ret;

	if (!tmp)
		return -ENOMEM;
	ret = check_alignments(ctx, o, path);
	if (ret) {
		free(tmp);
		return ret;
	}
	elf_version(EV_CURRENT);
	/* offset 0 of both string tables is the empty name */
	if (km_buf_add(&w.str.buf, "", 1) || km_buf_add(&w.shstr.buf, "", 1)) {
		free(tmp);
		return -ENOMEM;
	}
	number_symbols(&w);
	number_sections(&w);
	w.reladata = calloc(o->nr_secs ? o->nr_secs : 1, sizeof(*w.reladata));
	ret = w.reladata ? build_symbols(&w) : -ENOMEM;
	km_tmp_register(tmp);
	fd = ret ? -1 : open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!ret && fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot write '%s': %s", path, strerror(errno));
	} else if (!ret) {
		ret = write_elf(&w, fd);
		if (ret == -EINVAL || ret == -EIO)
			km_err(ctx, "cannot write '%s': %s", path,
			       elf_errmsg(-1));
	}
	if (w.elf)
		elf_end(w.elf);
	if (fd >= 0 && close(fd) && !ret) {
		ret = -errno;
		km_err(ctx, "cannot write '%s': %s", path, strerror(errno));
	}
	if (!ret && rename(tmp, path)) {
		ret = -errno;
		km_err(ctx, "cannot write '%s': %s", path, strerror(errno));
	}
	if (ret)
		unlink(tmp);
	km_tmp_forget();
	for (i = 0; w.reladata && i < o->nr_secs; i++)
		free(w.reladata[i]);
	free(w.reladata);
	free(w.symdata);
	km_buf_release(&w.shstr.buf);
	km_buf_release(&w.str.buf);
	free(tmp);
	return ret;
}
