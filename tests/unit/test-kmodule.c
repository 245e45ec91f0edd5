// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/kernel/kmodule: finding a module's .ko through
 * modules.dep (refusing one that is absent or without a symbol table),
 * reading one compressed with xz or gzip as the plain one, refusing a
 * damaged one and a zstd one with the file named, and the livepatch positions of its symbols, counted as the
 * livepatch core counts them (symbol table order), refused when they differ
 * between the module loading and the module loaded (init code gone).
 */
#include <gelf.h>
#include <lzma.h>
#include <zlib.h>

#include "kelf.h"
#include "kmodule.h"
#include "unit.h"

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

static GElf_Shdr text_shdr(void)
{
	GElf_Shdr sh;

	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_PROGBITS;
	sh.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh.sh_addralign = 16;
	return sh;
}

/*
 * kernel/m.ko: .text with local helper (twice: two files of the module),
 * a global m_fn, .init.text with a third helper (in the symbol table
 * before the others when init_first) and a unique init_only.
 */
static int write_module(struct suite *s, const char *rel, bool with_symbols,
			bool init_first)
{
	static const unsigned char code[64] = { 0xc3 };
	GElf_Ehdr eh = x86_64_ehdr();
	GElf_Shdr sh = text_shdr();
	struct kelf_out *o = kelf_out_new(&eh);
	struct kelf_out_sec *text, *init;
	char *path = km_strfmt("%s/%s", s->dir, rel);
	int ret = -ENOMEM;

	if (!o || !path)
		goto out;
	text = kelf_out_add_section(o, ".text", &sh, code, sizeof(code));
	init = kelf_out_add_section(o, ".init.text", &sh, code, 16);
	if (with_symbols) {
		if (init_first)
			kelf_out_add_symbol(o, "helper", STB_LOCAL, STT_FUNC,
					    init, 0, 8);
		kelf_out_add_symbol(o, "helper", STB_LOCAL, STT_FUNC, text, 0, 8);
		kelf_out_add_symbol(o, "helper", STB_LOCAL, STT_FUNC, text, 16, 12);
		kelf_out_add_symbol(o, "init_only", STB_LOCAL, STT_FUNC, init, 8, 8);
		kelf_out_add_symbol(o, "m_fn", STB_GLOBAL, STT_FUNC, text, 32, 8);
	}
	ret = put_file(s->dir, rel, "") ? -EIO : kelf_out_write(&s->ctx, o, path);
out:
	kelf_out_free(o);
	free(path);
	return ret;
}

/* dir/to: dir/from compressed (xz or gzip), cut to `keep` bytes (0: all). */
static int compress_module(struct suite *s, const char *from, const char *to,
			   bool xz, size_t keep)
{
	char *src = km_strfmt("%s/%s", s->dir, from);
	char *dst = km_strfmt("%s/%s", s->dir, to);
	struct km_buf in = KM_BUF_INIT;
	size_t cap, len = 0;
	uint8_t *out = NULL;
	gzFile gz;
	int ret = src && dst ? km_read_file(src, &in) : -ENOMEM;

	if (!ret && xz) {
		cap = lzma_stream_buffer_bound(in.len);
		out = malloc(cap);
		ret = out && lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL,
				(uint8_t *)in.buf, in.len, out, &len, cap) ==
			     LZMA_OK ? 0 : -EIO;
		if (!ret)
			ret = km_write_file_atomic(dst, (char *)out,
						   keep ? keep : len);
	} else if (!ret) {
		gz = gzopen(dst, "wb");
		ret = gz && gzwrite(gz, in.buf, (unsigned)in.len) ==
			    (int)in.len ? 0 : -EIO;
		if (gz && gzclose(gz) != Z_OK)
			ret = -EIO;
	}
	km_buf_release(&in);
	free(out);
	free(src);
	free(dst);
	return ret;
}

/* A symbol of a pristine object to look up in the module. */
static struct kelf_sym pristine(const char *name, unsigned char bind,
				GElf_Xword size)
{
	static struct kelf_sec text = { .name = ".text.helper" };
	struct kelf_sym sym;

	memset(&sym, 0, sizeof(sym));
	sym.sec = &text;
	sym.name = name;
	sym.bind = bind;
	sym.type = STT_FUNC;
	sym.sym.st_size = size;
	return sym;
}

static void test_finding(struct suite *s)
{
	struct km_module m;

	check(s, km_module_open(&s->ctx, s->dir, "gone", "x.c", &m) ==
		 -KM_EUNPATCHABLE && logged(s, "module 'gone' has no file"),
	      "a module modules.dep lists without its .ko is refused");
	check(s, km_module_open(&s->ctx, s->dir, "cut", "x.c", &m) ==
		 -EBADMSG && logged(s, "cannot decompress '") &&
		 logged(s, "/kernel/fs/cut.ko.xz': truncated xz data: the file "
			"is damaged or cut short"),
	      "a truncated .ko.xz is an error naming the file");
	check(s, km_module_open(&s->ctx, s->dir, "zst", "x.c", &m) ==
		 -EPROTONOSUPPORT && logged(s, "/kernel/fs/zst.ko.zst': it is "
					    "compressed with zstd"),
	      "a .ko.zst is refused, naming the file and what to do");
	check(s, km_module_open(&s->ctx, s->dir, "nowhere", "x.c", &m) ==
		 -KM_EUNPATCHABLE && logged(s, "which ") &&
		 logged(s, "modules.dep does not list"),
	      "a module modules.dep does not list is refused");
	check(s, km_module_open(&s->ctx, s->dir, "stripped", "x.c", &m) ==
		 -KM_EUNPATCHABLE && logged(s, "has no symbol table"),
	      "a module without a symbol table is refused");
	check(s, km_module_open(&s->ctx, NULL, "m", "x.c", &m) ==
		 -KM_EUNPATCHABLE && logged(s, "modules are not installed"),
	      "no module tree: refused, naming the package");
}

static void test_positions(struct suite *s)
{
	struct kelf_sym big = pristine("helper", STB_LOCAL, 12);
	struct kelf_sym small = pristine("helper", STB_LOCAL, 8);
	struct kelf_sym fn = pristine("m_fn", STB_GLOBAL, 8);
	struct kelf_sym init = pristine("init_only", STB_LOCAL, 8);
	unsigned long pos = 99;
	struct km_module m;

	if (km_module_open(&s->ctx, s->dir, "m-dash", "x.c", &m)) {
		check(s, false, "module m_dash opens (its file is m-dash.ko)");
		return;
	}
	check(s, !strcmp(m.name, "m_dash"), "'-' in a module's name is '_'");
	check(s, !km_module_sympos(&s->ctx, &m, &fn, &pos) && pos == 0,
	      "a unique global has position 0");
	check(s, !km_module_sympos(&s->ctx, &m, &big, &pos) && pos == 2,
	      "the second same-named static (by size) has position 2");
	check(s, !km_module_sympos(&s->ctx, &m, &small, &pos) && pos == 1,
	      "the first one has position 1");
	check(s, km_module_sympos(&s->ctx, &m, &init, &pos) == -KM_EUNPATCHABLE &&
		 logged(s, "is init code"),
	      "init code (gone once the module is loaded) is refused");
	km_module_release(&m);

	if (km_module_open(&s->ctx, s->dir, "packed", "x.c", &m)) {
		check(s, false, "module packed (a .ko.xz) opens");
		return;
	}
	check(s, km_ends_with(m.path, "/kernel/fs/packed.ko.xz") &&
		 !km_module_sympos(&s->ctx, &m, &big, &pos) && pos == 2,
	      "a .ko.xz is read decompressed: the same positions");
	km_module_release(&m);
	if (km_module_open(&s->ctx, s->dir, "gzipped", "x.c", &m)) {
		check(s, false, "module gzipped (a .ko.gz) opens");
		return;
	}
	check(s, !km_module_sympos(&s->ctx, &m, &small, &pos) && pos == 1,
	      "a .ko.gz is read decompressed: the same positions");
	km_module_release(&m);

	if (km_module_open(&s->ctx, s->dir, "initfirst", "x.c", &m)) {
		check(s, false, "module initfirst opens");
		return;
	}
	check(s, km_module_sympos(&s->ctx, &m, &big, &pos) == -KM_EUNPATCHABLE &&
		 logged(s, "same-named symbol in the module's init code"),
	      "a position that init code shifts while the module loads is refused");
	km_module_release(&m);
}

int main(void)
{
	struct suite s;

	if (suite_init(&s, "test-kmodule"))
		return 1;
	elf_version(EV_CURRENT);
	if (put_file(s.dir, "modules.dep",
		     "kernel/fs/gone.ko:\n"
		     "kernel/fs/packed.ko.xz:\n"
		     "kernel/fs/gzipped.ko.gz:\n"
		     "kernel/fs/cut.ko.xz:\n"
		     "kernel/fs/zst.ko.zst:\n"
		     "kernel/fs/stripped.ko:\n"
		     "kernel/fs/m-dash.ko: kernel/fs/stripped.ko\n"
		     "kernel/fs/initfirst.ko:\n") ||
	    put_file(s.dir, "kernel/fs/zst.ko.zst", "\x28\xb5\x2f\xfd...") ||
	    write_module(&s, "kernel/fs/stripped.ko", false, false) ||
	    write_module(&s, "kernel/fs/m-dash.ko", true, false) ||
	    compress_module(&s, "kernel/fs/m-dash.ko", "kernel/fs/packed.ko.xz",
			    true, 0) ||
	    compress_module(&s, "kernel/fs/m-dash.ko", "kernel/fs/gzipped.ko.gz",
			    false, 0) ||
	    compress_module(&s, "kernel/fs/m-dash.ko", "kernel/fs/cut.ko.xz",
			    true, 100) ||
	    write_module(&s, "kernel/fs/initfirst.ko", true, true)) {
		check(&s, false, "the module tree is written");
		return suite_finish(&s);
	}
	test_finding(&s);
	test_positions(&s);
	return suite_finish(&s);
}
