// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

#define NT_GNU_BUILD_ID 3

/* The letters of the kernel's taint bits, bit 0 first (kernel/panic.c). */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXT";

static char *record_path(const struct km_loader *l, const char *name)
{
	return km_strfmt("%s/%s", l->run_dir, name);
}

static int add_line(struct km_buf *b, const char *key, const char *value)
{
	/* one value a line: a newline in a value would forge a key */
	if (strchr(value, '\n'))
		return 0;
	return km_buf_addf(b, "%s=%s\n", key, value);
}

int km_lp_record_load(const struct km_loader *l, const char *name,
		      const struct km_modinfo *mi)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = record_path(l, name);
	const char *v;
	size_t pos;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = km_mkdir_p(l->run_dir, 0755);
	if (!ret)
		ret = add_line(&b, "path", mi->path);
	if (!ret)
		ret = km_buf_addf(&b, "loaded=%lld\n", (long long)time(NULL));
	if (!ret && (v = km_modinfo_get(mi, "kmend_kernel")))
		ret = add_line(&b, "kernel", v);
	if (!ret && (v = km_modinfo_get(mi, "kmend_replace")))
		ret = add_line(&b, "replace", v);
	km_modinfo_for_each(mi, "kmend_patch", pos, v)
		if (!ret)
			ret = add_line(&b, "fix", v);
	if (!ret)
		ret = km_write_file_atomic(path, b.buf, b.len);
	km_buf_release(&b);
	free(path);
	return ret;
}

void km_lp_forget_load(const struct km_loader *l, const char *name)
{
	char *path = record_path(l, name);

	if (path)
		unlink(path);
	free(path);
}

static int add_fix(struct km_lp_record *r, const char *value)
{
	char **fixes = realloc(r->fixes, (r->nr_fixes + 1) * sizeof(*fixes));

	if (!fixes)
		return -ENOMEM;
	r->fixes = fixes;
	r->fixes[r->nr_fixes] = strdup(value);
	if (!r->fixes[r->nr_fixes])
		return -ENOMEM;
	r->nr_fixes++;
	return 0;
}

static int parse_record_line(struct km_lp_record *r, char *line)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return 0;
	*eq++ = '\0';
	if (!strcmp(line, "path") && !r->path)
		r->path = strdup(eq);
	else if (!strcmp(line, "loaded"))
		r->loaded = (time_t)strtoll(eq, NULL, 10);
	else if (!strcmp(line, "kernel") && !r->kernel)
		r->kernel = strdup(eq);
	else if (!strcmp(line, "replace"))
		r->replace = eq[0] == 'Y' || eq[0] == 'y' || eq[0] == '1';
	else if (!strcmp(line, "fix"))
		return add_fix(r, eq);
	return 0;
}

int km_lp_read_record(const struct km_loader *l, const char *name,
		      struct km_lp_record *r)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = record_path(l, name), *line, *save = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!path)
		return -ENOMEM;
	ret = km_read_file(path, &b);
	free(path);
	for (line = ret ? NULL : strtok_r(b.buf, "\n", &save);
	     line && !ret; line = strtok_r(NULL, "\n", &save))
		ret = parse_record_line(r, line);
	km_buf_release(&b);
	if (ret)
		km_lp_record_release(r);
	return ret;
}

void km_lp_record_release(struct km_lp_record *r)
{
	size_t i;

	for (i = 0; i < r->nr_fixes; i++)
		free(r->fixes[i]);
	free(r->fixes);
	free(r->path);
	free(r->kernel);
	memset(r, 0, sizeof(*r));
}

/* ---- load order ---- */

/* Position of name in /proc/modules, newest first; -1 when absent. */
static long module_position(const char *modules, const char *name)
{
	const char *p = modules;
	size_t n = strlen(name);
	long i = 0;

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return i;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
		i++;
	}
	return -1;
}

struct ordered {
	struct km_lp_patch patch;
	long pos;
};

static int compare_load_order(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	/* the higher the position, the older; unknown ones last */
	if (x->pos != y->pos) {
		if (x->pos < 0 || y->pos < 0)
			return x->pos < 0 ? 1 : -1;
		return x->pos > y->pos ? -1 : 1;
	}
	return strcmp(x->patch.name, y->patch.name);
}

int km_lp_stack_order(const struct km_loader *l, struct km_lp_list *list)
{
	struct km_buf mods = KM_BUF_INIT;
	struct ordered *o;
	char *path;
	size_t i;
	int ret;

	ret = km_lp_list(l, list);
	if (ret || list->nr_patches < 2)
		return ret;
	path = km_strfmt("%s/modules", l->proc);
	if (!path || km_read_file(path, &mods))
		km_buf_reset(&mods);
	free(path);
	o = calloc(list->nr_patches, sizeof(*o));
	if (!o) {
		km_buf_release(&mods);
		km_lp_list_release(list);
		return -ENOMEM;
	}
	for (i = 0; i < list->nr_patches; i++) {
		o[i].patch = list->patches[i];
		o[i].pos = module_position(mods.buf, o[i].patch.name);
	}
	qsort(o, list->nr_patches, sizeof(*o), compare_load_order);
	for (i = 0; i < list->nr_patches; i++)
		list->patches[i] = o[i].patch;
	free(o);
	km_buf_release(&mods);
	return 0;
}

/* ---- the machine ---- */

static bool same_func(const struct km_func_ref *a, const struct km_func_ref *b)
{
	return !strcmp(a->object, b->object) && !strcmp(a->name, b->name);
}

static bool patches_overlap(const struct km_lp_patch *a,
			    const struct km_lp_patch *b)
{
	size_t i, k;

	for (i = 0; i < a->nr_funcs; i++)
		for (k = 0; k < b->nr_funcs; k++)
			if (same_func(&a->funcs[i], &b->funcs[k]))
				return true;
	return false;
}

bool km_lp_status_replace(const struct km_lp_status_patch *p)
{
	if (p->patch.replace >= 0)
		return p->patch.replace;
	return p->has_record && p->record.replace;
}

static int find_stacked_on(struct km_status *st, size_t i)
{
	struct km_lp_status_patch *p = &st->patches[i];
	size_t k;

	for (k = 0; k < i; k++) {
		const struct km_lp_patch *below = &st->patches[k].patch;
		char **on;

		if (!below->enabled || !patches_overlap(&p->patch, below))
			continue;
		on = realloc(p->stacked_on, (p->nr_stacked_on + 1) * sizeof(*on));
		if (!on)
			return -ENOMEM;
		p->stacked_on = on;
		on[p->nr_stacked_on] = strdup(below->name);
		if (!on[p->nr_stacked_on])
			return -ENOMEM;
		p->nr_stacked_on++;
	}
	return 0;
}

static int read_patches(const struct km_loader *l, struct km_status *st)
{
	struct km_lp_list list;
	size_t i;
	int ret;

	ret = km_lp_stack_order(l, &list);
	if (ret)
		return ret;
	st->patches = calloc(list.nr_patches ? list.nr_patches : 1,
			     sizeof(*st->patches));
	if (!st->patches) {
		km_lp_list_release(&list);
		return -ENOMEM;
	}
	for (i = 0; i < list.nr_patches; i++) {
		struct km_lp_status_patch *p = &st->patches[i];

		p->patch = list.patches[i];
		p->has_record = km_lp_read_record(l, p->patch.name,
						  &p->record) == 0;
		if (p->patch.transition && !st->in_transition)
			st->in_transition = strdup(p->patch.name);
	}
	st->nr_patches = list.nr_patches;
	free(list.patches);	/* the patches moved into st */
	for (i = 0; i < st->nr_patches && !ret; i++)
		ret = find_stacked_on(st, i);
	return ret;
}

/* The GNU build-id note of the running kernel, in hex. */
static char *read_build_id(const char *notes_path)
{
	struct km_buf b = KM_BUF_INIT, hex = KM_BUF_INIT;
	size_t off = 0;
	char *id = NULL;

	if (km_read_file(notes_path, &b))
		goto out;
	while (off + 12 <= b.len) {
		unsigned int nsz, dsz, type;
		size_t name_off = off + 12, desc_off, i;

		memcpy(&nsz, b.buf + off, 4);
		memcpy(&dsz, b.buf + off + 4, 4);
		memcpy(&type, b.buf + off + 8, 4);
		desc_off = name_off + ((nsz + 3u) & ~3u);
		if (nsz > b.len || dsz > b.len || desc_off + dsz > b.len)
			break;
		if (type == NT_GNU_BUILD_ID && nsz == 4 &&
		    !memcmp(b.buf + name_off, "GNU", 4)) {
			for (i = 0; i < dsz; i++)
				km_buf_addf(&hex, "%02x",
					    (unsigned char)b.buf[desc_off + i]);
			id = km_buf_detach(&hex);
			break;
		}
		off = desc_off + ((dsz + 3u) & ~3u);
	}
out:
	km_buf_release(&b);
	km_buf_release(&hex);
	return id;
}

static void read_taint(const struct km_loader *l, struct km_status *st)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/sys/kernel/tainted", l->proc);
	char letters[sizeof(taint_letters)];
	size_t i, n = 0;

	if (path && km_read_file(path, &b) == 0)
		st->taint = strtoul(b.buf, NULL, 10);
	for (i = 0; i < sizeof(taint_letters) - 1; i++)
		if (st->taint & (1UL << i))
			letters[n++] = taint_letters[i];
	letters[n] = '\0';
	st->taint_flags = strdup(letters);
	km_buf_release(&b);
	free(path);
}

int km_status_read(const struct km_loader *l, struct km_status *st)
{
	struct utsname u;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->krel = strdup(uname(&u) == 0 ? u.release : "unknown");
	st->build_id = read_build_id(l->kernel_notes);
	st->livepatch = km_is_dir(l->sysfs);
	read_taint(l, st);
	if (!st->krel || !st->taint_flags)
		ret = -ENOMEM;
	if (!ret && st->livepatch)
		ret = read_patches(l, st);
	if (ret)
		km_status_release(st);
	return ret;
}

void km_status_release(struct km_status *st)
{
	size_t i, k;

	for (i = 0; i < st->nr_patches; i++) {
		struct km_lp_status_patch *p = &st->patches[i];

		km_lp_patch_release(&p->patch);
		km_lp_record_release(&p->record);
		for (k = 0; k < p->nr_stacked_on; k++)
			free(p->stacked_on[k]);
		free(p->stacked_on);
	}
	free(st->patches);
	free(st->krel);
	free(st->build_id);
	free(st->taint_flags);
	free(st->in_transition);
	memset(st, 0, sizeof(*st));
}

static void string_or_null(struct km_json *j, const char *key, const char *v)
{
	if (v)
		km_json_string(j, key, v);
	else
		km_json_null(j, key);
}

static void status_patch_json(struct km_json *j,
			      const struct km_lp_status_patch *p)
{
	const struct km_lp_record *r = &p->record;
	size_t i;

	km_json_object_begin(j, NULL);
	km_json_string(j, "name", p->patch.name);
	km_json_bool(j, "enabled", p->patch.enabled);
	km_json_bool(j, "transition", p->patch.transition);
	km_json_array_begin(j, "functions");
	for (i = 0; i < p->patch.nr_funcs; i++)
		km_func_ref_json(j, NULL, &p->patch.funcs[i]);
	km_json_array_end(j);
	km_json_array_begin(j, "stacked_on");
	for (i = 0; i < p->nr_stacked_on; i++)
		km_json_string(j, NULL, p->stacked_on[i]);
	km_json_array_end(j);
	string_or_null(j, "module_file", p->has_record ? r->path : NULL);
	if (p->has_record && r->loaded)
		km_json_int(j, "loaded", (long long)r->loaded);
	else
		km_json_null(j, "loaded");
	km_json_bool(j, "replace", km_lp_status_replace(p));
	km_json_array_begin(j, "fixes");
	for (i = 0; i < r->nr_fixes; i++)
		km_json_string(j, NULL, r->fixes[i]);
	km_json_array_end(j);
	km_json_object_end(j);
}

void km_status_json(struct km_json *j, const struct km_status *st)
{
	size_t i;

	km_json_object_begin(j, NULL);
	km_json_string(j, "kernel", st->krel);
	string_or_null(j, "build_id", st->build_id);
	km_json_bool(j, "livepatch", st->livepatch);
	km_json_int(j, "taint", (long long)st->taint);
	km_json_string(j, "taint_flags", st->taint_flags);
	string_or_null(j, "in_transition", st->in_transition);
	km_json_array_begin(j, "patches");
	for (i = 0; i < st->nr_patches; i++)
		status_patch_json(j, &st->patches[i]);
	km_json_array_end(j);
	km_json_object_end(j);
}
