// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "kblink.h"
#include "klp.h"
#include "kmod.h"
#include "util.h"

#ifndef KMEND_VERSION
#define KMEND_VERSION "0.1"
#endif

char *km_kmod_default_name(const char *patch_path)
{
	char *copy = strdup(patch_path), *base, *dot, *name, *p;

	if (!copy)
		return NULL;
	base = basename(copy);
	dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	name = km_strfmt("kmend_%s", base);
	free(copy);
	for (p = name; p && *p; p++)
		if (!isalnum((unsigned char)*p))
			*p = '_';
	if (name && strlen(name) > 55)
		name[55] = '\0';	/* MODULE_NAME_LEN is 56 */
	return name;
}

bool km_kmod_is_valid_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > 55)
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/* A C string literal's contents: quotes and backslashes escaped. */
static int add_c_string(struct km_buf *b, const char *s)
{
	int ret = 0;

	for (; *s && !ret; s++) {
		if (*s == '"' || *s == '\\')
			ret = km_buf_addf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			ret = km_buf_addf(b, "\\x%02x", (unsigned char)*s);
		else
			ret = km_buf_add(b, s, 1);
	}
	return ret;
}

static bool same_object(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool is_pre_patch(const struct km_kmod_callback *cb)
{
	return !strcmp(cb->kind, "pre_patch");
}

static int declare_callbacks(struct km_buf *b, const struct km_kmod *m)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < m->nr_callbacks && !ret; i++)
		ret = km_buf_addf(b, "extern %s %s(struct klp_object *obj);\n",
				  is_pre_patch(&m->callbacks[i]) ? "int" : "void",
				  m->callbacks[i].func);
	return ret;
}

/* The patch's objects (NULL: vmlinux), in order of first mention. */
struct objects {
	const char **names;
	size_t n;
};

static int add_object_name(struct objects *o, const char *name)
{
	size_t i;
	void *n;

	for (i = 0; i < o->n; i++)
		if (same_object(o->names[i], name))
			return 0;
	n = realloc(o->names, (o->n + 1) * sizeof(*o->names));
	if (!n)
		return -ENOMEM;
	o->names = n;
	o->names[o->n++] = name;
	return 0;
}

static int list_objects(const struct km_kmod *m, struct objects *o)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < m->nr_funcs && !ret; i++)
		ret = add_object_name(o, m->funcs[i].object);
	for (i = 0; i < m->nr_callbacks && !ret; i++)
		ret = add_object_name(o, m->callbacks[i].object);
	return ret;
}

/* funcs_K[]: the functions of object K (none: callbacks only). */
static int add_object_funcs(struct km_buf *b, const struct km_kmod *m,
			    const char *obj, size_t k)
{
	size_t i;
	int ret;

	ret = km_buf_addf(b, "\nstatic struct klp_func funcs_%zu[] = {\n", k);
	for (i = 0; i < m->nr_funcs && !ret; i++) {
		if (!same_object(m->funcs[i].object, obj))
			continue;
		ret = km_buf_addf(b, "\t{\n\t\t.old_name = \"%s\",\n"
				  "\t\t.new_func = %s,\n\t\t.old_sympos = %lu,\n\t},\n",
				  m->funcs[i].old_name, m->funcs[i].new_name,
				  m->funcs[i].sympos);
	}
	return ret ? ret : km_buf_adds(b, "\t{ }\n};\n");
}

/* ".callbacks = { .pre_patch = f, ... }," of the object (NULL: vmlinux) */
static int add_object_callbacks(struct km_buf *b, const struct km_kmod *m,
				const char *object)
{
	size_t i;
	int ret = 0, n = 0;

	for (i = 0; i < m->nr_callbacks && !ret; i++) {
		if (!same_object(m->callbacks[i].object, object))
			continue;
		if (!n++)
			ret = km_buf_adds(b, "\t\t.callbacks = {\n");
		if (!ret)
			ret = km_buf_addf(b, "\t\t\t.%s = %s,\n",
					  m->callbacks[i].kind,
					  m->callbacks[i].func);
	}
	return ret || !n ? ret : km_buf_adds(b, "\t\t},\n");
}

static int add_object(struct km_buf *b, const struct km_kmod *m,
		      const char *obj, size_t k)
{
	int ret;

	if (obj)
		ret = km_buf_addf(b, "\t{\n\t\t.name = \"%s\",\n", obj);
	else
		ret = km_buf_adds(b, "\t{\n\t\t/* name NULL: vmlinux */\n");
	if (!ret)
		ret = km_buf_addf(b, "\t\t.funcs = funcs_%zu,\n", k);
	if (!ret)
		ret = add_object_callbacks(b, m, obj);
	return ret ? ret : km_buf_adds(b, "\t},\n");
}

/*
 * One klp_object per patched object, vmlinux (name NULL) or a module
 * (.name = "binfmt_misc"), with its functions and callbacks: the livepatch
 * core patches a module's functions, applies its .klp.rela.<module>.*
 * sections and runs its callbacks when the module is loaded, now or later.
 */
static int add_objects(struct km_buf *b, const struct km_kmod *m)
{
	struct objects o = { NULL, 0 };
	size_t i;
	int ret;

	ret = list_objects(m, &o);
	for (i = 0; i < m->nr_funcs && !ret; i++)
		ret = km_buf_addf(b, "extern char %s[];\n", m->funcs[i].new_name);
	for (i = 0; i < o.n && !ret; i++)
		ret = add_object_funcs(b, m, o.names[i], i);
	if (!ret)
		ret = km_buf_adds(b, "\nstatic struct klp_object objs[] = {\n");
	for (i = 0; i < o.n && !ret; i++)
		ret = add_object(b, m, o.names[i], i);
	free(o.names);
	return ret ? ret : km_buf_adds(b, "\t{ }\n};\n");
}

static int add_modinfo(struct km_buf *b, const struct km_kmod *m)
{
	size_t i;
	int ret;

	ret = km_buf_addf(b, "MODULE_LICENSE(\"GPL\");\n"
			  "MODULE_INFO(livepatch, \"Y\");\n"
			  "MODULE_INFO(kmend_version, \"%s\");\n"
			  "MODULE_INFO(kmend_kernel, \"%s\");\n",
			  KMEND_VERSION, m->krel);
	if (!ret && m->replace)
		ret = km_buf_adds(b, "MODULE_INFO(kmend_replace, \"Y\");\n");
	for (i = 0; i < m->nr_funcs && !ret; i++)
		ret = km_buf_addf(b, "MODULE_INFO(kmend_func, \"%s:%s,%lu\");\n",
				  m->funcs[i].object ? m->funcs[i].object :
				  "vmlinux", m->funcs[i].old_name,
				  m->funcs[i].sympos);
	for (i = 0; i < m->nr_patches && !ret; i++) {
		char *copy = strdup(m->patches[i]);

		ret = copy ? km_buf_adds(b, "MODULE_INFO(kmend_patch, \"") : -ENOMEM;
		if (!ret)
			ret = add_c_string(b, basename(copy));
		if (!ret)
			ret = km_buf_adds(b, "\");\n");
		free(copy);
	}
	for (i = 0; i < m->nr_build_ids && !ret; i++)
		ret = km_buf_addf(b, "MODULE_INFO(kmend_buildid, \"%s\");\n",
				  m->build_ids[i]);
	/* MODULE_INFO rather than MODULE_IMPORT_NS: the same on every kernel
	 * (the macro takes a string only from 6.13 on) */
	for (i = 0; i < m->nr_namespaces && !ret; i++)
		ret = km_buf_addf(b, "MODULE_INFO(import_ns, \"%s\");\n",
				  m->namespaces[i]);
	if (!ret)
		ret = km_buf_adds(b, "MODULE_DESCRIPTION(\"live patch built by kmend\");\n");
	return ret;
}

static int generate_source(const struct km_kmod *m, struct km_buf *b)
{
	int ret;

	ret = km_buf_adds(b,
		"// SPDX-License-Identifier: GPL-2.0\n"
		"/* Generated by kmend: the klp_patch of this live patch. */\n"
		"#include <linux/kernel.h>\n"
		"#include <linux/livepatch.h>\n"
		"#include <linux/module.h>\n\n");
	if (!ret)
		ret = declare_callbacks(b, m);
	if (!ret)
		ret = add_objects(b, m);
	if (!ret)
		ret = km_buf_adds(b,
			"\nstatic struct klp_patch patch = {\n"
			"\t.mod = THIS_MODULE,\n\t.objs = objs,\n");
	if (!ret && m->replace)
		ret = km_buf_adds(b, "\t.replace = true,\n");
	if (!ret)
		ret = km_buf_adds(b, "};\n\n"
			"static int __init kmend_patch_init(void)\n{\n"
			"\treturn klp_enable_patch(&patch);\n}\n\n"
			"static void __exit kmend_patch_exit(void)\n{\n}\n\n"
			"module_init(kmend_patch_init);\n"
			"module_exit(kmend_patch_exit);\n");
	if (!ret)
		ret = add_modinfo(b, m);
	return ret;
}

static int write_text(struct km_ctx *ctx, const char *dir, const char *file,
		      const struct km_buf *b)
{
	char *path = km_strfmt("%s/%s", dir, file);
	int ret = path ? km_write_scratch_file(path, b->buf, b->len) : -ENOMEM;

	if (ret && path)
		km_err(ctx, "cannot write '%s': %s", path, strerror(-ret));
	free(path);
	return ret;
}

/*
 * Kbuild's modpost reads each member object's .cmd file (for the symbol
 * versions of what it exports): a prebuilt object needs one too.
 */
static int write_prebuilt_cmd(const char *workdir, size_t i)
{
	char *path = km_strfmt("%s/.kmend-patch-%zu.o.cmd", workdir, i);
	char *text = km_strfmt("cmd_kmend-patch-%zu.o := # written by kmend diff\n", i);
	int ret = path && text ? km_write_scratch_file(path, text, strlen(text))
			       : -ENOMEM;

	free(path);
	free(text);
	return ret;
}

/* The Kbuild file and the objects it links, copied into workdir. */
static int write_kbuild(struct km_ctx *ctx, const struct km_kmod *m,
			const char *workdir)
{
	struct km_buf b = KM_BUF_INIT;
	size_t i;
	int ret;

	ret = km_buf_addf(&b, "obj-m := %s.o\n%s-y := kmend-livepatch.o",
			  m->name, m->name);
	for (i = 0; i < m->nr_objects && !ret; i++) {
		char *dst = km_strfmt("%s/kmend-patch-%zu.o", workdir, i);

		ret = dst ? km_copy_scratch_file(m->objects[i], dst) : -ENOMEM;
		if (ret)
			km_err(ctx, "cannot copy '%s' into '%s': %s", m->objects[i],
			       workdir, strerror(-ret));
		free(dst);
		if (!ret)
			ret = write_prebuilt_cmd(workdir, i);
		if (!ret)
			ret = km_buf_addf(&b, " kmend-patch-%zu.o", i);
	}
	if (!ret)
		ret = km_buf_adds(&b, "\n");
	if (!ret)
		ret = write_text(ctx, workdir, "Kbuild", &b);
	km_buf_release(&b);
	return ret;
}

/*
 * modpost does not know livepatch symbols and calls them undefined; any
 * other undefined symbol is a real error.
 */
static int check_modpost(struct km_ctx *ctx, const char *log)
{
	const char *line = log;
	int bad = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (memmem(line, len, "undefined!", 10) &&
		    !memmem(line, len, "\"" KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX) + 1) &&
		    !memmem(line, len, "\"" KLP_DEP_PREFIX, strlen(KLP_DEP_PREFIX) + 1)) {
			km_err(ctx, "the patch module refers to a symbol the kernel "
			       "does not have: %.*s", (int)len, line);
			bad++;
		}
		line = end ? end + 1 : NULL;
	}
	return bad ? -ENOENT : 0;
}

static int run_kbuild(struct km_ctx *ctx, const struct km_kmod *m,
		      const char *workdir)
{
	const struct km_kblink link = { .headers = m->headers, .dir = workdir,
					.name = m->name, .env = m->kbuild_env };
	struct km_buf out = KM_BUF_INIT;
	int ret = km_kblink_run(ctx, &link, &out);

	if (ret < 0) {
		km_err(ctx, "cannot run make: %s: install make (build-essential)",
		       strerror(-ret));
	} else if (ret > 0) {
		km_err(ctx, "linking the patch module with Kbuild (%s) failed:\n%s",
		       m->headers, out.buf ? out.buf : "");
		ret = -EIO;
	} else {
		km_debug(ctx, "%s", out.buf ? out.buf : "");
		ret = check_modpost(ctx, out.buf);
	}
	km_buf_release(&out);
	return ret;
}

int km_kmod_build(struct km_ctx *ctx, const struct km_kmod *m,
		  const char *workdir, const char *out_ko)
{
	struct km_buf src = KM_BUF_INIT;
	char *linked = NULL;
	int ret;

	ret = generate_source(m, &src);
	if (!ret)
		ret = write_text(ctx, workdir, "kmend-livepatch.c", &src);
	km_buf_release(&src);
	if (!ret)
		ret = write_kbuild(ctx, m, workdir);
	if (!ret)
		ret = run_kbuild(ctx, m, workdir);
	if (!ret) {
		linked = km_strfmt("%s/%s.ko", workdir, m->name);
		ret = linked ? km_klp_convert(ctx, linked, out_ko) : -ENOMEM;
		if (ret >= 0) {
			km_debug(ctx, "%d livepatch relocations", ret);
			ret = 0;
		}
	}
	free(linked);
	return ret;
}
