// SPDX-License-Identifier: GPL-2.0
/*
 * Type layout comparison (layout.h) over libdw.  Relocatable objects keep
 * their DWARF's string and type references in relocations, which libdwfl
 * applies when it opens a file offline; plain libdw would not.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "layout.h"
#include "util.h"

/* How deep anonymous members nest (struct { union { struct { ... */
#define KM_LAYOUT_DEPTH 8

struct member {
	char *path;		/* "a", "u.b" (through anonymous members: "b") */
	Dwarf_Word offset;	/* in bits, from the start of the type */
	Dwarf_Word size;	/* in bits; 0 when unknown */
};

struct type {
	char *name;		/* "struct foo" */
	const char *file;	/* its header, owned by libdw */
	Dwarf_Word size;
	struct member *members;
	size_t nr_members;
};

/* A global function's prototype or a global variable's type. */
struct iface {
	char *name;		/* "function foo", "variable bar" */
	char *sig;		/* "int (long, struct file *)", "unsigned int" */
	const char *file;	/* where it is defined, owned by libdw */
};

struct layout {
	Dwfl *dwfl;
	struct type *types;
	size_t nr_types;
	struct km_hash by_name;
	struct iface *ifaces;
	size_t nr_ifaces;
	struct km_hash iface_by_name;
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static void release_layout(struct layout *l)
{
	size_t i, j;

	for (i = 0; i < l->nr_types; i++) {
		for (j = 0; j < l->types[i].nr_members; j++)
			free(l->types[i].members[j].path);
		free(l->types[i].members);
		free(l->types[i].name);
	}
	free(l->types);
	km_hash_release(&l->by_name);
	for (i = 0; i < l->nr_ifaces; i++) {
		free(l->ifaces[i].name);
		free(l->ifaces[i].sig);
	}
	free(l->ifaces);
	km_hash_release(&l->iface_by_name);
	if (l->dwfl)
		dwfl_end(l->dwfl);
}

static int add_member(struct type *t, const char *path, Dwarf_Word offset,
		      Dwarf_Word size)
{
	struct member *m = realloc(t->members,
				   (t->nr_members + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	t->members = m;
	m = &t->members[t->nr_members];
	m->path = strdup(path);
	m->offset = offset;
	m->size = size;
	if (!m->path)
		return -ENOMEM;
	t->nr_members++;
	return 0;
}

static bool udata_of(Dwarf_Die *die, unsigned int name, Dwarf_Word *value)
{
	Dwarf_Attribute attr;

	return dwarf_attr(die, name, &attr) && !dwarf_formudata(&attr, value);
}

/*
 * Where a DWARF 2 to 4 bit-field starts in its storage unit, counted from
 * the unit's lowest bit: DW_AT_bit_offset counts from its most significant
 * bit (gcc -gdwarf-4, clang).  x86 is little-endian.
 */
static bool old_bit_position(Dwarf_Die *die, Dwarf_Word *bits)
{
	Dwarf_Word from_msb, width, unit;
	Dwarf_Attribute attr;
	Dwarf_Die type;

	if (!udata_of(die, DW_AT_bit_offset, &from_msb) ||
	    !udata_of(die, DW_AT_bit_size, &width))
		return false;
	if (!udata_of(die, DW_AT_byte_size, &unit) &&
	    (!dwarf_attr_integrate(die, DW_AT_type, &attr) ||
	     !dwarf_formref_die(&attr, &type) ||
	     dwarf_aggregate_size(&type, &unit)))
		return false;
	if (from_msb + width > unit * 8)
		return false;
	*bits = unit * 8 - from_msb - width;
	return true;
}

/* The member's offset in bits (bit-fields included); false if unknown. */
static bool member_offset(Dwarf_Die *die, Dwarf_Word *bits)
{
	Dwarf_Attribute attr;
	Dwarf_Word bytes = 0, in_unit = 0;

	if (dwarf_attr(die, DW_AT_data_bit_offset, &attr))
		return !dwarf_formudata(&attr, bits);
	if (dwarf_attr(die, DW_AT_data_member_location, &attr) &&
	    dwarf_formudata(&attr, &bytes))
		return false;
	if (dwarf_hasattr(die, DW_AT_bit_offset) &&
	    !old_bit_position(die, &in_unit))
		return false;
	*bits = bytes * 8 + in_unit;
	return true;
}

static Dwarf_Word member_size(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;
	Dwarf_Word bits;

	if (dwarf_attr(die, DW_AT_bit_size, &attr) &&
	    !dwarf_formudata(&attr, &bits))
		return bits;
	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) ||
	    !dwarf_formref_die(&attr, &type) || dwarf_aggregate_size(&type,
								     &bits))
		return 0;
	return bits * 8;
}

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

/* The struct or union an anonymous member holds, through typedefs. */
static bool anonymous_aggregate(Dwarf_Die *member, Dwarf_Die *type)
{
	Dwarf_Attribute attr;

	if (dwarf_diename(member) ||
	    !dwarf_attr_integrate(member, DW_AT_type, &attr) ||
	    !dwarf_formref_die(&attr, type) ||
	    dwarf_peel_type(type, type) != 0)
		return false;
	return is_aggregate(dwarf_tag(type));
}

static int add_members(struct type *t, Dwarf_Die *agg, const char *prefix,
		       Dwarf_Word base, int depth)
{
	Dwarf_Die child, inner;
	int ret = 0;

	if (depth > KM_LAYOUT_DEPTH || dwarf_child(agg, &child))
		return 0;
	do {
		Dwarf_Word offset = 0;
		char *path;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		if (!member_offset(&child, &offset))
			offset = 0;	/* a union's members */
		if (anonymous_aggregate(&child, &inner)) {
			ret = add_members(t, &inner, prefix, base + offset,
					  depth + 1);
			continue;
		}
		/* an unnamed bit-field is known by its place */
		path = dwarf_diename(&child) ?
		       km_strfmt("%s%s", prefix, dwarf_diename(&child)) :
		       km_strfmt("%s(unnamed #%zu)", prefix, t->nr_members);
		ret = path ? add_member(t, path, base + offset,
					member_size(&child)) : -ENOMEM;
		free(path);
	} while (!ret && dwarf_siblingof(&child, &child) == 0);
	return ret;
}

static bool is_header(const char *file)
{
	return file && km_ends_with(file, ".h");
}

/* A named, complete struct or union of a header, once per name. */
static int add_type(struct layout *l, Dwarf_Die *die)
{
	const char *file = dwarf_decl_file(die);
	const char *name = dwarf_diename(die);
	Dwarf_Word size;
	struct type *t;
	char *full;
	int ret;

	if (!name || !is_header(file) || dwarf_hasattr(die, DW_AT_declaration) ||
	    dwarf_aggregate_size(die, &size))
		return 0;
	full = km_strfmt("%s %s", dwarf_tag(die) == DW_TAG_union_type ?
				  "union" : "struct", name);
	if (!full)
		return -ENOMEM;
	if (km_hash_get(&l->by_name, full)) {
		free(full);
		return 0;
	}
	t = realloc(l->types, (l->nr_types + 1) * sizeof(*t));
	if (!t) {
		free(full);
		return -ENOMEM;
	}
	l->types = t;
	t = &l->types[l->nr_types++];
	memset(t, 0, sizeof(*t));
	t->name = full;
	t->file = file;
	t->size = size;
	ret = add_members(t, die, "", 0, 0);
	/* by index: the array moves as it grows */
	if (!ret)
		ret = km_hash_add(&l->by_name, t->name,
				  (void *)(uintptr_t)l->nr_types);
	return ret;
}

/* --- global interfaces: prototypes and variable types --- */

#define KM_TYPE_DEPTH 8

static void type_name(Dwarf_Die *die, struct km_buf *b, int depth);

static void tagged_name(Dwarf_Die *t, struct km_buf *b, const char *tag)
{
	const char *name = dwarf_diename(t);

	km_buf_addf(b, "%s %s", tag, name ? name : "<anonymous>");
}

/* The C spelling, enough to tell two types apart, of die's DW_AT_type. */
static void type_name(Dwarf_Die *die, struct km_buf *b, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	Dwarf_Word n;
	const char *name;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a) ||
	    !dwarf_formref_die(&a, &t)) {
		km_buf_adds(b, "void");
		return;
	}
	if (depth > KM_TYPE_DEPTH) {
		km_buf_adds(b, "...");
		return;
	}
	switch (dwarf_tag(&t)) {
	case DW_TAG_pointer_type:
		type_name(&t, b, depth + 1);
		km_buf_adds(b, " *");
		break;
	case DW_TAG_const_type:
		km_buf_adds(b, "const ");
		type_name(&t, b, depth + 1);
		break;
	case DW_TAG_volatile_type:
		km_buf_adds(b, "volatile ");
		type_name(&t, b, depth + 1);
		break;
	case DW_TAG_array_type:
		type_name(&t, b, depth + 1);
		if (dwarf_aggregate_size(&t, &n) == 0)
			km_buf_addf(b, " [%" PRIu64 " bytes]", (uint64_t)n);
		else
			km_buf_adds(b, " []");
		break;
	case DW_TAG_structure_type:
		tagged_name(&t, b, "struct");
		break;
	case DW_TAG_union_type:
		tagged_name(&t, b, "union");
		break;
	case DW_TAG_enumeration_type:
		tagged_name(&t, b, "enum");
		break;
	case DW_TAG_subroutine_type:
		km_buf_adds(b, "function");
		break;
	default:	/* base types and typedefs: their names */
		name = dwarf_diename(&t);
		km_buf_adds(b, name ? name : "?");
		break;
	}
}

/* "int (long, struct file *, ...)" */
static char *prototype_of(Dwarf_Die *fn)
{
	struct km_buf b = KM_BUF_INIT;
	Dwarf_Die child;
	int n = 0;

	type_name(fn, &b, 0);
	km_buf_adds(&b, " (");
	if (dwarf_child(fn, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);

			if (tag != DW_TAG_formal_parameter &&
			    tag != DW_TAG_unspecified_parameters)
				continue;
			km_buf_adds(&b, n++ ? ", " : "");
			if (tag == DW_TAG_formal_parameter)
				type_name(&child, &b, 0);
			else
				km_buf_adds(&b, "...");
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	km_buf_adds(&b, n ? ")" : "void)");
	return km_buf_detach(&b);
}

/* A global function or variable defined in this unit (not a declaration). */
static bool is_global_definition(Dwarf_Die *die)
{
	if (dwarf_hasattr(die, DW_AT_declaration) ||
	    dwarf_hasattr(die, DW_AT_inline) ||
	    !dwarf_hasattr_integrate(die, DW_AT_external))
		return false;
	if (dwarf_tag(die) == DW_TAG_subprogram)
		return dwarf_hasattr(die, DW_AT_low_pc);
	return dwarf_hasattr(die, DW_AT_location);
}

static int add_iface(struct layout *l, Dwarf_Die *die)
{
	bool fn = dwarf_tag(die) == DW_TAG_subprogram;
	const char *name = dwarf_diename(die);
	struct km_buf sig = KM_BUF_INIT;
	struct iface *i;
	char *full;

	if (!name || !is_global_definition(die))
		return 0;
	full = km_strfmt("%s %s", fn ? "function" : "variable", name);
	if (!full)
		return -ENOMEM;
	if (km_hash_get(&l->iface_by_name, full)) {
		free(full);
		return 0;
	}
	i = realloc(l->ifaces, (l->nr_ifaces + 1) * sizeof(*i));
	if (!i) {
		free(full);
		return -ENOMEM;
	}
	l->ifaces = i;
	i = &l->ifaces[l->nr_ifaces++];
	i->name = full;
	i->file = dwarf_decl_file(die);
	if (fn) {
		i->sig = prototype_of(die);
	} else {
		type_name(die, &sig, 0);
		i->sig = km_buf_detach(&sig);
	}
	if (!i->sig)
		return -ENOMEM;
	return km_hash_add(&l->iface_by_name, i->name,
			   (void *)(uintptr_t)l->nr_ifaces);
}

static int add_unit_types(struct layout *l, Dwarf_Die *cu)
{
	Dwarf_Die die;
	int ret = 0;

	if (dwarf_child(cu, &die))
		return 0;
	do {
		int tag = dwarf_tag(&die);

		if (is_aggregate(tag))
			ret = add_type(l, &die);
		else if (tag == DW_TAG_subprogram || tag == DW_TAG_variable)
			ret = add_iface(l, &die);
	} while (!ret && dwarf_siblingof(&die, &die) == 0);
	return ret;
}

/* 0 with the object's types; 1 when it has no DWARF. */
static int read_layout(struct km_ctx *ctx, const char *path, struct layout *l)
{
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL;
	int ret;

	memset(l, 0, sizeof(*l));
	if (km_hash_init(&l->by_name, 4096) ||
	    km_hash_init(&l->iface_by_name, 256))
		return -ENOMEM;
	l->dwfl = dwfl_begin(&offline_callbacks);
	if (!l->dwfl)
		return -ENOMEM;
	mod = dwfl_report_offline(l->dwfl, path, path, -1);
	dwfl_report_end(l->dwfl, NULL, NULL);
	if (!mod) {
		km_err(ctx, "cannot read '%s' for its types: %s", path,
		       dwfl_errmsg(-1));
		return -EINVAL;
	}
	if (!dwfl_module_getdwarf(mod, &bias))
		return 1;
	for (ret = 0; !ret && (cu = dwfl_module_nextcu(mod, cu, &bias));)
		ret = add_unit_types(l, cu);
	return ret;
}

static const struct member *find_member(const struct type *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->nr_members; i++)
		if (!strcmp(t->members[i].path, path))
			return &t->members[i];
	return NULL;
}


/* What changed in the type, for the message; NULL when nothing did. */
/* Members moved or resized: the first few named, then how many more. */
#define SHOWN_MOVES 3

static void describe_move(struct km_buf *why, const struct member *m,
			  const struct member *pm)
{
	if (pm->offset != m->offset && (m->offset % 8 || pm->offset % 8)) {
		km_buf_addf(why, "member '%s' moves from bit %" PRIu64 " to bit "
			    "%" PRIu64 "; ", m->path, (uint64_t)m->offset,
			    (uint64_t)pm->offset);
	} else if (pm->offset != m->offset) {
		km_buf_addf(why, "member '%s' moves from offset %" PRIu64 " to "
			    "%" PRIu64 "; ", m->path, (uint64_t)(m->offset / 8),
			    (uint64_t)(pm->offset / 8));
	} else {
		km_buf_addf(why, "member '%s' changes size; ", m->path);
	}
}

/*
 * What changed, the members that appear or go first (the cause), then
 * those that move or change size because of them.
 */
static char *describe_change(const struct type *o, const struct type *p)
{
	struct km_buf why = KM_BUF_INIT;
	const struct member *m, *pm;
	size_t i, moved = 0;

	if (o->size != p->size)
		km_buf_addf(&why, "its size goes from %" PRIu64 " to %" PRIu64
			    " bytes; ", (uint64_t)o->size, (uint64_t)p->size);
	for (i = 0; i < p->nr_members; i++)
		if (!find_member(o, p->members[i].path))
			km_buf_addf(&why, "member '%s' is new; ",
				    p->members[i].path);
	for (i = 0; i < o->nr_members; i++)
		if (!find_member(p, o->members[i].path))
			km_buf_addf(&why, "member '%s' goes; ",
				    o->members[i].path);
	for (i = 0; i < o->nr_members; i++) {
		m = &o->members[i];
		pm = find_member(p, m->path);
		if (!pm || (pm->offset == m->offset && pm->size == m->size))
			continue;
		if (moved++ < SHOWN_MOVES)
			describe_move(&why, m, pm);
	}
	if (moved > SHOWN_MOVES)
		km_buf_addf(&why, "and %zu more members move or change size; ",
			    moved - SHOWN_MOVES);
	if (why.len > 2)
		why.buf[why.len -= 2] = '\0';
	return why.buf;
}

/* "../include/linux/fs.h" (Kbuild's srctree is "..") -> "include/..." */
static const char *shown_file(const char *file)
{
	while (!strncmp(file, "../", 3))
		file += 3;
	return file;
}

/*
 * Whether the type's change was told already; notes it when not.  reported
 * holds "\nNAME@FILE\n" lines.
 */
static bool told_before(struct km_buf *reported, const struct type *t)
{
	char *key;
	bool told;

	if (!reported)
		return false;
	key = km_strfmt("\n%s@%s\n", t->name, t->file);
	if (!key)
		return false;
	told = reported->buf && strstr(reported->buf, key);
	if (!told)
		km_buf_adds(reported, reported->len ? key + 1 : key);
	free(key);
	return told;
}

static int compare_layouts(struct km_ctx *ctx, const char *name,
			   const struct layout *o, const struct layout *p,
			   struct km_buf *reported)
{
	size_t i;
	int refused = 0;

	for (i = 0; i < o->nr_types; i++) {
		const struct type *ot = &o->types[i];
		uintptr_t at = (uintptr_t)km_hash_get(&p->by_name, ot->name);
		const struct type *pt = at ? &p->types[at - 1] : NULL;
		char *why = pt ? describe_change(ot, pt) : NULL;

		if (!why)
			continue;
		refused++;
		if (told_before(reported, ot)) {
			km_debug(ctx, "%s: %s changes its layout (said above)",
				 name, ot->name);
			free(why);
			continue;
		}
		km_err(ctx, "cannot live patch %s: %s (%s) changes its "
		       "layout: %s; the running kernel keeps its instances as "
		       "they are: leave the type as it is and keep new state "
		       "in a shadow variable (klp_shadow_get_or_alloc(), see "
		       "the kernel's Documentation/livepatch/shadow-vars.rst)",
		       name, ot->name, shown_file(ot->file), why);
		free(why);
	}
	return refused ? -KM_EUNPATCHABLE : 0;
}

/*
 * A global function whose prototype changes, or a global variable whose
 * type does: code of other files still calls or reads it the old way
 * (livepatch sends old callers to the new function).
 */
static int compare_ifaces(struct km_ctx *ctx, const char *name,
			  const struct layout *o, const struct layout *p)
{
	size_t i;
	int refused = 0;

	for (i = 0; i < o->nr_ifaces; i++) {
		const struct iface *oi = &o->ifaces[i];
		uintptr_t at = (uintptr_t)km_hash_get(&p->iface_by_name,
						      oi->name);
		const struct iface *pi = at ? &p->ifaces[at - 1] : NULL;
		bool fn = km_starts_with(oi->name, "function ");

		if (!pi || !strcmp(oi->sig, pi->sig))
			continue;
		refused++;
		km_err(ctx, "cannot live patch %s: global %s '%s' (%s) changes "
		       "its %s from '%s' to '%s': code in other files still %s "
		       "it the old way; %s", name, fn ? "function" : "variable",
		       strchr(oi->name, ' ') + 1,
		       oi->file ? shown_file(oi->file) : "?",
		       fn ? "prototype" : "type", oi->sig, pi->sig,
		       fn ? "calls" : "uses",
		       fn ? "keep its prototype, and give the new calling "
			    "convention a new function"
			  : "keep its type, and keep new state in a shadow "
			    "variable (klp_shadow_get_or_alloc())");
	}
	return refused ? -KM_EUNPATCHABLE : 0;
}

int km_layout_check(struct km_ctx *ctx, const char *name, const char *orig,
		    const char *patched, struct km_buf *reported)
{
	struct layout o, p;
	int ret;

	ret = read_layout(ctx, orig, &o);
	memset(&p, 0, sizeof(p));
	if (!ret)
		ret = read_layout(ctx, patched, &p);
	if (!ret) {
		int ifaces = compare_ifaces(ctx, name, &o, &p);

		ret = compare_layouts(ctx, name, &o, &p, reported);
		if (!ret)
			ret = ifaces;
	} else if (ret == 1)
		ret = 0;
	release_layout(&o);
	release_layout(&p);
	return ret;
}
