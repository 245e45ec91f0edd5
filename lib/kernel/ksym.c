// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksym.h"
#include "util.h"

/* What scripts/kallsyms keeps of `nm -n vmlinux`. */
static bool in_kallsyms(const GElf_Sym *s, const char *name)
{
	unsigned char type = GELF_ST_TYPE(s->st_info);

	if (!*name || type == STT_SECTION || type == STT_FILE ||
	    s->st_shndx == SHN_UNDEF)
		return false;
	return !km_starts_with(name, "__crc_") && name[0] != '$';
}

static int read_vmlinux_symbols(struct km_ctx *ctx, struct km_ksyms *ks)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf_Data *d;
	const char *file = NULL;
	size_t n, i;

	while ((scn = elf_nextscn(ks->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	if (!scn || !(d = elf_getdata(scn, NULL))) {
		km_err(ctx, "cannot read '%s': no symbol table: give the vmlinux "
		       "with symbols of the debug package (linux-image-*-dbg)",
		       ks->vmlinux);
		return -EINVAL;
	}
	n = sh.sh_size / sh.sh_entsize;
	ks->syms = calloc(n, sizeof(*ks->syms));
	if (!ks->syms || km_hash_init(&ks->by_name, n))
		return -ENOMEM;
	for (i = 1; i < n; i++) {
		struct km_ksym *k = &ks->syms[ks->nr_syms];
		const char *name;
		GElf_Sym s;

		if (!gelf_getsym(d, (int)i, &s))
			return -EINVAL;
		name = elf_strptr(ks->elf, sh.sh_link, s.st_name);
		if (!name)
			continue;
		if (GELF_ST_TYPE(s.st_info) == STT_FILE) {
			file = name;
			continue;
		}
		if (!in_kallsyms(&s, name))
			continue;
		k->name = name;
		k->addr = s.st_value;
		k->size = s.st_size;
		k->type = GELF_ST_TYPE(s.st_info);
		k->bind = GELF_ST_BIND(s.st_info);
		k->file = k->bind == STB_LOCAL ? file : NULL;
		if (km_hash_add(&ks->by_name, k->name, k))
			return -ENOMEM;
		ks->nr_syms++;
	}
	return 0;
}

/* The last field of a Module.symvers line ("EXPORT_SYMBOL_GPL\tCXL"). */
static int add_namespace(struct km_ksyms *ks, const char *name, char *rest)
{
	char *ns = rest ? strchr(rest, '\t') : NULL;

	if (!ns || !*++ns)
		return 0;
	ns[strcspn(ns, "\t\r")] = '\0';
	return km_hash_add(&ks->namespace_of, name, ns);
}

/* Module.symvers: "0xcrc\tname\tvmlinux\tEXPORT_SYMBOL[_GPL]\tnamespace" */
static int read_symvers(struct km_ctx *ctx, struct km_ksyms *ks,
			const char *path)
{
	struct km_buf b = KM_BUF_INIT;
	char *line, *save = NULL;
	int ret = km_read_file(path, &b);

	if (ret) {
		km_err(ctx, "cannot read '%s': %s", path, strerror(-ret));
		return ret;
	}
	ks->symvers_text = km_buf_detach(&b);
	if (!ks->symvers_text || km_hash_init(&ks->exported, 32768) ||
	    km_hash_init(&ks->mod_exports, 32768) ||
	    km_hash_init(&ks->namespace_of, 256))
		return -ENOMEM;
	for (line = strtok_r(ks->symvers_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = strchr(line, '\t'), *mod, *end;

		if (!name)
			continue;
		name++;
		mod = strchr(name, '\t');
		if (!mod)
			continue;
		*mod++ = '\0';
		end = strchr(mod, '\t');
		if (end)
			*end = '\0';
		if (!strcmp(mod, "vmlinux") ? km_hash_add(&ks->exported, name, name)
					    : km_hash_add(&ks->mod_exports, name, mod))
			return -ENOMEM;
		ret = add_namespace(ks, name, end ? end + 1 : NULL);
		if (ret)
			return ret;
	}
	return 0;
}

int km_ksyms_load(struct km_ctx *ctx, const char *vmlinux,
		  const char *symvers, struct km_ksyms *ks)
{
	int ret;

	memset(ks, 0, sizeof(*ks));
	ks->fd = -1;
	ks->vmlinux = strdup(vmlinux);
	if (!ks->vmlinux)
		return -ENOMEM;
	elf_version(EV_CURRENT);
	ks->fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	if (ks->fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot open '%s': %s", vmlinux, strerror(errno));
		goto fail;
	}
	ks->elf = elf_begin(ks->fd, ELF_C_READ_MMAP, NULL);
	if (!ks->elf || elf_kind(ks->elf) != ELF_K_ELF) {
		km_err(ctx, "cannot read '%s': not an ELF file", vmlinux);
		ret = -EINVAL;
		goto fail;
	}
	ret = read_vmlinux_symbols(ctx, ks);
	if (!ret)
		ret = read_symvers(ctx, ks, symvers);
	if (!ret)
		return 0;
fail:
	km_ksyms_release(ks);
	return ret;
}

void km_ksyms_release(struct km_ksyms *ks)
{
	km_hash_release(&ks->by_name);
	km_hash_release(&ks->exported);
	km_hash_release(&ks->mod_exports);
	km_hash_release(&ks->namespace_of);
	free(ks->syms);
	free(ks->symvers_text);
	if (ks->elf)
		elf_end(ks->elf);
	if (ks->fd >= 0)
		close(ks->fd);
	free(ks->vmlinux);
	memset(ks, 0, sizeof(*ks));
	ks->fd = -1;
}

bool km_ksyms_is_exported(const struct km_ksyms *ks, const char *name)
{
	return km_hash_get(&ks->exported, name) != NULL;
}

const char *km_ksyms_exporting_module(const struct km_ksyms *ks,
				      const char *name)
{
	return km_hash_get(&ks->mod_exports, name);
}

const char *km_ksyms_namespace(const struct km_ksyms *ks, const char *name)
{
	return km_hash_get(&ks->namespace_of, name);
}

int km_ksyms_note_namespace(const struct km_ksyms *ks, struct km_hash *set,
			    const char *name)
{
	const char *ns = km_ksyms_namespace(ks, name);

	if (!ns || !set || km_hash_get(set, ns))
		return 0;
	return km_hash_add(set, ns, (void *)ns);
}

/* Adds the namespace of exported symbol name to the resolver's set. */
static int note_namespace(struct km_ksym_resolver *r, const char *name)
{
	return km_ksyms_note_namespace(r->ks, r->namespaces, name);
}

static bool is_same_scope(const struct km_ksym *k, const char *file,
			  const struct kelf_sym *sym)
{
	if (sym->bind != STB_LOCAL)
		return k->bind != STB_LOCAL;
	return k->bind == STB_LOCAL && k->file && file && !strcmp(k->file, file);
}

/*
 * Sizes tell apart same-named statics of same-named files; they are only a
 * tie-breaker: code compiled with -ffunction-sections may have longer jumps
 * than the linked kernel, so a size that differs proves nothing.
 */
static bool is_same_size(const struct km_ksym *k, const struct kelf_sym *sym)
{
	return !sym->sec || !sym->sym.st_size || k->size == sym->sym.st_size;
}

/* Among same-scope candidates, the one of the same size, if only one. */
static const struct km_ksym *only_same_size(const struct km_ksyms *ks,
					    const char *file,
					    const struct kelf_sym *sym,
					    size_t *candidates)
{
	const struct km_ksym *mine = NULL;
	struct km_hash_entry *e;
	size_t n = 0;

	km_hash_for_each_key(&ks->by_name, sym->name, e) {
		const struct km_ksym *k = e->value;

		if (is_same_scope(k, file, sym) && is_same_size(k, sym)) {
			n++;
			mine = k;
		}
	}
	if (n == 1)
		*candidates = 1;
	return mine;
}

bool km_ksyms_is_overridden(const struct km_ksyms *ks,
			    const struct kelf_sym *sym)
{
	struct km_hash_entry *e;

	if (sym->bind != STB_WEAK)
		return false;
	km_hash_for_each_key(&ks->by_name, sym->name, e) {
		const struct km_ksym *k = e->value;

		if (k->bind == STB_GLOBAL)
			return true;
	}
	return false;
}

int km_ksyms_sympos(struct km_ctx *ctx, const struct km_ksyms *ks,
		    const char *file, const struct kelf_sym *sym,
		    unsigned long *pos)
{
	const struct km_ksym *mine = NULL;
	struct km_hash_entry *e;
	size_t count = 0, candidates = 0, before = 0;

	km_hash_for_each_key(&ks->by_name, sym->name, e) {
		const struct km_ksym *k = e->value;

		count++;
		if (is_same_scope(k, file, sym)) {
			candidates++;
			mine = k;
		}
	}
	if (candidates > 1)
		mine = only_same_size(ks, file, sym, &candidates);
	if (!count) {
		km_err(ctx, "'%s' (from %s) is not in the symbol table of '%s': "
		       "the source does not match this kernel, or the symbol "
		       "was optimized away in it", sym->name, file ? file : "?",
		       ks->vmlinux);
		return -ENOENT;
	}
	if (!candidates) {
		km_err(ctx, "'%s' of %s is not among the %zu symbols of that "
		       "name in '%s': the source does not match this kernel",
		       sym->name, file ? file : "?", count, ks->vmlinux);
		return -ENOENT;
	}
	if (candidates > 1) {
		km_err(ctx, "cannot tell which of the %zu symbols named '%s' in "
		       "'%s' is the one of %s", count, sym->name, ks->vmlinux,
		       file ? file : "this object");
		return -ENOENT;
	}
	if (count == 1) {
		*pos = 0;
		return 0;
	}
	/* kallsyms lists symbols by address */
	km_hash_for_each_key(&ks->by_name, sym->name, e) {
		const struct km_ksym *k = e->value;

		if (k->addr < mine->addr || (k->addr == mine->addr && k < mine))
			before++;
	}
	*pos = before + 1;
	return 0;
}

int km_ksyms_resolve(void *data, const struct kelf_sym *sym, char **name,
		     bool *klp)
{
	struct km_ksym_resolver *r = data;
	unsigned long pos;
	int ret;

	if (sym->bind != STB_LOCAL &&
	    (km_ksyms_is_exported(r->ks, sym->name) ||
	     (!sym->sec && r->patch_globals &&
	      km_hash_get(r->patch_globals, sym->name)))) {
		if (note_namespace(r, sym->name))
			return -ENOMEM;
		*klp = false;
		*name = strdup(sym->name);
		return *name ? 0 : -ENOMEM;
	}
	ret = km_ksyms_sympos(r->ctx, r->ks, r->file, sym, &pos);
	if (ret)
		return ret;
	*klp = true;
	*name = km_strfmt(".klp.sym.vmlinux.%s,%lu", sym->name, pos);
	return *name ? 0 : -ENOMEM;
}

const char *km_object_source_file(const struct kelf *e)
{
	struct kelf_sym *s;

	for_each_sym(e, s)
		if (s->type == STT_FILE)
			return s->name;
	return NULL;
}
