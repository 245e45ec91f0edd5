// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kelf.h"
#include "klp.h"
#include "util.h"

struct converter {
	struct km_ctx *ctx;
	struct kelf *in;
	struct kelf_out *o;
	struct kelf_out_sec **sec_map;	/* by input section index */
	struct kelf_out_sym **sym_map;	/* by input symbol index */
	int nr_klp;
};

static bool is_klp_symbol(const struct kelf_sym *s)
{
	return (km_starts_with(s->name, KLP_SYM_PREFIX) ||
		km_starts_with(s->name, KLP_DEP_PREFIX)) &&
	       (s->sym.st_shndx == SHN_UNDEF || s->sym.st_shndx == SHN_LIVEPATCH);
}

/* ".klp.dep.M.N.name,0" -> ".klp.sym.N.name,0"; others as they are. */
static char *output_name(const struct kelf_sym *s)
{
	const char *p = s->name + strlen(KLP_DEP_PREFIX);

	if (!km_starts_with(s->name, KLP_DEP_PREFIX))
		return strdup(s->type == STT_SECTION ? "" : s->name);
	p += strcspn(p, ".");
	return *p ? km_strfmt(KLP_SYM_PREFIX "%s", p + 1) : NULL;
}

static bool is_table(const struct kelf *e, const struct kelf_sec *s)
{
	size_t shstrndx = 0;

	elf_getshdrstrndx(e->elf, &shstrndx);
	return s->sh.sh_type == SHT_SYMTAB || s->sh.sh_type == SHT_RELA ||
	       s->index == shstrndx ||
	       (s->sh.sh_type == SHT_STRTAB && !strcmp(s->name, ".strtab"));
}

static int copy_sections(struct converter *c)
{
	struct kelf_sec *s;

	for_each_sec(c->in, s) {
		if (s->sh.sh_flags & SHF_RELA_LIVEPATCH) {
			km_err(c->ctx, "'%s' has livepatch relocations already "
			       "(%s): convert a module once, as Kbuild links it",
			       c->in->path, s->name);
			return -EINVAL;
		}
		if (is_table(c->in, s))
			continue;
		c->sec_map[s->index] = kelf_out_add_section(c->o, s->name, &s->sh,
							    s->data, s->size);
		if (!c->sec_map[s->index])
			return -ENOMEM;
	}
	return 0;
}

static int copy_symbols(struct converter *c)
{
	struct kelf_sym *s;

	for_each_sym(c->in, s) {
		struct kelf_out_sym *o;
		char *name = output_name(s);

		o = name ? kelf_out_add_symbol(c->o, name, s->bind, s->type,
					       s->sec ? c->sec_map[s->sec->index]
						      : NULL,
					       s->sym.st_value, s->sym.st_size)
			 : NULL;
		if (!name && !o)
			km_err(c->ctx, "'%s': bad livepatch symbol name '%s'",
			       c->in->path, s->name);
		free(name);
		if (!o)
			return -ENOMEM;
		o->other = s->sym.st_other;
		if (!s->sec)
			o->shndx = s->sym.st_shndx;
		if (is_klp_symbol(s))
			o->shndx = SHN_LIVEPATCH;
		c->sym_map[s->index] = o;
	}
	return 0;
}

static struct kelf_out_sec *klp_rela_section(struct converter *c,
					     const struct kelf_sec *base,
					     const char *objname)
{
	GElf_Shdr sh = { 0 };
	struct kelf_out_sec *rs;
	char *name = km_strfmt(KLP_RELA_PREFIX "%s.%s", objname, base->name);

	if (!name)
		return NULL;
	rs = kelf_out_find_section(c->o, name);
	if (!rs) {
		sh.sh_type = SHT_RELA;
		sh.sh_flags = SHF_ALLOC | SHF_RELA_LIVEPATCH;
		sh.sh_addralign = 8;
		sh.sh_entsize = sizeof(Elf64_Rela);
		rs = kelf_out_add_section(c->o, name, &sh, NULL, 0);
		if (rs)
			rs->info_sec = c->sec_map[base->index];
	}
	free(name);
	return rs;
}

/*
 * The object whose relocation section holds a reference to the symbol:
 * ".klp.sym.vmlinux.foo,0" -> "vmlinux", ".klp.dep.M.N.foo,0" -> "M".
 */
static char *klp_objname(const char *symname)
{
	const char *p = symname + (km_starts_with(symname, KLP_DEP_PREFIX) ?
				   strlen(KLP_DEP_PREFIX) :
				   strlen(KLP_SYM_PREFIX));

	return strndup(p, strcspn(p, "."));
}

/*
 * The module loader reads the special sections of the patch (static keys,
 * static calls, tracepoints ...) while the patch loads, before a module's
 * livepatch relocations are applied, which happens only when that module
 * is there: only code and data may refer to a module's symbols.
 */
static bool may_refer_to_module(const struct kelf_sec *base)
{
	static const char *const ok[] = {
		".text", ".data", ".rodata", ".bss",
		/* code that an attribute puts in a section of its own */
		".sched.text", ".ref.text", ".noinstr.text",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(base->name, ok[i]) ||
		    (km_starts_with(base->name, ok[i]) &&
		     base->name[strlen(ok[i])] == '.'))
			return true;
	return false;
}

static int check_module_reference(struct converter *c,
				  const struct kelf_sec *base,
				  const struct kelf_rela *r, const char *objname)
{
	if (!strcmp(objname, "vmlinux") || may_refer_to_module(base))
		return 0;
	km_err(c->ctx, "cannot live patch: the patch's section %s refers to "
	       "'%s' of module '%s', and the kernel reads that section when "
	       "the patch loads, before it can resolve the module's symbols "
	       "(a static key, static call or tracepoint of the module); "
	       "leave it out of the changed code", base->name, r->sym->name,
	       objname);
	return -KM_EUNPATCHABLE;
}

static int copy_relocation(struct converter *c, const struct kelf_sec *base,
			   const struct kelf_rela *r)
{
	struct kelf_out_sec *target = c->sec_map[base->index];
	struct kelf_out_sym *sym = c->sym_map[r->sym->index];
	char *objname;

	if (is_klp_symbol(r->sym)) {
		int ret;

		objname = klp_objname(r->sym->name);
		if (!objname)
			return -ENOMEM;
		ret = check_module_reference(c, base, r, objname);
		target = ret ? NULL : klp_rela_section(c, base, objname);
		free(objname);
		if (ret)
			return ret;
		if (!target)
			return -ENOMEM;
		c->nr_klp++;
	}
	return kelf_out_add_rela(target, r->offset, r->type, sym, r->addend);
}

static int copy_relocations(struct converter *c)
{
	struct kelf_sec *s;
	struct kelf_rela *r;
	int ret;

	for_each_sec(c->in, s) {
		if (!s->nr_relas || !c->sec_map[s->index])
			continue;
		for_each_rela(s, r) {
			ret = copy_relocation(c, s, r);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int km_klp_convert(struct km_ctx *ctx, const char *in, const char *out)
{
	struct converter c = { .ctx = ctx };
	int ret;

	c.in = kelf_open(ctx, in);
	if (!c.in)
		return -errno;
	c.o = kelf_out_new(&c.in->eh);
	c.sec_map = calloc(c.in->nr_secs, sizeof(*c.sec_map));
	c.sym_map = calloc(c.in->nr_syms, sizeof(*c.sym_map));
	ret = c.o && c.sec_map && c.sym_map ? 0 : -ENOMEM;
	/* kelf_out_new added a null symbol of its own: use it for index 0 */
	if (!ret) {
		c.sym_map[0] = c.o->syms[0];
		ret = copy_sections(&c);
	}
	if (!ret)
		ret = copy_symbols(&c);
	if (!ret)
		ret = copy_relocations(&c);
	if (!ret)
		ret = kelf_out_write(ctx, c.o, out);
	kelf_out_free(c.o);
	free(c.sec_map);
	free(c.sym_map);
	kelf_free(c.in);
	return ret ? ret : c.nr_klp;
}
