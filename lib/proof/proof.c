// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "arch_insn.h"
#include "proof.h"
#include "runpre.h"
#include "util.h"

int km_proof_init(struct km_proof *p, struct km_ctx *ctx,
		  const struct km_ksyms *ks, const char *krel)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->ks = ks;
	p->krel = krel;
	return km_hash_init(&p->seen, 64) ? -ENOMEM : 0;
}

static void free_seen_keys(struct km_hash *h)
{
	size_t i;

	for (i = 0; i < h->nr_buckets; i++) {
		const struct km_hash_entry *e;

		for (e = h->buckets[i]; e; e = e->next)
			free(e->value);
	}
}

void km_proof_release(struct km_proof *p)
{
	size_t i;

	for (i = 0; i < p->nr_funcs; i++) {
		free(p->funcs[i].object);
		free(p->funcs[i].name);
		free(p->funcs[i].code);
		free(p->funcs[i].mask);
	}
	free(p->funcs);
	free_seen_keys(&p->seen);
	km_hash_release(&p->seen);
	free(p->kernel_cc);
	free(p->host_cc);
	memset(p, 0, sizeof(*p));
}

/* ---- the compiler ------------------------------------------------------ */

/* "(Debian 12.2.0-14+deb12u1) 12.2.0" of any of the three spellings. */
static const char *cc_version(const char *text)
{
	const char *paren = text ? strchr(text, '(') : NULL;

	return paren ? paren : text;
}

static char *vmlinux_comment(const struct km_ksyms *ks)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(ks->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(ks->elf, scn))) {
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(ks->elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".comment"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_size)
			return NULL;
		/* "GCC: (Debian ...) 12.2.0" first: the kernel's own objects */
		return strndup((const char *)d->d_buf + 1, d->d_size - 1);
	}
	return NULL;
}

static char *config_cc(struct km_ctx *ctx, const char *config)
{
	struct km_buf b = KM_BUF_INIT;
	const char *key = "CONFIG_CC_VERSION_TEXT=\"";
	char *at, *value = NULL;

	if (km_read_file(config, &b))
		return NULL;
	at = strstr(b.buf, key);
	if (at) {
		at += strlen(key);
		value = strndup(at, strcspn(at, "\"\n"));
	}
	km_buf_release(&b);
	(void)ctx;
	return value;
}

static char *host_cc(struct km_ctx *ctx)
{
	char *argv[] = { "gcc", "--version", NULL };
	struct km_buf out = KM_BUF_INIT;
	char *line = NULL;

	if (!km_run(ctx, NULL, argv, NULL, &out) && out.buf)
		line = strndup(out.buf, strcspn(out.buf, "\n"));
	km_buf_release(&out);
	return line;
}

int km_proof_compilers(struct km_proof *p, const char *config)
{
	char *conf = config ? config_cc(p->ctx, config) : NULL;
	const char *kernel;

	p->kernel_cc = vmlinux_comment(p->ks);
	p->host_cc = host_cc(p->ctx);
	kernel = p->kernel_cc ? p->kernel_cc : conf;
	if (!kernel || !p->host_cc) {
		km_warn(p->ctx, "warning: cannot tell which compiler built %s "
			"(%s) or which one is here (%s): run-pre alone shows "
			"whether the code is the same", p->krel,
			kernel ? kernel : "no .comment in vmlinux, no "
			"CONFIG_CC_VERSION_TEXT", p->host_cc ? p->host_cc :
			"gcc --version failed");
	} else if (strcmp(cc_version(kernel), cc_version(p->host_cc)) ||
		   (conf && strcmp(cc_version(conf), cc_version(p->host_cc)))) {
		km_warn(p->ctx, "warning: %s was built by '%s' (config: '%s'), "
			"and kmend compiles with '%s': code may differ; install "
			"the kernel's compiler", p->krel, kernel,
			conf ? conf : "?", p->host_cc);
	} else {
		km_info(p->ctx, "  compiler: %s, as %s's", p->host_cc, p->krel);
	}
	free(conf);
	return 0;
}

static bool compilers_differ(const struct km_proof *p)
{
	return p->kernel_cc && p->host_cc &&
	       strcmp(cc_version(p->kernel_cc), cc_version(p->host_cc));
}

/* ---- masks of an object's function ------------------------------------- */

struct range {
	GElf_Addr start;
	size_t size;
};

static void mark(unsigned char *mask, const struct range *f, GElf_Addr at,
		 size_t len, enum km_mask_kind kind)
{
	GElf_Addr i;

	for (i = at; i < at + len; i++)
		if (i >= f->start && i < f->start + f->size)
			mask[i - f->start] = (unsigned char)kind;
}

static bool is_fentry(const struct kelf_rela *r)
{
	return r->sym && !strcmp(r->sym->name, "__fentry__");
}

static void mark_relocations(const struct kelf_sec *sec, const struct range *f,
			     unsigned char *mask)
{
	const struct kelf_rela *r;

	for_each_rela(sec, r) {
		if (r->offset + 8 < f->start || r->offset >= f->start + f->size)
			continue;
		if (is_fentry(r) && r->offset >= 1)
			mark(mask, f, r->offset - 1, 5, KM_MASK_FENTRY);
		else if (!mask[r->offset >= f->start ? r->offset - f->start : 0] ||
			 r->offset < f->start)
			mark(mask, f, r->offset, arch_reloc_width(r->type),
			     KM_MASK_RELOC);
	}
}

/* The kind of site a special section names, for the file or the kernel. */
static enum km_mask_kind site_kind(const char *section, bool live)
{
	static const struct { const char *name; enum km_mask_kind kind; } k[] = {
		{ "__jump_table", KM_MASK_JUMP_LABEL },
		{ ".altinstructions", KM_MASK_ALTERNATIVE },
		{ ".parainstructions", KM_MASK_PARAVIRT },
		{ ".retpoline_sites", KM_MASK_RETPOLINE },
		{ ".return_sites", KM_MASK_RETURN },
		{ ".static_call_sites", KM_MASK_STATIC_CALL },
		{ ".ibt_endbr_seal", KM_MASK_ENDBR },
	};
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (!strcmp(k[i].name, section))
			return live || k[i].kind == KM_MASK_JUMP_LABEL ?
			       k[i].kind : KM_MASK_NONE;
	return KM_MASK_NONE;
}

/* How many bytes a site covers: its table says so, or one instruction. */
static size_t site_length(const struct kelf_sec *table, size_t entry,
			  enum km_mask_kind kind, const unsigned char *code,
			  size_t left)
{
	struct arch_insn insn;

	if (kind == KM_MASK_ALTERNATIVE && table->data &&
	    entry + 11 <= table->size)
		return table->data[entry + 10];
	if (kind == KM_MASK_PARAVIRT && table->data && entry + 10 <= table->size)
		return table->data[entry + 9];
	if (arch_insn_decode(code, left, &insn))
		return 1;
	return insn.len;
}

static void mark_sites(const struct kelf *e, const struct kelf_sec *sec,
		       const struct range *f, unsigned char *mask, bool live)
{
	const struct kelf_sec *t;

	for_each_sec(e, t) {
		enum km_mask_kind kind = site_kind(t->name, live);
		const struct arch_special *sp = arch_special_section(t->name);
		const struct kelf_rela *r;

		if (!kind || !sp)
			continue;
		for_each_rela(t, r) {
			GElf_Addr site;

			if (r->offset % sp->entsize || !r->sym ||
			    r->sym->sec != sec)
				continue;
			site = (r->sym->type == STT_SECTION ? 0 :
				r->sym->sym.st_value) + (GElf_Addr)r->addend;
			if (site < f->start || site >= f->start + f->size)
				continue;
			mark(mask, f, site,
			     site_length(t, r->offset, kind, sec->data + site,
					 f->start + f->size - site), kind);
		}
	}
}

static unsigned char *object_mask(const struct kelf *e,
				  const struct kelf_sym *sym, bool live)
{
	struct range f = { sym->sym.st_value, sym->sym.st_size };
	unsigned char *mask = calloc(f.size + 1, 1);

	if (!mask)
		return NULL;
	mark_sites(e, sym->sec, &f, mask, live);
	mark_relocations(sym->sec, &f, mask);
	return mask;
}

/* ---- the target's code ------------------------------------------------- */

static int read_vmlinux_code(const struct km_ksyms *ks, GElf_Addr addr,
			     size_t size, unsigned char *buf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ks->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    addr < sh.sh_addr || addr + size > sh.sh_addr + sh.sh_size)
			continue;
		if (pread(ks->fd, buf, size, (off_t)(sh.sh_offset + addr -
						     sh.sh_addr)) != (ssize_t)size)
			return -EIO;
		return 0;
	}
	return -ENOENT;
}

/* One side of the comparison: the kernel's code, owned. */
struct target {
	const char *where;	/* vmlinux's or the .ko's path */
	unsigned long pos;
	unsigned char *bytes;
	unsigned char *mask;	/* relocations of a .ko; NULL for vmlinux */
	size_t size;
};

static int vmlinux_target(struct km_proof *p, const struct kelf_sym *sym,
			  const char *file, struct target *t)
{
	const struct km_ksym *k = km_ksyms_find(p->ctx, p->ks, file, sym,
						&t->pos);

	if (!k)
		return -KM_EUNPATCHABLE;
	t->where = p->ks->vmlinux;
	t->size = k->size;
	t->bytes = malloc(t->size + 1);
	if (!t->bytes)
		return -ENOMEM;
	if (read_vmlinux_code(p->ks, k->addr, k->size, t->bytes)) {
		km_err(p->ctx, "cannot read the code of '%s' (0x%lx, %zu bytes) "
		       "in '%s'", sym->name, (unsigned long)k->addr, t->size,
		       p->ks->vmlinux);
		return -EIO;
	}
	return 0;
}

static int module_target(struct km_proof *p, const struct km_module *m,
			 const struct kelf_sym *sym, struct target *t)
{
	const struct kelf_sym *k;
	struct range f;
	int ret = km_module_sympos(p->ctx, m, sym, &t->pos);

	if (ret)
		return ret;
	k = km_module_symbol(m, sym->name, t->pos);
	if (!k || !k->sec || !k->sec->data ||
	    k->sym.st_value + k->sym.st_size > k->sec->size)
		return -KM_EUNPATCHABLE;
	t->where = m->path;
	t->size = k->sym.st_size;
	t->bytes = malloc(t->size + 1);
	t->mask = calloc(t->size + 1, 1);
	if (!t->bytes || !t->mask)
		return -ENOMEM;
	memcpy(t->bytes, k->sec->data + k->sym.st_value, t->size);
	f.start = k->sym.st_value;
	f.size = t->size;
	mark_relocations(k->sec, &f, t->mask);
	return 0;
}

/* ---- the verdict ------------------------------------------------------- */

static const char *likely_cause(const struct km_proof *p)
{
	return compilers_differ(p) ?
	       "the compiler differs from the kernel's (see the warning "
	       "above): install the kernel's compiler" :
	       "the source is not the one this kernel was built from (another "
	       "version or Debian revision: give the matching linux-source "
	       "with -s), or the configuration differs";
}

static void report(struct km_proof *p, const struct kelf_sym *sym,
		   const char *source, const char *role, const struct target *t,
		   const struct km_code *a, const struct km_code_diff *d)
{
	char ha[64], hb[64];

	km_code_hex(a->bytes + d->a_off, d->a_len, ha, sizeof(ha));
	km_code_hex(t->bytes + d->b_off, d->b_len, hb, sizeof(hb));
	km_err(p->ctx, "cannot live patch: run-pre: '%s' (%s, from %s) is not "
	       "the code %s runs: at %s+0x%zx the pristine build has %s%s%s "
	       "(%zu byte%s) and '%s' has at %s+0x%zx %s%s%s (%zu byte%s): %s; "
	       "likely cause: %s", sym->name, role, source, p->krel, sym->name,
	       d->a_off, d->a_len ? "[" : "", d->a_len ? ha : "nothing",
	       d->a_len ? "]" : "", d->a_len, d->a_len == 1 ? "" : "s",
	       t->where, sym->name, d->b_off, d->b_len ? "[" : "",
	       d->b_len ? hb : "nothing", d->b_len ? "]" : "", d->b_len,
	       d->b_len == 1 ? "" : "s", d->what, likely_cause(p));
}

/* The object's live mask carried over to the target's offsets. */
static void map_mask(const unsigned char *amask, size_t asize, const long *map,
		     struct target *t, unsigned char *out)
{
	size_t i, j, k;

	if (t->mask)
		memcpy(out, t->mask, t->size);
	for (i = 0; i < asize; i = j) {
		long b = map[i], bend;

		for (j = i + 1; j < asize && map[j] < 0; j++)
			;
		bend = map[j];
		if (b < 0 || bend < b)
			continue;
		for (k = i; k < j; k++) {
			if (!amask[k])
				continue;
			if ((long)(j - i) == bend - b)
				out[b + (long)(k - i)] = amask[k];
			else
				memset(out + b, amask[k], (size_t)(bend - b));
		}
	}
}

static int record(struct km_proof *p, const char *object, const char *name,
		  const char *role, struct target *t, unsigned char *mask)
{
	struct km_proof_func *f;
	void *n = realloc(p->funcs, (p->nr_funcs + 1) * sizeof(*p->funcs));

	if (!n)
		return -ENOMEM;
	p->funcs = n;
	f = &p->funcs[p->nr_funcs++];
	memset(f, 0, sizeof(*f));
	f->object = strdup(object);
	f->name = strdup(name);
	f->sympos = t->pos;
	f->role = role;
	f->size = t->size;
	f->code = t->bytes;
	f->mask = mask;
	t->bytes = NULL;
	return f->object && f->name ? 0 : -ENOMEM;
}

static int compare(struct km_proof *p, const struct kelf *e,
		   const struct kelf_sym *sym, const char *object,
		   const char *role, struct target *t)
{
	struct km_code a = { e ? sym->sec->data + sym->sym.st_value : NULL,
			     sym->sym.st_size, object_mask(e, sym, false) };
	struct km_code b = { t->bytes, t->size, t->mask };
	unsigned char *live = object_mask(e, sym, true);
	unsigned char *out = calloc(t->size + 1, 1);
	long *map = malloc((a.size + 1) * sizeof(*map));
	struct km_code_diff d;
	int ret = a.mask && live && out && map ? 0 : -ENOMEM;

	if (!ret)
		ret = km_code_compare(&a, &b, &d, map);
	if (ret == 1) {
		report(p, sym, km_object_source_file(e) ?
		       km_object_source_file(e) : e->path, role, t, &a, &d);
		p->nr_refused++;
		ret = -KM_EUNPATCHABLE;
	}
	if (!ret) {
		map_mask(live, a.size, map, t, out);
		ret = record(p, object, sym->name, role, t, out);
		out = NULL;
	}
	free(a.mask);
	free(live);
	free(out);
	free(map);
	return ret;
}

static bool seen_before(struct km_proof *p, const char *object,
			const struct kelf_sym *sym)
{
	char *key = km_strfmt("%s:%s:%lx", object, sym->name,
			      (unsigned long)sym->sym.st_value);

	if (!key || km_hash_get(&p->seen, key)) {
		free(key);
		return true;
	}
	if (km_hash_add(&p->seen, key, key)) {
		free(key);
		return true;
	}
	return false;
}

int km_proof_check(struct km_proof *p, const struct kelf *e,
		   const struct kelf_sym *sym, const char *file,
		   const struct km_module *m, const char *role)
{
	const char *object = m ? m->name : "vmlinux";
	struct target t = { 0 };
	int ret;

	if (!sym->sec || !sym->sec->data || !sym->sym.st_size ||
	    sym->sym.st_value + sym->sym.st_size > sym->sec->size)
		return 0;
	if (seen_before(p, object, sym))
		return 0;
	ret = m ? module_target(p, m, sym, &t) :
		  vmlinux_target(p, sym, file, &t);
	if (ret == -KM_EUNPATCHABLE || (ret == -ENOENT && !m))
		p->nr_refused++;
	if (!ret)
		ret = compare(p, e, sym, object, role, &t);
	else if (ret == -ENOENT)
		ret = -KM_EUNPATCHABLE;
	free(t.bytes);
	free(t.mask);
	return ret;
}

/* ---- the record in the module ------------------------------------------ */

static int add_func_record(struct km_buf *b, const struct km_proof_func *f)
{
	size_t i, j;
	int ret = km_buf_addf(b, "func %s %s %lu %s %zu ", f->object, f->name,
			      f->sympos, f->role, f->size);

	for (i = 0; !ret && i < f->size; i++)
		ret = km_buf_addf(b, "%02x", f->code[i]);
	if (!ret)
		ret = km_buf_adds(b, "\n");
	for (i = 0; !ret && i < f->size; i = j) {
		for (j = i + 1; j < f->size && f->mask[j] == f->mask[i]; j++)
			;
		if (f->mask[i])
			ret = km_buf_addf(b, "mask %zu %zu %s\n", i, j - i,
					  km_mask_name(f->mask[i]));
	}
	return ret;
}

int km_proof_write_object(struct km_proof *p, const struct kelf *like,
			  const char *path)
{
	struct km_buf b = KM_BUF_INIT;
	struct kelf_out *o = kelf_out_new(&like->eh);
	GElf_Shdr sh = { .sh_type = SHT_PROGBITS, .sh_addralign = 1 };
	size_t i;
	int ret = o ? km_buf_adds(&b, "kmend-proof 1\n") : -ENOMEM;

	for (i = 0; !ret && i < p->nr_funcs; i++)
		ret = add_func_record(&b, &p->funcs[i]);
	if (!ret && !kelf_out_add_section(o, KM_PROOF_SECTION, &sh, b.buf,
					  b.len))
		ret = -ENOMEM;
	if (!ret)
		ret = kelf_out_write(p->ctx, o, path);
	km_buf_release(&b);
	if (o)
		kelf_out_free(o);
	return ret;
}
