// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "kmodule.h"
#include "util.h"

char *km_module_name_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *name = strdup(slash ? slash + 1 : path), *p;

	if (name && (p = strstr(name, ".ko")))
		*p = '\0';
	for (p = name; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

/* The module's path in modules.dep ("kernel/fs/binfmt_misc.ko"), or NULL. */
static char *find_in_modules_dep(const char *dep, const char *name)
{
	const char *line = dep;

	while (line && *line) {
		size_t len = strcspn(line, "\n");
		size_t first = strcspn(line, ":");

		if (first < len && km_path_names_module(line, first, name))
			return strndup(line, first);
		line += len + (line[len] == '\n');
	}
	errno = ENOENT;
	return NULL;
}

/* The tree has its modules, only not their index (depmod never ran). */
static bool has_modules(const char *modules_dir)
{
	char *kernel = km_strfmt("%s/kernel", modules_dir);
	bool yes = kernel && km_is_dir(kernel);

	free(kernel);
	return yes;
}

static int find_ko(struct km_ctx *ctx, const char *modules_dir,
		   struct km_module *m, const char *source)
{
	struct km_buf dep = KM_BUF_INIT;
	char *path = km_strfmt("%s/modules.dep", modules_dir), *rel = NULL;
	int ret = path ? km_read_file(path, &dep) : -ENOMEM;

	if (ret == -ENOENT && has_modules(modules_dir))
		km_err(ctx, "cannot live patch %s: it is built into module "
		       "'%s', and the module tree '%s' has no modules.dep: "
		       "make it with depmod (for a kernel in kmend's cache, "
		       "'kmend fetch KREL' does)", source, m->name, modules_dir);
	else if (ret && ret != -ENOMEM)
		km_err(ctx, "cannot live patch %s: it is built into module "
		       "'%s', and '%s' cannot be read (%s): install the "
		       "kernel's image package, which has its modules",
		       source, m->name, path, strerror(-ret));
	if (!ret && !(rel = find_in_modules_dep(dep.buf, m->name))) {
		km_err(ctx, "cannot live patch %s: it is built into module "
		       "'%s', which %s does not list: the module tree does not "
		       "match the source's configuration", source, m->name,
		       path);
		ret = -KM_EUNPATCHABLE;
	}
	if (!ret) {
		m->path = km_strfmt("%s/%s", modules_dir, rel);
		ret = m->path ? 0 : -ENOMEM;
	}
	if (!ret && !km_is_file(m->path)) {
		km_err(ctx, "cannot live patch %s: module '%s' has no file '%s': "
		       "reinstall the kernel's image package", source, m->name,
		       m->path);
		ret = -KM_EUNPATCHABLE;
	}
	km_buf_release(&dep);
	free(path);
	free(rel);
	return ret == -ENOENT ? -KM_EUNPATCHABLE : ret;
}

static int index_symbols(struct km_ctx *ctx, struct km_module *m,
			 const char *source)
{
	struct kelf_sym *s;
	size_t named = 0;

	if (km_hash_init(&m->by_name, m->ko->nr_syms + 1))
		return -ENOMEM;
	for_each_sym(m->ko, s) {
		if (!*s->name || s->sym.st_shndx == SHN_UNDEF)
			continue;
		if (km_hash_add(&m->by_name, s->name, s))
			return -ENOMEM;
		named++;
	}
	if (named)
		return 0;
	km_err(ctx, "cannot live patch %s: module '%s' ('%s') has no symbol "
	       "table, so kmend cannot tell where its functions are: use the "
	       "module as the kernel's package installs it (not stripped)",
	       source, m->name, m->path);
	return -KM_EUNPATCHABLE;
}

int km_module_open(struct km_ctx *ctx, const char *modules_dir,
		   const char *name, const char *source, struct km_module *m)
{
	int ret;

	memset(m, 0, sizeof(*m));
	if (!modules_dir) {
		km_err(ctx, "cannot live patch %s: it is built into module "
		       "'%s', and the kernel's modules are not installed: "
		       "install the kernel's image package", source, name);
		return -KM_EUNPATCHABLE;
	}
	m->name = km_module_name_of(name);
	if (!m->name)
		return -ENOMEM;
	ret = find_ko(ctx, modules_dir, m, source);
	if (!ret) {
		m->ko = kelf_open(ctx, m->path);
		ret = m->ko ? 0 : -errno;
	}
	if (!ret)
		ret = index_symbols(ctx, m, source);
	if (ret)
		km_module_release(m);
	return ret;
}

void km_module_release(struct km_module *m)
{
	km_hash_release(&m->by_name);
	if (m->ko)
		kelf_free(m->ko);
	free(m->name);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

/* Section names the module loader keeps only while the module's init runs. */
static bool is_init_section(const struct kelf_sec *sec)
{
	return km_starts_with(sec->name, ".init");
}

/* What the module's kallsyms keeps once its init has run (is_core_symbol). */
static bool is_core_symbol(const struct kelf_sym *s)
{
	if (!s->sec)
		return false;
	if (!(s->sec->sh.sh_flags & SHF_ALLOC))
		return false;
	return !is_init_section(s->sec);
}

static bool is_same_kind(const struct kelf_sym *k, const struct kelf_sym *sym)
{
	if ((sym->bind == STB_LOCAL) != (k->bind == STB_LOCAL))
		return false;
	return sym->type == STT_NOTYPE || k->type == sym->type;
}

static bool is_same_size(const struct kelf_sym *k, const struct kelf_sym *sym)
{
	return !sym->sec || !sym->sym.st_size ||
	       k->sym.st_size == sym->sym.st_size;
}

/*
 * The module's symbol for sym: the one same-named symbol of its kind, or
 * among several, the one of its size.  NULL, with *count the candidates,
 * when there is none or more than one.
 */
static const struct kelf_sym *find_twin(const struct km_module *m,
					const struct kelf_sym *sym,
					size_t *count)
{
	const struct kelf_sym *mine = NULL, *sized = NULL;
	struct km_hash_entry *e;
	size_t n = 0, n_sized = 0;

	km_hash_for_each_key(&m->by_name, sym->name, e) {
		const struct kelf_sym *k = e->value;

		if (!is_same_kind(k, sym))
			continue;
		n++;
		mine = k;
		if (is_same_size(k, sym)) {
			n_sized++;
			sized = k;
		}
	}
	*count = n;
	if (n == 1)
		return mine;
	return n_sized == 1 ? sized : NULL;
}

/* Position of k among the same-named symbols the kernel counts. */
static unsigned long position_of(const struct km_module *m,
				 const struct kelf_sym *k, bool core,
				 size_t *total)
{
	struct km_hash_entry *e;
	unsigned long before = 0;

	*total = 0;
	km_hash_for_each_key(&m->by_name, k->name, e) {
		const struct kelf_sym *o = e->value;

		if (core && !is_core_symbol(o))
			continue;
		(*total)++;
		if (o->index < k->index)
			before++;
	}
	return before + 1;
}

int km_module_sympos(struct km_ctx *ctx, const struct km_module *m,
		     const struct kelf_sym *sym, unsigned long *pos)
{
	size_t count = 0, n_full, n_core;
	const struct kelf_sym *k = find_twin(m, sym, &count);
	unsigned long full, core;

	if (!k && !count) {
		km_err(ctx, "cannot live patch module '%s': '%s' is not in the "
		       "symbol table of '%s': the source does not match the "
		       "module, or the symbol was optimized away in it",
		       m->name, sym->name, m->path);
		return -KM_EUNPATCHABLE;
	}
	if (!k) {
		km_err(ctx, "cannot live patch module '%s': it has %zu symbols "
		       "named '%s', and kmend cannot tell which one the fix "
		       "means", m->name, count, sym->name);
		return -KM_EUNPATCHABLE;
	}
	full = position_of(m, k, false, &n_full);
	core = position_of(m, k, true, &n_core);
	if (!is_core_symbol(k) || full != core ||
	    (n_full == 1) != (n_core == 1)) {
		km_err(ctx, "cannot live patch module '%s': '%s' %s: the kernel "
		       "would find another symbol when the module is loaded "
		       "before the patch than after it", m->name, sym->name,
		       is_core_symbol(k) ? "has a same-named symbol in the "
		       "module's init code" : "is init code or not loaded");
		return -KM_EUNPATCHABLE;
	}
	*pos = n_core == 1 ? 0 : core;
	return 0;
}

const struct kelf_sym *km_module_symbol(const struct km_module *m,
					const char *name, unsigned long pos)
{
	struct km_hash_entry *e;
	size_t total;

	km_hash_for_each_key(&m->by_name, name, e) {
		const struct kelf_sym *o = e->value;

		if (!is_core_symbol(o))
			continue;
		if (!pos || position_of(m, o, true, &total) == pos)
			return o;
	}
	return NULL;
}

/* ---- resolving the references of a module's patched code -------------- */

static int klp_name(char **name, const char *obj, const char *sym,
		    unsigned long pos)
{
	*name = km_strfmt(".klp.sym.%s.%s,%lu", obj, sym, pos);
	return *name ? 0 : -ENOMEM;
}

/* A symbol of a module the patched module uses: its exports. */
static int dep_name(char **name, const struct km_module *m, const char *dep,
		    const char *sym)
{
	char *depname = km_module_name_of(dep);

	if (!depname)
		return -ENOMEM;
	*name = km_strfmt(KLP_DEP_PREFIX "%s.%s.%s,0", m->name, depname, sym);
	free(depname);
	return *name ? 0 : -ENOMEM;
}

static bool is_global_of_module(const struct km_module *m, const char *name)
{
	struct km_hash_entry *e;

	km_hash_for_each_key(&m->by_name, name, e) {
		const struct kelf_sym *k = e->value;

		if (k->bind != STB_LOCAL)
			return true;
	}
	return false;
}

/*
 * An undefined symbol of the module's code: another file of the module,
 * the patch itself, vmlinux's exports or another module's.
 */
static int resolve_external(struct km_module_resolver *r,
			    const struct kelf_sym *sym, char **name, bool *klp)
{
	const char *exporter;

	*klp = true;
	if (is_global_of_module(r->m, sym->name))
		return klp_name(name, r->m->name, sym->name, 0);
	if (km_ksyms_is_exported(r->ks, sym->name) ||
	    (r->patch_globals && km_hash_get(r->patch_globals, sym->name))) {
		*klp = false;
		*name = strdup(sym->name);
		if (!*name)
			return -ENOMEM;
		return km_ksyms_note_namespace(r->ks, r->namespaces, sym->name);
	}
	exporter = km_ksyms_exporting_module(r->ks, sym->name);
	if (exporter)
		return dep_name(name, r->m, exporter, sym->name);
	km_err(r->ctx, "cannot live patch module '%s': %s uses '%s', which "
	       "neither the module, vmlinux's exports nor another module's "
	       "exports have", r->m->name, r->object, sym->name);
	return -KM_EUNPATCHABLE;
}

int km_module_resolve(void *data, const struct kelf_sym *sym, char **name,
		      bool *klp)
{
	struct km_module_resolver *r = data;
	unsigned long pos;
	int ret;

	if (!sym->sec)
		return resolve_external(r, sym, name, klp);
	ret = km_module_sympos(r->ctx, r->m, sym, &pos);
	if (ret)
		return ret;
	*klp = true;
	return klp_name(name, r->m->name, sym->name, pos);
}
