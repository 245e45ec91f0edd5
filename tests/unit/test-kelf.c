// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ELF layer and what builds on it without a kernel: the
 * object writer read back by the reader, livepatch relocation conversion,
 * kallsyms positions from a symbol table with duplicate locals, module
 * names, and the hash table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "kelf.h"
#include "klp.h"
#include "kmod.h"
#include "ksym.h"
#include "unit.h"
#include "util.h"

static GElf_Ehdr x86_64_ehdr(void)
{
	GElf_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	return eh;
}

static GElf_Shdr shdr(GElf_Word type, GElf_Xword flags, GElf_Xword align)
{
	GElf_Shdr sh;

	memset(&sh, 0, sizeof(sh));
	sh.sh_type = type;
	sh.sh_flags = flags;
	sh.sh_addralign = align;
	return sh;
}

/*
 * .text.f: "call __fentry__; call helper; call static_thing; ret" with its
 * relocations, .rodata.str1.1, a local f, a global alias, externals.
 */
static char *write_sample(struct suite *s, const char *name)
{
	static const unsigned char code[] = {
		0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xc3,
	};
	GElf_Ehdr eh = x86_64_ehdr();
	struct kelf_out *o = kelf_out_new(&eh);
	struct kelf_out_sec *text, *str;
	struct kelf_out_sym *fentry, *helper, *klp;
	char *path = km_strfmt("%s/%s", s->dir, name);
	GElf_Shdr sh;
	int ret;

	sh = shdr(SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16);
	text = kelf_out_add_section(o, ".text.f", &sh, code, sizeof(code));
	sh = shdr(SHT_PROGBITS, SHF_ALLOC | SHF_MERGE | SHF_STRINGS, 1);
	sh.sh_entsize = 1;
	str = kelf_out_add_section(o, ".rodata.str1.1", &sh, "hi\0", 3);
	kelf_out_add_symbol(o, "", STB_LOCAL, STT_SECTION, text, 0, 0);
	kelf_out_add_symbol(o, "", STB_LOCAL, STT_SECTION, str, 0, 0);
	kelf_out_add_symbol(o, "f", STB_LOCAL, STT_FUNC, text, 0, sizeof(code));
	kelf_out_add_symbol(o, "__kmend_new_0", STB_GLOBAL, STT_FUNC, text, 0,
			    sizeof(code));
	fentry = kelf_out_extern(o, "__fentry__", STB_GLOBAL, STT_NOTYPE);
	helper = kelf_out_extern(o, "helper", STB_GLOBAL, STT_NOTYPE);
	klp = kelf_out_extern(o, ".klp.sym.vmlinux.static_thing,2", STB_GLOBAL,
			      STT_NOTYPE);
	/* added twice by name: the same symbol */
	if (kelf_out_extern(o, "helper", STB_GLOBAL, STT_NOTYPE) != helper)
		helper = NULL;
	ret = text && str && fentry && helper && klp ? 0 : -ENOMEM;
	if (!ret)
		ret = kelf_out_add_rela(text, 11, R_X86_64_PC32, klp, -4);
	if (!ret)
		ret = kelf_out_add_rela(text, 1, R_X86_64_PLT32, fentry, -4);
	if (!ret)
		ret = kelf_out_add_rela(text, 6, R_X86_64_PLT32, helper, -4);
	if (!ret)
		ret = kelf_out_write(&s->ctx, o, path);
	kelf_out_free(o);
	if (ret) {
		free(path);
		return NULL;
	}
	return path;
}

static void test_round_trip(struct suite *s)
{
	char *path = write_sample(s, "sample.o");
	struct kelf *e = path ? kelf_open(&s->ctx, path) : NULL;
	struct kelf_sec *text = e ? kelf_find_section(e, ".text.f") : NULL;
	struct kelf_sym *f = e ? kelf_find_symbol(e, "f") : NULL;
	struct kelf_sym *alias = e ? kelf_find_symbol(e, "__kmend_new_0") : NULL;
	struct kelf_rela *r;
	size_t n = 0;

	check(s, e != NULL, "the writer's object reads back");
	check(s, text && text->size == 16 && text->data[15] == 0xc3,
	      "a section keeps its bytes");
	check(s, f && f->bind == STB_LOCAL && f->type == STT_FUNC &&
	      text && text->func == f, "a local function owns its section");
	check(s, alias && alias->bind == STB_GLOBAL && alias->sec == text,
	      "a global alias points at the same code");
	check(s, text && text->nr_relas == 3 && text->relas[0].offset == 1 &&
	      text->relas[2].offset == 11, "relocations come back sorted by offset");
	check(s, text && !strcmp(text->relas[0].sym->name, "__fentry__") &&
	      text->relas[0].type == R_X86_64_PLT32 &&
	      text->relas[0].addend == -4, "a relocation keeps type, addend, symbol");
	r = text ? kelf_relas_in(text, 5, 11, &n) : NULL;
	check(s, r && n == 1 && r->offset == 6, "relocations of a range");
	check(s, e && kelf_is_string_section(kelf_find_section(e, ".rodata.str1.1")),
	      "SHF_STRINGS marks a string section");
	kelf_free(e);
	free(path);
}

/* One section aligned to align, written to name: kelf_out_write()'s result. */
static int write_aligned(struct suite *s, const char *name, GElf_Xword align,
			 GElf_Word version)
{
	GElf_Ehdr eh = x86_64_ehdr();
	GElf_Shdr sh = shdr(SHT_PROGBITS, SHF_ALLOC, align);
	char *path = km_strfmt("%s/%s", s->dir, name);
	struct kelf_out *o;
	int ret;

	eh.e_version = version;
	o = kelf_out_new(&eh);
	ret = o && path && kelf_out_add_section(o, ".data.x", &sh, "x", 1) ?
	      kelf_out_write(&s->ctx, o, path) : -ENOMEM;
	kelf_out_free(o);
	free(path);
	return ret;
}

static bool dir_has_only(struct suite *s, const char *name)
{
	char *path = km_strfmt("%s/%s", s->dir, name);
	char *tmp = km_strfmt("%s/%s.tmp.%d", s->dir, name, (int)getpid());
	bool ok = path && tmp && km_is_file(path) && !km_is_file(tmp);

	free(path);
	free(tmp);
	return ok;
}

static void test_write_bounds(struct suite *s)
{
	char *path = km_strfmt("%s/v.o", s->dir);
	struct kelf *e;

	check(s, write_aligned(s, "a36.o", 1UL << 36, EV_CURRENT) == -EINVAL &&
	      logged(s, "section .data.x asks for an alignment of 0x1000000000 "
		     "(a power of two up to 0x10000 only)") &&
	      !dir_has_only(s, "a36.o"),
	      "an alignment of 2^36 is refused, not padded into a 64 GiB file");
	check(s, write_aligned(s, "a24.o", 24, EV_CURRENT) == -EINVAL &&
	      logged(s, "alignment of 0x18"), "an alignment of 24 is refused");
	check(s, write_aligned(s, "a64k.o", 0x10000, EV_CURRENT) == 0 &&
	      dir_has_only(s, "a64k.o"), "an alignment of 64 KiB is written");
	e = path && !write_aligned(s, "v.o", 8, 0x4101) ?
	    kelf_open(&s->ctx, path) : NULL;
	check(s, e && e->eh.e_version == EV_CURRENT,
	      "the output is ELF version 1 whatever its model said");
	kelf_free(e);
	free(path);
}

static void test_klp_convert(struct suite *s)
{
	char *in = write_sample(s, "module.o");
	char *out = km_strfmt("%s/module-klp.o", s->dir);
	struct kelf *e = NULL;
	struct kelf_sec *klp = NULL, *text = NULL, *str;
	struct kelf_sym *sym;
	int n = in && out ? km_klp_convert(&s->ctx, in, out) : -ENOMEM;

	check(s, n == 1, "one relocation becomes a livepatch relocation");
	if (n == 1)
		e = kelf_open(&s->ctx, out);
	if (e) {
		klp = kelf_find_section(e, ".klp.rela.vmlinux..text.f");
		text = kelf_find_section(e, ".text.f");
	}
	check(s, klp && klp->sh.sh_type == SHT_RELA &&
	      (klp->sh.sh_flags & (SHF_ALLOC | SHF_RELA_LIVEPATCH | SHF_INFO_LINK)) ==
	      (SHF_ALLOC | SHF_RELA_LIVEPATCH | SHF_INFO_LINK),
	      ".klp.rela.vmlinux..text.f is SHT_RELA, flagged AIo");
	check(s, klp && text && klp->sh.sh_info == text->index,
	      "it applies to .text.f");
	sym = e ? kelf_find_symbol(e, ".klp.sym.vmlinux.static_thing,2") : NULL;
	check(s, sym && sym->sym.st_shndx == SHN_LIVEPATCH && sym->bind == STB_GLOBAL,
	      "the livepatch symbol has index SHN_LIVEPATCH");
	check(s, text && text->nr_relas == 2 && text->rela &&
	      !strcmp(text->rela->name, ".rela.text.f"),
	      "the ordinary relocations stay in .rela.text.f");
	str = e ? kelf_find_section(e, ".rodata.str1.1") : NULL;
	check(s, str && str->size == 3 && !strcmp((char *)str->data, "hi"),
	      "other sections survive the rewrite as they were");
	check(s, e && km_klp_convert(&s->ctx, out, in) == -EINVAL &&
	      logged(s, "has livepatch relocations already"),
	      "a module is converted once");
	kelf_free(e);
	free(in);
	free(out);
}

/* A vmlinux-like symbol table: two files with a local "dup" each. */
static char *write_symtab(struct suite *s)
{
	GElf_Ehdr eh = x86_64_ehdr();
	struct kelf_out *o = kelf_out_new(&eh);
	GElf_Shdr sh = shdr(SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16);
	struct kelf_out_sec *text = kelf_out_add_section(o, ".text", &sh, NULL, 0x100);
	char *path = km_strfmt("%s/vmlinux", s->dir);
	struct kelf_out_sym *f;
	int ret;

	f = kelf_out_add_symbol(o, "a.c", STB_LOCAL, STT_FILE, NULL, 0, 0);
	if (f)
		f->shndx = SHN_ABS;
	kelf_out_add_symbol(o, "dup", STB_LOCAL, STT_FUNC, text, 0x20, 8);
	kelf_out_add_symbol(o, "only_a", STB_LOCAL, STT_FUNC, text, 0x30, 8);
	f = kelf_out_add_symbol(o, "b.c", STB_LOCAL, STT_FILE, NULL, 0, 0);
	if (f)
		f->shndx = SHN_ABS;
	kelf_out_add_symbol(o, "dup", STB_LOCAL, STT_FUNC, text, 0x10, 16);
	kelf_out_add_symbol(o, "exported_fn", STB_GLOBAL, STT_FUNC, text, 0x40, 8);
	kelf_out_add_symbol(o, "hidden_fn", STB_GLOBAL, STT_FUNC, text, 0x50, 8);
	/* a weak default overridden by a strong one; one left weak */
	kelf_out_add_symbol(o, "arch_hook", STB_GLOBAL, STT_FUNC, text, 0x60, 8);
	kelf_out_add_symbol(o, "weak_only", STB_WEAK, STT_FUNC, text, 0x70, 8);
	/* two statics of one name in one file: only the size tells them apart */
	f = kelf_out_add_symbol(o, "c.c", STB_LOCAL, STT_FILE, NULL, 0, 0);
	if (f)
		f->shndx = SHN_ABS;
	kelf_out_add_symbol(o, "twin", STB_LOCAL, STT_FUNC, text, 0x80, 8);
	kelf_out_add_symbol(o, "twin", STB_LOCAL, STT_FUNC, text, 0x90, 24);
	ret = text ? kelf_out_write(&s->ctx, o, path) : -ENOMEM;
	kelf_out_free(o);
	if (ret) {
		free(path);
		return NULL;
	}
	return path;
}

static struct kelf_sym fake_sym(const char *name, unsigned char bind)
{
	struct kelf_sym sym;

	memset(&sym, 0, sizeof(sym));
	sym.name = name;
	sym.bind = bind;
	sym.type = STT_FUNC;
	return sym;
}

static void test_sympos(struct suite *s)
{
	static const char symvers[] = "0x1234abcd\texported_fn\tvmlinux\tEXPORT_SYMBOL\t\n"
				      "0x1234abce\tmodule_fn\tsome_mod\tEXPORT_SYMBOL\t\n"
				      "0x1234abcf\tns_fn\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL\n";
	char *vmlinux = write_symtab(s);
	char *sv = km_strfmt("%s/Module.symvers", s->dir);
	struct km_ksyms ks;
	struct km_hash namespaces;
	struct km_ksym_resolver r = { &s->ctx, &ks, "b.c", "b.o", NULL,
				      &namespaces };
	struct kelf_sec defined_in;
	struct kelf_sym sym;
	unsigned long pos = 99;
	char *name = NULL;
	bool klp = false;
	int ret;

	memset(&defined_in, 0, sizeof(defined_in));
	ret = km_hash_init(&namespaces, 4);
	if (!ret)
		ret = vmlinux && sv ? km_write_file_atomic(sv, symvers,
							   strlen(symvers)) : -ENOMEM;
	if (!ret)
		ret = km_ksyms_load(&s->ctx, vmlinux, sv, &ks);
	check(s, ret == 0, "a symbol table and Module.symvers load");
	if (ret) {
		km_hash_release(&namespaces);
		free(vmlinux);
		free(sv);
		return;
	}
	sym = fake_sym("dup", STB_LOCAL);
	check(s, !km_ksyms_sympos(&s->ctx, &ks, "b.c", &sym, &pos) && pos == 1,
	      "b.c's dup is first by address: sympos 1");
	check(s, !km_ksyms_sympos(&s->ctx, &ks, "a.c", &sym, &pos) && pos == 2,
	      "a.c's dup is second by address: sympos 2");
	sym = fake_sym("only_a", STB_LOCAL);
	check(s, !km_ksyms_sympos(&s->ctx, &ks, "a.c", &sym, &pos) && pos == 0,
	      "a unique name has sympos 0");
	sym = fake_sym("dup", STB_LOCAL);
	check(s, km_ksyms_sympos(&s->ctx, &ks, "c.c", &sym, &pos) == -ENOENT &&
	      logged(s, "'dup' of c.c is not among the 2 symbols of that name"),
	      "a local of an unknown file is an error naming the symbol");
	km_buf_reset(&s->log);
	sym = fake_sym("only_a", STB_LOCAL);
	sym.sec = &defined_in;	/* defined here: its size counts */
	sym.sym.st_size = 12;
	pos = 99;
	check(s, !km_ksyms_sympos(&s->ctx, &ks, "a.c", &sym, &pos) && pos == 0 &&
	      !s->log.len,
	      "a size that differs from the kernel's is no mismatch (jumps relax "
	      "when the kernel links)");
	km_buf_reset(&s->log);
	sym = fake_sym("missing", STB_GLOBAL);
	check(s, km_ksyms_sympos(&s->ctx, &ks, "b.c", &sym, &pos) == -ENOENT &&
	      logged(s, "'missing' (from b.c) is not in the symbol table"),
	      "a symbol the kernel lacks is named");
	sym = fake_sym("exported_fn", STB_GLOBAL);
	ret = km_ksyms_resolve(&r, &sym, &name, &klp);
	check(s, !ret && !klp && !strcmp(name, "exported_fn"),
	      "an exported function is referenced by name");
	free(name);
	name = NULL;
	check(s, !namespaces.count && !km_ksyms_namespace(&ks, "exported_fn"),
	      "an export without a namespace imports none");
	sym = fake_sym("ns_fn", STB_GLOBAL);
	ret = km_ksyms_resolve(&r, &sym, &name, &klp);
	free(name);
	name = NULL;
	ret = ret ? ret : km_ksyms_resolve(&r, &sym, &name, &klp);
	check(s, !ret && !klp && namespaces.count == 1 &&
	      !strcmp(km_hash_get(&namespaces, "CXL"), "CXL"),
	      "an export of namespace CXL adds CXL to the set, once");
	free(name);
	name = NULL;
	sym = fake_sym("hidden_fn", STB_GLOBAL);
	ret = km_ksyms_resolve(&r, &sym, &name, &klp);
	check(s, !ret && klp && !strcmp(name, ".klp.sym.vmlinux.hidden_fn,0"),
	      "a global the kernel does not export is a livepatch symbol");
	free(name);
	name = NULL;
	sym = fake_sym("dup", STB_LOCAL);
	ret = km_ksyms_resolve(&r, &sym, &name, &klp);
	check(s, !ret && klp && !strcmp(name, ".klp.sym.vmlinux.dup,1"),
	      "a static function is a livepatch symbol with its position");
	free(name);
	sym = fake_sym("arch_hook", STB_WEAK);
	check(s, km_ksyms_is_overridden(&ks, &sym),
	      "a weak function the kernel has a strong definition of is overridden");
	sym = fake_sym("weak_only", STB_WEAK);
	check(s, !km_ksyms_is_overridden(&ks, &sym),
	      "a weak function the kernel kept is not overridden");
	sym = fake_sym("arch_hook", STB_GLOBAL);
	check(s, !km_ksyms_is_overridden(&ks, &sym),
	      "a strong function is never overridden");
	sym = fake_sym("twin", STB_LOCAL);
	sym.sec = &defined_in;
	sym.sym.st_size = 24;
	check(s, !km_ksyms_sympos(&s->ctx, &ks, "c.c", &sym, &pos) && pos == 2,
	      "same-named statics of one file are told apart by size");
	sym.sym.st_size = 40;
	check(s, km_ksyms_sympos(&s->ctx, &ks, "c.c", &sym, &pos) == -ENOENT,
	      "and when no size tells them apart, it is an error");
	check(s, !km_ksyms_is_exported(&ks, "module_fn"),
	      "exports of modules are not vmlinux's");
	km_ksyms_release(&ks);
	km_hash_release(&namespaces);
	free(vmlinux);
	free(sv);
}

static void test_names(struct suite *s)
{
	char *n = km_kmod_default_name("/tmp/CVE-2024-1234.fix.patch");

	check(s, n && !strcmp(n, "kmend_CVE_2024_1234_fix"),
	      "a module name from a patch file name");
	check(s, n && km_kmod_is_valid_name(n), "it is a valid module name");
	check(s, !km_kmod_is_valid_name("bad-name") && !km_kmod_is_valid_name(""),
	      "'-' and empty names are not module names");
	free(n);
}

static void test_hash(struct suite *s)
{
	struct km_hash h;
	struct km_hash_entry *e;
	int a = 1, b = 2, c = 3, count = 0, sum = 0;

	check(s, !km_hash_init(&h, 2), "a hash table for two");
	km_hash_add(&h, "x", &a);
	km_hash_add(&h, "y", &b);
	km_hash_add(&h, "x", &c);
	km_hash_for_each_key(&h, "x", e) {
		count++;
		sum += *(int *)e->value;
	}
	check(s, count == 2 && sum == 4, "every value of a repeated key");
	check(s, *(int *)km_hash_get(&h, "y") == 2 && !km_hash_get(&h, "z"),
	      "lookups of present and absent keys");
	km_hash_release(&h);
}

int main(void)
{
	struct suite s;

	if (suite_init(&s, "kmend-test-kelf"))
		return 1;
	test_round_trip(&s);
	test_write_bounds(&s);
	test_klp_convert(&s);
	test_sympos(&s);
	test_names(&s);
	test_hash(&s);
	return suite_finish(&s);
}
