// SPDX-License-Identifier: GPL-2.0
/*
 * Changed functions livepatch cannot redirect: a function without an ftrace
 * entry (notrace: every static inline the compiler kept out of line, the
 * __do_sys_*() body of a SYSCALL_DEFINE) cannot be a klp_func.  When every
 * use of it is a direct call from functions of the same object, those
 * callers are replaced instead, transitively until the callers are
 * traceable, and the new function is carried in the module as new code.
 *
 * Why that is sound: the kernel's copy of the function is then reached only
 * through its old callers, which livepatch redirects; a task inside the old
 * copy has its old caller on the stack, which the consistency model checks.
 * It is not when another file may call the function (a global), or when its
 * address is taken (an ops table, a callback): those keep reaching the old
 * copy, so the change is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "callers.h"
#include "compare.h"
#include "identity.h"
#include "reloc.h"
#include "util.h"

#define refuse(d, ...) do {				\
	km_err((d)->ctx, __VA_ARGS__);			\
	(d)->nr_refused++;				\
} while (0)

struct callers {
	struct kelf_sym **syms;
	size_t n;
	char where[256];	/* the first use that is not a direct call */
};

/* A changed function of its own section that livepatch cannot redirect. */
static bool cannot_redirect(const struct kelf_sym *p)
{
	return kelf_is_function(p) && kelf_is_text(p->sec) &&
	       p->status == KELF_CHANGED && !p->copy && !km_is_cold_part(p) &&
	       !km_is_init_code(p) &&
	       (p->sec->func == p || strcmp(p->sec->name, ".text")) &&
	       !arch_has_fentry(p->sec, p->sym.st_value);
}

static int add_caller(struct callers *c, struct kelf_sym *s)
{
	size_t i;
	void *n;

	for (i = 0; i < c->n; i++)
		if (c->syms[i] == s)
			return 0;
	n = realloc(c->syms, (c->n + 1) * sizeof(*c->syms));
	if (!n)
		return -ENOMEM;
	c->syms = n;
	c->syms[c->n++] = s;
	return 0;
}

/* Sections whose relocations are uses of a function by other code or data. */
static bool holds_uses(const struct kelf_sec *s)
{
	return (s->sh.sh_flags & SHF_ALLOC) && s->sh.sh_type != SHT_RELA &&
	       s->nr_relas && !arch_special_section(s->name) &&
	       !arch_is_ignored_section(s->name);
}

static bool is_direct_branch(const struct kelf_sec *s,
			     const struct kelf_sym *user,
			     const struct kelf_rela *r)
{
	GElf_Addr start = user->sym.st_value;

	if (!s->data || start > r->offset ||
	    user->sym.st_size > s->size - start)
		return false;
	return arch_is_direct_branch(s->data + start, user->sym.st_size,
				     r->offset - start);
}

/* Where an alternative of function f has its replacement code. */
struct replacement {
	const struct kelf_sec *sec;
	GElf_Addr start;
	size_t len;
};

static bool replacement_of(struct km_diff *d, const struct km_entry *e,
			   struct replacement *rp)
{
	const struct arch_special *sp = e->sp;
	GElf_Addr at = e->index * sp->entsize + sp->repl_offset_at;
	struct kelf_target t;
	struct kelf_rela *r;
	size_t n;

	if (!sp->repl_offset_at || !e->sec->data)
		return false;
	r = kelf_relas_in(e->sec, at, at + 1, &n);
	if (n != 1 || kelf_target_of(d->ctx, d->patched, e->sec, r, &t) ||
	    !t.sec || t.sym || t.off < 0)
		return false;
	rp->sec = t.sec;
	rp->start = (GElf_Addr)t.off;
	rp->len = e->sec->data[e->index * sp->entsize + sp->repl_len_at];
	return rp->start + rp->len <= t.sec->size;
}

/*
 * The function whose alternative holds offset off of sec (code without
 * functions: .altinstr_replacement): the kernel copies it into that
 * function.  NULL when none does.
 */
static struct kelf_sym *owner_of_replacement(struct km_diff *d,
					     const struct kelf_sec *sec,
					     GElf_Addr off,
					     struct replacement *found)
{
	struct kelf_sym *f;

	for_each_sym(d->patched, f) {
		const struct km_entries *es;
		size_t i;

		if (!kelf_is_function(f) || !kelf_is_text(f->sec))
			continue;
		es = km_entries_of(d, d->patched, f);
		for (i = 0; es && i < es->n; i++) {
			struct replacement rp;

			if (replacement_of(d, &es->v[i], &rp) && rp.sec == sec &&
			    off >= rp.start && off < rp.start + rp.len) {
				*found = rp;
				return f;
			}
		}
	}
	return NULL;
}

/* A direct call or jump in an alternative's replacement of its owner's. */
static struct kelf_sym *replacement_caller(struct km_diff *d,
					   const struct kelf_sec *s,
					   const struct kelf_rela *r)
{
	struct replacement rp;
	struct kelf_sym *owner;

	if (!kelf_is_text(s) || !s->data)
		return NULL;
	owner = owner_of_replacement(d, s, r->offset, &rp);
	if (!owner || !arch_is_direct_branch(s->data + rp.start, rp.len,
					     r->offset - rp.start))
		return NULL;
	return owner;
}

/*
 * One relocation that names f: a direct call or jump from a function (its
 * .cold part counts as the function) adds a caller; __init code ran at boot
 * and is gone; anything else takes f's address.  1 when it does.
 */
static int note_use(struct km_diff *d, struct kelf_sym *f, struct kelf_sec *s,
		    const struct kelf_rela *r, GElf_Sxword off,
		    struct callers *c)
{
	struct kelf_sym *user = kelf_symbol_at(d->patched, s, r->offset);

	if (user && user->parent && km_is_cold_part(user))
		user = user->parent;
	if (user == f)
		return 0;
	if (user && kelf_is_function(user) && kelf_is_text(s) &&
	    is_direct_branch(s, user, r))
		return km_is_init_code(user) ? 0 : add_caller(c, user);
	/* out-of-line code of f itself (.altinstr_aux) jumping back in */
	if (!user && kelf_is_text(s) && off > 0)
		return 0;
	if (!user && (user = replacement_caller(d, s, r)) != NULL) {
		if (user->parent && km_is_cold_part(user))
			user = user->parent;
		return km_is_init_code(user) || user == f ? 0 : add_caller(c, user);
	}
	snprintf(c->where, sizeof(c->where), "%s+0x%lx (section %s)",
		 user ? user->name : s->name,
		 (unsigned long)(r->offset - (user ? user->sym.st_value : 0)),
		 s->name);
	return 1;
}

/* f's callers in the object; 1 when some use of f is not a direct call. */
static int find_callers(struct km_diff *d, struct kelf_sym *f,
			struct callers *c)
{
	struct kelf_sec *s;
	struct kelf_rela *r;
	int ret;

	for_each_sec(d->patched, s) {
		if (!holds_uses(s))
			continue;
		for_each_rela(s, r) {
			struct kelf_target t;

			ret = kelf_target_of(d->ctx, d->patched, s, r, &t);
			if (ret)
				return ret;
			if (t.sym != f)
				continue;
			ret = note_use(d, f, s, r, t.off, c);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int list_names(struct km_buf *b, const struct callers *c)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < c->n; i++)
		ret = km_buf_addf(b, "%s%s", i ? ", " : "", c->syms[i]->name);
	return ret;
}

static int note_replaced_callers(struct km_diff *d, const struct kelf_sym *f,
				 const struct callers *c)
{
	struct km_buf b = KM_BUF_INIT;
	int ret = list_names(&b, c);

	if (!ret)
		km_info(d->ctx, "    note: '%s' has no ftrace entry (notrace), so "
			"livepatch cannot redirect it: the module carries its new "
			"code and replaces its callers instead: %s", f->name,
			b.buf);
	km_buf_release(&b);
	return ret;
}

static void refuse_untraceable(struct km_diff *d, const struct kelf_sym *f,
			       const char *why)
{
	refuse(d, "cannot live patch '%s': function '%s' has no ftrace entry "
	       "(notrace), so livepatch cannot redirect it, and %s; make the "
	       "fix in its callers, or in a traceable function",
	       d->name, f->name, why);
}

/* Carries f as new code and marks its callers replaced; 1 when refused. */
static int replace_callers_of(struct km_diff *d, struct kelf_sym *f)
{
	struct callers c = { NULL, 0, "" };
	char why[512];
	size_t i;
	int ret;

	if (f->bind != STB_LOCAL) {
		refuse_untraceable(d, f, "it is global: code in other files "
				   "calls it, and kmend cannot replace those "
				   "callers");
		return 1;
	}
	ret = find_callers(d, f, &c);
	if (ret == 1) {
		snprintf(why, sizeof(why), "its address is taken at %s: the "
			 "kernel keeps reaching the old code through it", c.where);
		refuse_untraceable(d, f, why);
	} else if (!ret && !c.n) {
		refuse_untraceable(d, f, "nothing calls it that could be "
				   "replaced instead");
		ret = 1;
	}
	if (!ret) {
		f->copy = true;
		for (i = 0; i < c.n; i++)
			if (c.syms[i]->status == KELF_SAME) {
				c.syms[i]->status = KELF_CHANGED;
				c.syms[i]->via = f;
			}
		ret = note_replaced_callers(d, f, &c);
	}
	free(c.syms);
	return ret;
}

int km_replace_untraceable(struct km_diff *d)
{
	bool again = true;
	struct kelf_sym *p;
	int ret;

	/* a replaced caller may itself be notrace: until none is left */
	while (again) {
		again = false;
		for_each_sym(d->patched, p) {
			if (!cannot_redirect(p) || p->refused)
				continue;
			ret = replace_callers_of(d, p);
			if (ret < 0)
				return ret;
			p->refused = ret == 1;
			again = true;
		}
	}
	return 0;
}
