// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "author.h"
#include "compare.h"
#include "emit.h"
#include "identity.h"
#include "reloc.h"
#include "util.h"

struct emitter {
	struct km_diff *d;
	const struct km_resolver *res;
	const char *alias_prefix;
	struct kelf_out *o;
	struct kelf_out_sec **out_sec;	/* by patched section index */
	struct kelf_out_sym **out_secsym;
	size_t relocated;	/* output sections whose relocations are done */
	int refused;
};

/* Where a relocation of the patch points. */
struct out_target {
	struct kelf_out_sym *sym;
	GElf_Sxword addend;
	bool klp;
};

#define em_refuse(em, ...) do {			\
	km_err((em)->d->ctx, __VA_ARGS__);		\
	(em)->refused++;				\
} while (0)

int km_resolve_from_object(void *data, const struct kelf_sym *sym,
			   char **name, bool *klp)
{
	(void)data;
	*klp = sym->bind == STB_LOCAL;
	*name = *klp ? km_strfmt(".klp.sym.vmlinux.%s,0", sym->name)
		     : strdup(sym->name);
	return *name ? 0 : -ENOMEM;
}

static const char *patched_path(const struct emitter *em)
{
	return em->d->name;
}

/*
 * An output section shaped like sec (links cleared: the writer sets its
 * own), with data, and its section symbol in *secsym.
 */
static struct kelf_out_sec *add_section_like(struct emitter *em,
					     const struct kelf_sec *sec,
					     const void *data, size_t size,
					     struct kelf_out_sym **secsym)
{
	GElf_Shdr sh = sec->sh;
	struct kelf_out_sec *os;

	sh.sh_link = 0;
	sh.sh_info = 0;
	os = kelf_out_add_section(em->o, sec->name, &sh, data, size);
	if (!os)
		return NULL;
	*secsym = kelf_out_add_symbol(em->o, "", STB_LOCAL, STT_SECTION, os, 0, 0);
	return *secsym ? os : NULL;
}

/* Copies a section of the patched object into the output, once. */
static struct kelf_out_sec *include_section(struct emitter *em,
					    struct kelf_sec *sec)
{
	struct kelf_out_sec *os = em->out_sec[sec->index];

	if (os)
		return os;
	os = add_section_like(em, sec, sec->data, sec->size,
			      &em->out_secsym[sec->index]);
	if (!os)
		return NULL;
	os->priv = sec;
	em->out_sec[sec->index] = os;
	sec->include = true;
	return os;
}

/*
 * A function of a section it shares with others (__sched, .ref.text,
 * noinstr: an attribute names the section): its own bytes only, in an
 * output section of the same name, so the module carries none of the
 * other functions.
 */
static bool is_shared_text(const struct kelf_sec *sec)
{
	return kelf_is_text(sec) && !sec->func;
}

/* Code of several functions, not one's (.altinstr_replacement has none). */
static bool holds_functions(const struct kelf *e, const struct kelf_sec *sec)
{
	const struct kelf_sym *s;

	for_each_sym(e, s)
		if (s->sec == sec && s->type == STT_FUNC)
			return true;
	return false;
}

static struct kelf_out_sec *include_slice(struct emitter *em,
					  struct kelf_sym *func)
{
	struct kelf_sec *sec = func->sec;
	struct kelf_out_sym *secsym;
	struct kelf_out_sec *os;

	if (func->sym.st_value > sec->size ||
	    func->sym.st_size > sec->size - func->sym.st_value) {
		errno = EINVAL;
		return NULL;
	}
	os = add_section_like(em, sec, sec->data ? sec->data +
			      func->sym.st_value : NULL, func->sym.st_size,
			      &secsym);
	if (!os)
		return NULL;
	os->priv = sec;
	os->src_off = func->sym.st_value;
	sec->include = true;
	return os;
}

static struct kelf_out_sym *include_symbol(struct emitter *em,
					   struct kelf_sym *sym)
{
	struct kelf_out_sec *os;
	struct kelf_out_sym *out;

	if (sym->out)
		return sym->out;
	if (is_shared_text(sym->sec) && sym->type == STT_FUNC)
		os = include_slice(em, sym);
	else
		os = include_section(em, sym->sec);
	if (!os)
		return NULL;
	/* new globals keep their names: other files of the patch use them */
	out = kelf_out_add_symbol(em->o, sym->name,
				  sym->twin || sym->bind == STB_LOCAL ?
				  STB_LOCAL : STB_GLOBAL, sym->type, os,
				  sym->sym.st_value - os->src_off,
				  sym->sym.st_size);
	sym->out = out;
	sym->include = true;
	return out;
}

static bool is_writable(const struct kelf_sec *sec)
{
	return (sec->sh.sh_flags & SHF_WRITE) != 0;
}

/* A reference to a symbol that stays in the kernel. */
static int kernel_ref(struct emitter *em, const struct kelf_sym *sym,
		      GElf_Sxword addend, struct out_target *t)
{
	char *name = NULL;
	bool klp = false;
	int ret;

	ret = em->res->resolve(em->res->data, sym, &name, &klp);
	if (ret)
		return ret;
	t->sym = kelf_out_extern(em->o, name, STB_GLOBAL, STT_NOTYPE);
	free(name);
	if (!t->sym)
		return -ENOMEM;
	t->addend = addend;
	t->klp = klp;
	return 0;
}

static int local_ref(struct emitter *em, struct kelf_sym *sym,
		     GElf_Sxword addend, struct out_target *t)
{
	t->sym = include_symbol(em, sym);
	t->addend = addend;
	t->klp = false;
	return t->sym ? 0 : -ENOMEM;
}

static int section_ref(struct emitter *em, struct kelf_sec *sec,
		       GElf_Sxword addend, struct out_target *t)
{
	if (!include_section(em, sec))
		return -ENOMEM;
	t->sym = em->out_secsym[sec->index];
	t->addend = addend;
	t->klp = false;
	return 0;
}

/*
 * State that only paces diagnostics, which the new code may hold on its
 * own when the kernel's instance cannot be told apart: a once-only flag, a
 * pr_debug() site's descriptor, a printk_ratelimited() state (every
 * static named _rs in the kernel's headers is a DEFINE_RATELIMIT_STATE).
 */
static const char *diagnostic_state(const struct kelf_sym *sym)
{
	char *base;
	bool rs;

	if (km_section_kind(sym->sec) == KM_KIND_ONCE)
		return "a once-only flag";
	if (!strcmp(sym->sec->name, "__dyndbg"))
		return "a pr_debug() descriptor";
	if (sym->type != STT_OBJECT || km_section_kind(sym->sec) != KM_KIND_DATA)
		return NULL;
	base = km_base_name(sym->name);
	rs = base && !strcmp(base, "_rs");
	free(base);
	return rs ? "a rate limit state" : NULL;
}

static const char *diagnostic_effect(const struct kelf_sym *sym)
{
	if (km_section_kind(sym->sec) == KM_KIND_ONCE)
		return "the warning may show once more";
	if (!strcmp(sym->sec->name, "__dyndbg"))
		return "the new code's pr_debug() is switched on and off under "
		       "the live patch module's name in dynamic_debug/control";
	return "its rate limit starts afresh (a few more messages may show)";
}

/* A symbol of the patched object with no twin in the kernel. */
static int untwinned_target(struct emitter *em, struct kelf_sym *sym,
			    GElf_Sxword addend, struct out_target *t,
			    const char *where)
{
	enum km_sec_kind kind = km_section_kind(sym->sec);

	if (sym->moved)		/* refused by the differ already */
		return -KM_EUNPATCHABLE;
	/* an empty object holds no state: its own copy is the same thing */
	if (sym->ambiguous && !sym->sym.st_size && sym->type == STT_OBJECT)
		return local_ref(em, sym, addend, t);
	if (sym->ambiguous && diagnostic_state(sym)) {
		km_info(em->d->ctx, "    note: %s: '%s' is %s, and its twin in "
			"the kernel cannot be told apart: the module keeps its "
			"own, so %s", where, sym->name, diagnostic_state(sym),
			diagnostic_effect(sym));
		return local_ref(em, sym, addend, t);
	}
	if (sym->ambiguous) {
		em_refuse(em, "cannot live patch '%s': %s uses the static "
			  "variable '%s', and kmend cannot tell which of the "
			  "kernel's variables of that name it is (the functions "
			  "using it changed how many they have); give it a "
			  "distinct name or use a shadow variable",
			  patched_path(em), where, sym->name);
		return -KM_EUNPATCHABLE;
	}
	if (sym->type == STT_FUNC || km_kind_is_init(kind) ||
	    kind == KM_KIND_PERCPU) {
		em_refuse(em, "cannot live patch '%s': %s refers to new %s '%s' "
			  "(section %s), which a live patch cannot carry",
			  patched_path(em), where, km_kind_name(kind),
			  sym->name, sym->sec->name);
		return -KM_EUNPATCHABLE;
	}
	/* new data: the module holds it */
	return local_ref(em, sym, addend, t);
}

/*
 * A static of no size holds no state, only an address (a lockdep key of
 * mutex_init(): __key.N, of which vmlinux has dozens by that name): the
 * module's own is the same thing, and needs no kernel symbol.
 */
static bool is_empty_static(const struct kelf_sym *sym)
{
	return sym->type == STT_OBJECT && sym->bind == STB_LOCAL &&
	       !sym->sym.st_size && sym->sec &&
	       !km_kind_is_init(km_section_kind(sym->sec));
}

static int named_target(struct emitter *em, struct kelf_sym *sym,
			GElf_Sxword addend, struct out_target *t,
			const char *where)
{
	if (sym->include || km_is_carried_constant(sym) || is_empty_static(sym))
		return local_ref(em, sym, addend, t);
	if (sym->twin)
		return kernel_ref(em, sym->twin, addend, t);
	return untwinned_target(em, sym, addend, t, where);
}

/* Bytes without a symbol: literals and constants are copied. */
static int anonymous_target(struct emitter *em, struct kelf_sec *sec,
			    GElf_Sxword addend, struct out_target *t,
			    const char *where)
{
	if (is_shared_text(sec) && holds_functions(em->d->patched, sec)) {
		em_refuse(em, "cannot live patch '%s': %s refers to code of "
			  "section %s outside any function", patched_path(em),
			  where, sec->name);
		return -KM_EUNPATCHABLE;
	}
	if (!is_writable(sec))
		return section_ref(em, sec, addend, t);
	em_refuse(em, "cannot live patch '%s': %s refers to writable data "
		  "without a symbol in section %s (data the compiler laid out "
		  "in the kernel, which a live patch cannot name)",
		  patched_path(em), where, sec->name);
	return -KM_EUNPATCHABLE;
}

/*
 * A function the patch replaces: calls and jumps go straight to the new
 * code, but its address stays the kernel's, which livepatch redirects, so
 * that comparisons with pointers the kernel holds still hold, and no
 * pointer into the module outlives it.  A place inside the function (a
 * jump back from its .cold part or an alternative) is the new code's.
 */
static bool is_replaced(const struct kelf_sym *sym)
{
	return sym->type == STT_FUNC && sym->twin && sym->include &&
	       sym->status == KELF_CHANGED && !sym->copy &&
	       !strstr(sym->name, ".cold");
}

static int resolve_target(struct emitter *em, const struct kelf_sec *sec,
			  const struct kelf_rela *r, struct out_target *t,
			  const char *where)
{
	struct kelf_target kt;
	int ret;

	ret = kelf_target_of(em->d->ctx, em->d->patched, sec, r, &kt);
	if (ret)
		return ret;
	km_settle_boundary(em->d, em->d->patched, &kt);
	if (kelf_target_is_external(&kt))
		return kernel_ref(em, kt.sym, r->addend, t);
	if (kt.next) {
		em_refuse(em, "cannot live patch '%s': %s refers to the end of "
			  "'%s', where '%s' starts (section %s): kmend cannot "
			  "tell which of the two the code means", patched_path(em),
			  where, kt.sym->name, kt.next->name, kt.sec->name);
		return -KM_EUNPATCHABLE;
	}
	if (kt.sym && is_replaced(kt.sym) && !kt.off &&
	    !arch_is_branch(r->type) && !arch_special_section(sec->name))
		return kernel_ref(em, kt.sym->twin,
				  km_add_sat(kt.off, -kt.bias), t);
	if (kt.sym)
		return named_target(em, kt.sym, km_add_sat(kt.off, -kt.bias), t,
				    where);
	return anonymous_target(em, kt.sec, km_add_sat(kt.off, -kt.bias), t,
				where);
}

static int copy_relocations(struct emitter *em, struct kelf_out_sec *os)
{
	struct kelf_sec *sec = os->priv;
	struct kelf_rela *r;
	size_t n;
	int ret;

	/* the relocations of its bytes, for a slice of a shared section */
	r = kelf_relas_in(sec, os->src_off, os->src_off + os->size, &n);
	for (; n; n--, r++) {
		const struct kelf_sym *func = sec->func ? sec->func :
					      kelf_symbol_at(em->d->patched, sec,
							     r->offset);
		struct out_target t;
		char where[256];

		snprintf(where, sizeof(where), "%s+0x%lx",
			 func ? func->name : sec->name,
			 (unsigned long)(r->offset -
					 (func ? func->sym.st_value : 0)));
		ret = resolve_target(em, sec, r, &t, where);
		if (ret == -KM_EUNPATCHABLE)
			continue;
		if (ret)
			return ret;
		ret = kelf_out_add_rela(os, r->offset - os->src_off, r->type,
					t.sym, t.addend);
		if (ret)
			return ret;
	}
	return 0;
}

static int name_new_code(struct emitter *em)
{
	size_t i, n = 0;

	for (i = 0; i < em->d->nr_funcs; i++) {
		struct km_diff_func *f = &em->d->funcs[i];
		struct kelf_out_sym *alias, *out;

		if (!f->replaces)
			continue;
		f->alias = km_strfmt("%s%zu", em->alias_prefix, n++);
		if (!f->alias)
			return -ENOMEM;
		out = f->sym->out;
		alias = kelf_out_add_symbol(em->o, f->alias, STB_GLOBAL, STT_FUNC,
					    out->sec, out->value, out->size);
		if (!alias)
			return -ENOMEM;
	}
	return 0;
}

/* The klp_patch registers each callback by a global name of its own. */
static int name_callbacks(struct emitter *em)
{
	size_t i;

	for (i = 0; i < em->d->nr_callbacks; i++) {
		struct km_diff_callback *cb = &em->d->callbacks[i];
		struct kelf_out_sym *out = cb->sym->out;

		if (!out)
			return -EINVAL;	/* new code is always included */
		cb->alias = km_strfmt("%scb%zu", em->alias_prefix, i);
		if (!cb->alias)
			return -ENOMEM;
		/* out->value: call padding before it is not carried */
		if (!kelf_out_add_symbol(em->o, cb->alias, STB_GLOBAL, STT_FUNC,
					 out->sec, out->value, out->size))
			return -ENOMEM;
	}
	return 0;
}

static int include_functions(struct emitter *em)
{
	size_t i;

	for (i = 0; i < em->d->nr_funcs; i++) {
		struct kelf_sym *f = em->d->funcs[i].sym;

		if (!include_symbol(em, f))
			return -ENOMEM;
	}
	return 0;
}

/* --- special sections --- */

struct special_out {
	struct kelf_out_sec *sec, *parallel;
};

static bool entry_names_included_code(const struct emitter *em,
				      const struct kelf_sec *sec,
				      const struct arch_special *sp, size_t i)
{
	GElf_Addr at = i * sp->entsize + sp->anchor;
	struct kelf_target t;
	struct kelf_rela *r;
	size_t n;

	r = kelf_relas_in(sec, at, at + 1, &n);
	if (n != 1 || kelf_target_of(em->d->ctx, em->d->patched, sec, r, &t))
		return false;
	return t.sym && t.sec && t.sym->type == STT_FUNC && t.sym->include;
}

static int append_bytes(struct kelf_out_sec *os, const unsigned char *data,
			size_t len)
{
	unsigned char *p = realloc(os->data, os->size + len);

	if (!p)
		return -ENOMEM;
	memcpy(p + os->size, data, len);
	os->data = p;
	os->size += len;
	return 0;
}

/* The output's section of that name, made empty on first use. */
static struct kelf_out_sec *special_out_section(struct emitter *em,
						const struct kelf_sec *like)
{
	struct kelf_out_sec *os = kelf_out_find_section(em->o, like->name);
	struct kelf_out_sym *secsym;

	return os ? os : add_section_like(em, like, NULL, 0, &secsym);
}

/* The targets of an entry's relocations; 1 when the entry is dropped. */
static int resolve_entry(struct emitter *em, const struct kelf_sec *sec,
			 const struct arch_special *sp, struct kelf_rela *r,
			 size_t n, struct out_target *t)
{
	size_t j;
	int ret;

	for (j = 0; j < n; j++) {
		ret = resolve_target(em, sec, &r[j], &t[j], sec->name);
		if (ret)
			return ret;
		if (!t[j].klp)
			continue;
		if (sp->klp_policy == ARCH_EXTERN_DROP)
			return 1;
	}
	return 0;
}

static int copy_entry(struct emitter *em, struct kelf_sec *sec,
		      const struct arch_special *sp, size_t i,
		      struct special_out *so)
{
	GElf_Addr start = i * sp->entsize;
	struct out_target t[8];
	struct kelf_rela *r;
	size_t n, j, base;
	int ret;

	r = kelf_relas_in(sec, start, start + sp->entsize, &n);
	if (n > 8)
		return -EINVAL;
	ret = resolve_entry(em, sec, sp, r, n, t);
	if (ret)
		return ret == 1 ? 0 : ret;
	if (!so->sec)
		so->sec = special_out_section(em, sec);
	if (!so->sec)
		return -ENOMEM;
	base = so->sec->size;
	ret = append_bytes(so->sec, sec->data + start, sp->entsize);
	for (j = 0; !ret && j < n; j++)
		ret = kelf_out_add_rela(so->sec, base + (r[j].offset - start),
					r[j].type, t[j].sym, t[j].addend);
	if (!ret && so->parallel)
		ret = append_bytes(so->parallel,
				   ((struct kelf_sec *)so->parallel->priv)->data +
				   i * sp->parallel_entsize, sp->parallel_entsize);
	return ret;
}

static int check_layout(struct emitter *em, const struct kelf_sec *sec,
			const struct arch_special *sp,
			const struct kelf_sec *parallel)
{
	size_t n = sec->size / sp->entsize;

	if (sec->size % sp->entsize ||
	    (sec->sh.sh_entsize && sec->sh.sh_entsize != sp->entsize) ||
	    (sp->parallel && (!parallel ||
			      parallel->size != n * sp->parallel_entsize))) {
		em_refuse(em, "cannot live patch '%s': section %s does not have "
			  "the layout kmend knows (%zu-byte entries)",
			  patched_path(em), sec->name, sp->entsize);
		return -KM_EUNPATCHABLE;
	}
	return 0;
}

static int copy_special_section(struct emitter *em, struct kelf_sec *sec,
				const struct arch_special *sp)
{
	struct special_out so = { NULL, NULL };
	struct kelf_sec *parallel = NULL;
	size_t i, n;
	int ret;

	if (sp->parallel)
		parallel = kelf_find_section(em->d->patched, sp->parallel);
	ret = check_layout(em, sec, sp, parallel);
	if (ret)
		return ret == -KM_EUNPATCHABLE ? 0 : ret;
	n = sec->size / sp->entsize;
	for (i = 0; i < n; i++) {
		if (!entry_names_included_code(em, sec, sp, i))
			continue;
		if (parallel && !so.parallel) {
			so.parallel = special_out_section(em, parallel);
			if (!so.parallel)
				return -ENOMEM;
			so.parallel->priv = parallel;
		}
		ret = copy_entry(em, sec, sp, i, &so);
		if (ret && ret != -KM_EUNPATCHABLE)
			return ret;
	}
	return 0;
}

/* A section that names included code but that kmend does not know. */
static void check_unknown_section(struct emitter *em, struct kelf_sec *sec)
{
	struct kelf_rela *r;

	if (!(sec->sh.sh_flags & SHF_ALLOC) || sec->include ||
	    arch_is_ignored_section(sec->name) ||
	    km_is_author_section(sec->name))
		return;
	for_each_rela(sec, r) {
		struct kelf_sym *s = r->sym->type == STT_SECTION && r->sym->sec ?
				     r->sym->sec->func : r->sym;

		if (!s || !s->include || s->type != STT_FUNC)
			continue;
		if (kelf_is_text(sec) || sec->func)
			continue;	/* a call from unchanged code: fine */
		/* a function pointer in a variable is fine: the old function
		 * it points to is redirected; an entry of an unknown table
		 * (no variable around it) may need the new code itself */
		if (!kelf_symbol_at(em->d->patched, sec, r->offset)) {
			em_refuse(em, "cannot live patch '%s': section %s refers "
				  "to changed function '%s' and kmend does not "
				  "know its layout", patched_path(em), sec->name,
				  s->name);
			return;
		}
	}
}

/*
 * The variable a runtime constant reads, as the kernel's: the object's
 * symbol of that name (a static of the file) or an external.
 */
static int runtime_const_var(struct emitter *em, const char *name,
			     struct out_target *t)
{
	struct kelf_sym *s = kelf_find_symbol(em->d->patched, name);
	struct kelf_sym ext = { .name = name, .type = STT_OBJECT,
				.bind = STB_GLOBAL };

	if (s && s->sec)
		return named_target(em, s, 0, t, name);
	return kernel_ref(em, s ? s : &ext, 0, t);
}

/*
 * One entry of a runtime_ptr_SYM table in included code: a module's code
 * is never patched with SYM's value, so the new code loads SYM instead.
 */
static int carry_runtime_ptr(struct emitter *em, struct kelf_sec *sec,
			     const struct kelf_rela *r, const char *var)
{
	struct kelf_out_sym *out;
	struct out_target t;
	struct kelf_target kt;
	GElf_Sxword addend;
	unsigned int type;
	size_t at, rela_at;
	int ret;

	ret = kelf_target_of(em->d->ctx, em->d->patched, sec, r, &kt);
	if (ret)
		return ret;
	if (!kt.sym || kt.sym->type != STT_FUNC || !kt.sym->include)
		return 0;
	out = kt.sym->out;
	at = out->value + (size_t)kt.off;
	if (kt.off < 0 || !out->sec->data ||
	    arch_runtime_ptr_to_load(out->sec->data, out->sec->size, at,
				     &rela_at, &type, &addend)) {
		em_refuse(em, "cannot live patch '%s': %s+0x%lx uses runtime "
			  "constant '%s' (section %s), and its code is not the "
			  "instruction kmend knows", patched_path(em),
			  kt.sym->name, (unsigned long)kt.off, var, sec->name);
		return -KM_EUNPATCHABLE;
	}
	ret = runtime_const_var(em, var, &t);
	if (ret)
		return ret;
	return kelf_out_add_rela(out->sec, rela_at, type, t.sym,
				 km_add_sat(addend, t.addend));
}

static int carry_runtime_ptrs(struct emitter *em, struct kelf_sec *sec,
			      const char *var)
{
	struct kelf_rela *r;
	int ret;

	for_each_rela(sec, r) {
		ret = carry_runtime_ptr(em, sec, r, var);
		if (ret && ret != -KM_EUNPATCHABLE)
			return ret;
	}
	return 0;
}

/* runtime_shift_SYM: an 8-bit immediate, no room for a load */
static void refuse_runtime_shift(struct emitter *em, struct kelf_sec *sec,
				 const char *var)
{
	struct kelf_target kt;
	struct kelf_rela *r;

	for_each_rela(sec, r) {
		if (kelf_target_of(em->d->ctx, em->d->patched, sec, r, &kt) ||
		    !kt.sym || kt.sym->type != STT_FUNC || !kt.sym->include)
			continue;
		em_refuse(em, "cannot live patch '%s': function '%s' uses "
			  "runtime constant '%s' (section %s), a shift that the "
			  "kernel writes into vmlinux's code at boot and never "
			  "into a module's: apply the fix with a reboot",
			  patched_path(em), kt.sym->name, var, sec->name);
		return;
	}
}

static int copy_special_sections(struct emitter *em)
{
	struct kelf_sec *sec;
	int ret;

	for_each_sec(em->d->patched, sec) {
		const struct arch_special *sp =
			arch_special_in(em->d->layout, sec->name);

		if (arch_runtime_const_ptr(sec->name)) {
			ret = carry_runtime_ptrs(em, sec,
						 arch_runtime_const_ptr(sec->name));
			if (ret)
				return ret;
			continue;
		}
		if (arch_runtime_const_shift(sec->name)) {
			refuse_runtime_shift(em, sec,
					     arch_runtime_const_shift(sec->name));
			continue;
		}
		if (!sp) {
			check_unknown_section(em, sec);
			continue;
		}
		if (!sec->data)
			continue;
		ret = copy_special_section(em, sec, sp);
		if (ret)
			return ret;
	}
	return 0;
}

/* Copies relocations section by section; included sections may add more. */
static int copy_all_relocations(struct emitter *em)
{
	int ret;

	for (; em->relocated < em->o->nr_secs; em->relocated++) {
		struct kelf_out_sec *os = em->o->secs[em->relocated];
		struct kelf_sec *sec = os->priv;

		if (!sec || arch_special_section(sec->name) ||
		    os->sh.sh_type == SHT_NOBITS)
			continue;
		ret = copy_relocations(em, os);
		if (ret)
			return ret;
	}
	return 0;
}

int km_emit_object(struct km_diff *d, const struct km_resolver *res,
		   const char *alias_prefix, const char *path)
{
	struct emitter em = { .d = d, .res = res, .alias_prefix = alias_prefix };
	size_t n = d->patched->nr_secs;
	int ret;

	em.o = kelf_out_new(&d->patched->eh);
	em.out_sec = calloc(n, sizeof(*em.out_sec));
	em.out_secsym = calloc(n, sizeof(*em.out_secsym));
	ret = em.o && em.out_sec && em.out_secsym ? 0 : -ENOMEM;
	if (!ret)
		ret = include_functions(&em);
	if (!ret)
		ret = copy_all_relocations(&em);
	if (!ret)
		ret = copy_special_sections(&em);
	if (!ret)
		ret = copy_all_relocations(&em);	/* what entries pulled in */
	if (!ret && em.refused)
		ret = -KM_EUNPATCHABLE;
	if (!ret)
		ret = name_new_code(&em);
	if (!ret)
		ret = name_callbacks(&em);
	if (!ret && path)
		ret = kelf_out_write(d->ctx, em.o, path);
	kelf_out_free(em.o);
	free(em.out_sec);
	free(em.out_secsym);
	return ret;
}
