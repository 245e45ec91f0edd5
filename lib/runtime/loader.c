// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "state.h"
#include "transition.h"
#include "util.h"

#define POLL_INTERVAL_NS (100 * 1000 * 1000)

/* strerror() with a lowercase first letter, for our message style. */
static const char *errstr(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err < 0 ? -err : err));
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

#define ERRSTR(err) errstr((err), (char[128]){ 0 }, 128)

/* Patch names come from the user: never let one walk out of sysfs. */
static bool is_valid_name(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/');
}

void km_loader_init(struct km_loader *l, struct km_ctx *ctx)
{
	l->ctx = ctx;
	l->sysfs = KM_LIVEPATCH_SYSFS;
	l->proc = KM_PROC;
	l->sys_module = KM_SYS_MODULE;
	l->run_dir = KM_RUN_DIR;
	l->kernel_notes = KM_KERNEL_NOTES;
	l->timeout = KM_LOADER_TIMEOUT;
	l->progress_every = KM_LOADER_PROGRESS;
	l->grace = KM_LOADER_GRACE;
	l->signal = true;
	l->force = false;
	l->check = NULL;
}

static void sleep_a_little(void)
{
	struct timespec ts = { 0, POLL_INTERVAL_NS };

	nanosleep(&ts, NULL);
}

static char *patch_path(const struct km_loader *l, const char *name,
			const char *attr)
{
	if (attr)
		return km_strfmt("%s/%s/%s", l->sysfs, name, attr);
	return km_strfmt("%s/%s", l->sysfs, name);
}

static bool is_subdir(const char *parent, const char *name)
{
	char *path;
	bool ret;

	if (name[0] == '.')
		return false;
	path = km_strfmt("%s/%s", parent, name);
	ret = path && km_is_dir(path);
	free(path);
	return ret;
}

typedef int (*subdir_fn)(void *data, const char *dir, const char *name);

/*
 * fn(data, dir, name) for each subdirectory name of dir (not hidden ones),
 * until one fails: its result; -errno when dir cannot be read.
 */
static int for_each_subdir(const char *dir, subdir_fn fn, void *data)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d)))
		if (is_subdir(dir, de->d_name))
			ret = fn(data, dir, de->d_name);
	closedir(d);
	return ret;
}

static bool is_patch_loaded(const struct km_loader *l, const char *name)
{
	return is_valid_name(name) && is_subdir(l->sysfs, name);
}

/*
 * The attribute of a patch being freed (its transition just ended) reads
 * or writes ENODEV once the kernel has deactivated it: the patch is gone.
 */
static int gone_is_enoent(int ret)
{
	return ret == -ENODEV ? -ENOENT : ret;
}

/* A sysfs attribute holding 0 or 1. */
static int read_flag(const char *path, bool *value)
{
	struct km_buf b = KM_BUF_INIT;
	int ret = gone_is_enoent(km_read_file(path, &b));

	if (!ret) {
		if (b.buf[0] == '0' || b.buf[0] == '1')
			*value = b.buf[0] == '1';
		else
			ret = -EINVAL;
	}
	km_buf_release(&b);
	return ret;
}

static int read_patch_flag(const struct km_loader *l, const char *name,
			   const char *attr, bool *value)
{
	char *path = patch_path(l, name, attr);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = read_flag(path, value);
	if (ret == -EINVAL)
		km_err(l->ctx, "%s: expected 0 or 1: is this a livepatch "
		       "sysfs directory?", path);
	free(path);
	return ret;
}

/* The replace attribute: 6.12 has it, 6.1 does not (-1). */
static int read_replace_flag(const struct km_loader *l, const char *name,
			     int *replace)
{
	bool value = false;
	int ret = read_patch_flag(l, name, "replace", &value);

	*replace = ret ? -1 : value;
	return ret == -ENOENT ? 0 : ret;
}

static int write_patch_enabled(const struct km_loader *l, const char *name,
			       bool enable)
{
	char *path = patch_path(l, name, "enabled");
	int fd, ret = 0;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else {
		if (write(fd, enable ? "1\n" : "0\n", 2) != 2)
			ret = -errno;
		if (close(fd) && !ret)
			ret = -errno;
	}
	free(path);
	return gone_is_enoent(ret);
}

int km_lp_check_available(const struct km_loader *l, const char *what)
{
	if (km_is_dir(l->sysfs))
		return 0;
	if (what)
		km_err(l->ctx, "%s: livepatch is not enabled in this kernel "
		       "(no %s)", what, l->sysfs);
	return -ENODEV;
}

static int check_root(const struct km_loader *l, const char *what)
{
	if (geteuid() == 0)
		return 0;
	km_err(l->ctx, "%s: must be root", what);
	return -EPERM;
}

/*
 * The livepatch core drops its reference to the module from a work item
 * after the transition, so the module may be busy for a moment.
 */
static int remove_module(const struct km_loader *l, const char *name)
{
	double deadline = km_now() + l->timeout;
	int err;

	for (;;) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0)
			return 0;
		err = errno;
		if (err == ENOENT)
			return 0;
		if ((err != EBUSY && err != EAGAIN) || km_now() > deadline)
			break;
		sleep_a_little();
	}
	km_err(l->ctx, "cannot remove module '%s': %s", name, ERRSTR(err));
	return -err;
}

static const char *finit_module_hint(int err)
{
	switch (err) {
	case ENOEXEC:
		return "not a valid module for this kernel (bad ELF file or "
		       "wrong architecture); check dmesg";
	case EKEYREJECTED:
		return "the kernel rejected its signature; sign it with a key "
		       "the kernel trusts or boot without module.sig_enforce";
	case ENOKEY:
	case EBADMSG:
		return "the kernel requires signed modules and it is not signed "
		       "with a trusted key; sign it or boot without "
		       "module.sig_enforce";
	case EINVAL:
		return "the kernel refused it (version magic or symbol versions "
		       "differ, or its live patch failed to enable); check dmesg";
	case ENOENT:
		return "it needs a symbol this kernel does not have; check dmesg";
	case EBUSY:
		return "another live patch is in transition; wait for it "
		       "(see 'kmend list') and try again";
	case EEXIST:
		return "a module of that name is already loaded; see 'kmend list'";
	case EPERM:
		return "must be root (CAP_SYS_MODULE), and module loading must "
		       "not be disabled (kernel.modules_disabled)";
	case ENOSYS:
		return "this kernel has no module support";
	default:
		return NULL;
	}
}

static int insert_module(const struct km_loader *l, const char *path)
{
	char buf[128];
	const char *hint;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		km_err(l->ctx, "cannot open '%s': %s", path,
		       errstr(err, buf, sizeof(buf)));
		return -err;
	}
	if (syscall(SYS_finit_module, fd, "", 0) == 0) {
		close(fd);
		return 0;
	}
	err = errno;
	close(fd);
	hint = finit_module_hint(err);
	km_err(l->ctx, "cannot load '%s': %s", path,
	       hint ? hint : errstr(err, buf, sizeof(buf)));
	return err == ENOEXEC || err == EINVAL || err == EKEYREJECTED ||
	       err == ENOKEY || err == EBADMSG ? -ENOEXEC : -err;
}

static int check_vermagic(const struct km_loader *l,
			  const struct km_modinfo *mi)
{
	char *krel = km_modinfo_vermagic_krel(mi);
	struct utsname u;
	int ret = 0;

	if (!krel) {
		km_err(l->ctx, "cannot load '%s': it has no vermagic; is it "
		       "a kernel module?", mi->path);
		return -ENOEXEC;
	}
	if (uname(&u) == 0 && strcmp(krel, u.release)) {
		km_err(l->ctx, "cannot load '%s': it was built for kernel %s, "
		       "but this kernel is %s; build it for %s", mi->path, krel,
		       u.release, u.release);
		ret = -ENOEXEC;
	}
	free(krel);
	return ret;
}

static int check_no_transition(const struct km_loader *l, const char *what)
{
	char *busy = NULL;

	if (km_lp_transition_patch(l, &busy))
		return 0;
	km_err(l->ctx, "%s: the live patch '%s' is in transition; wait for "
	       "it (see 'kmend blocking') and try again", what, busy);
	free(busy);
	return -EBUSY;
}

/* Everything that can be refused before the kernel sees the module. */
static int check_loadable(const struct km_loader *l,
			  const struct km_modinfo *mi, const char *name)
{
	char *what = km_strfmt("cannot load '%s'", mi->path);
	int ret;

	if (!what)
		return -ENOMEM;
	if (!km_modinfo_is_livepatch(mi)) {
		km_err(l->ctx, "%s: not a livepatch module (its modinfo has no "
		       "livepatch=Y); build one with 'kmend build'", what);
		ret = -EINVAL;
	} else {
		ret = km_lp_check_available(l, what);
	}
	if (!ret)
		ret = check_root(l, what);
	if (!ret && is_patch_loaded(l, name)) {
		km_err(l->ctx, "%s: a live patch named '%s' is already loaded; "
		       "remove it first with 'kmend unload %s'", what, name,
		       name);
		ret = -EEXIST;
	}
	/* the machine's checks first: they say more than vermagic */
	if (!ret && l->check)
		ret = l->check(l->ctx, mi->path);
	if (!ret)
		ret = check_vermagic(l, mi);
	if (!ret)
		ret = check_no_transition(l, what);
	free(what);
	return ret;
}

/* Undo a load whose transition did not finish: reverse, then remove. */
static void revert_load(const struct km_loader *l, const char *name)
{
	int ret;

	km_info(l->ctx, "'%s': reverting the patch", name);
	ret = write_patch_enabled(l, name, false);
	if (ret && ret != -ENOENT) {
		km_err(l->ctx, "cannot disable '%s' to revert it: %s; it "
		       "stays loaded, see 'kmend list'", name, ERRSTR(ret));
		return;
	}
	ret = km_lp_wait_transition(l, name, KM_KLP_UNPATCHED);
	if (ret < 0) {
		km_err(l->ctx, "reverting '%s' did not finish within %g s "
		       "either; it stays loaded, see 'kmend list'", name,
		       l->timeout);
		return;
	}
	if (remove_module(l, name) == 0)
		km_info(l->ctx, "'%s': reverted and removed; the kernel is as "
			"it was", name);
}

/* start: when the module went to the kernel, which may finish the
 * transition already in the module's init */
static int wait_patched(const struct km_loader *l, const char *path,
			const char *name, double start)
{
	int ret;

	if (!is_patch_loaded(l, name)) {
		km_err(l->ctx, "'%s' was loaded but registered no live patch "
		       "(no %s/%s); removed it again", path, l->sysfs, name);
		remove_module(l, name);
		return -EINVAL;
	}
	km_info(l->ctx, "loaded '%s', waiting for the patching transition",
		name);
	ret = km_lp_wait_transition(l, name, KM_KLP_PATCHED);
	if (ret == -ETIMEDOUT) {
		km_err(l->ctx, "cannot load '%s': the patching transition of "
		       "'%s' did not finish within %g s; some task keeps "
		       "running a function it replaces", path, name,
		       l->timeout);
		revert_load(l, name);
		return ret;
	}
	if (ret < 0) {
		km_err(l->ctx, "cannot read the transition of '%s': %s", name,
		       ERRSTR(ret));
		revert_load(l, name);
		return ret;
	}
	if (ret == KM_LP_FORCED)
		km_warn(l->ctx, "'%s' applied by force in %.2f s", name,
			km_now() - start);
	else
		km_info(l->ctx, "'%s' applied in %.2f s", name,
			km_now() - start);
	return ret;
}

static void record_load(const struct km_loader *l, const char *name,
			const struct km_modinfo *mi)
{
	int ret = km_lp_record_load(l, name, mi);

	if (ret)
		km_warn(l->ctx, "cannot record '%s' in %s: %s; 'kmend status' "
			"will not know when it was loaded", name, l->run_dir,
			ERRSTR(ret));
}

int km_lp_load(const struct km_loader *l, const char *path, char **name_out)
{
	struct km_lp_list before = { 0 };
	struct km_modinfo mi;
	double start;
	char *name;
	int ret;

	ret = km_modinfo_read(l->ctx, path, &mi);
	if (ret)
		return ret;
	name = km_modinfo_module_name(&mi);
	if (!name) {
		km_modinfo_release(&mi);
		return -ENOMEM;
	}
	ret = check_loadable(l, &mi, name);
	if (!ret)
		ret = km_lp_list(l, &before);
	start = km_now();
	if (!ret)
		ret = insert_module(l, path);
	if (!ret)
		ret = wait_patched(l, path, name, start);
	if (ret >= 0) {
		record_load(l, name, &mi);
		km_lp_remove_retired(l, &before);
	}
	km_lp_list_release(&before);
	km_modinfo_release(&mi);
	if (ret >= 0 && name_out)
		*name_out = name;
	else
		free(name);
	return ret;
}

static bool is_patch_enabled(const struct km_loader *l, const char *name)
{
	bool enabled = false;

	return read_patch_flag(l, name, "enabled", &enabled) == 0 && enabled;
}

int km_lp_remove_retired(const struct km_loader *l,
			 const struct km_lp_list *before)
{
	size_t i;
	int n = 0, ret;

	for (i = 0; i < before->nr_patches; i++) {
		const char *name = before->patches[i].name;

		if (!before->patches[i].enabled || is_patch_enabled(l, name))
			continue;
		ret = remove_module(l, name);
		if (ret)
			return ret;
		km_lp_forget_load(l, name);
		km_info(l->ctx, "'%s' was replaced: its module is removed",
			name);
		n++;
	}
	return n;
}

/* NAME, NAME with '-' as '_', or the name inside a module file. */
static char *resolve_patch_name(const struct km_loader *l, const char *arg)
{
	struct km_modinfo mi;
	char *name;

	if (is_patch_loaded(l, arg))
		return strdup(arg);
	name = km_module_name_of_path(arg);
	if (name && is_patch_loaded(l, name))
		return name;
	free(name);
	if (km_ends_with(arg, ".ko") && km_is_file(arg) &&
	    km_modinfo_read(NULL, arg, &mi) == 0) {
		name = km_modinfo_module_name(&mi);
		km_modinfo_release(&mi);
		if (name && is_patch_loaded(l, name))
			return name;
		free(name);
	}
	return NULL;
}

static int disable_patch(const struct km_loader *l, const char *name)
{
	bool enabled = true, busy = false;
	int ret;

	read_patch_flag(l, name, "transition", &busy);
	ret = read_patch_flag(l, name, "enabled", &enabled);
	if (!ret && !enabled && !busy)
		return 0;
	if (busy)
		km_info(l->ctx, "'%s' is in transition: reversing it", name);
	ret = write_patch_enabled(l, name, false);
	if (ret == -EBUSY)
		km_err(l->ctx, "cannot unload '%s': another live patch is in "
		       "transition; wait for it (see 'kmend list') and try "
		       "again", name);
	else if (ret && ret != -ENOENT)
		km_err(l->ctx, "cannot unload '%s': cannot write %s/%s/enabled: "
		       "%s", name, l->sysfs, name, ERRSTR(ret));
	return ret == -ENOENT ? 0 : ret;
}

static int unpatch_and_remove(const struct km_loader *l, const char *name)
{
	double start = km_now();
	bool forced;
	int ret;

	ret = disable_patch(l, name);
	if (ret)
		return ret;
	km_info(l->ctx, "disabled '%s', waiting for the unpatching transition",
		name);
	ret = km_lp_wait_transition(l, name, KM_KLP_UNPATCHED);
	if (ret < 0 && ret != -ETIMEDOUT)
		km_err(l->ctx, "cannot unload '%s': cannot read its transition "
		       "in %s: %s", name, l->sysfs, ERRSTR(ret));
	if (ret == -ETIMEDOUT) {
		km_err(l->ctx, "cannot unload '%s': the unpatching transition "
		       "did not finish within %g s; re-enabling it, the "
		       "patch stays applied", name, l->timeout);
		if (write_patch_enabled(l, name, true) == 0)
			km_lp_wait_transition(l, name, KM_KLP_PATCHED);
		return ret;
	}
	if (ret < 0)
		return ret;
	forced = ret == KM_LP_FORCED;
	if (forced) {
		km_warn(l->ctx, "'%s' disabled by force; the kernel keeps its "
			"module loaded until reboot", name);
		km_lp_forget_load(l, name);
		return KM_LP_FORCED;
	}
	ret = remove_module(l, name);
	if (!ret) {
		km_lp_forget_load(l, name);
		km_info(l->ctx, "'%s' removed in %.2f s", name,
			km_now() - start);
	}
	return ret;
}

int km_lp_unload(const struct km_loader *l, const char *arg)
{
	char *what = km_strfmt("cannot unload '%s'", arg);
	char *name = NULL;
	int ret;

	if (!what)
		return -ENOMEM;
	ret = km_lp_check_available(l, what);
	if (!ret) {
		name = resolve_patch_name(l, arg);
		if (!name) {
			km_err(l->ctx, "no live patch named '%s' is loaded; see "
			       "'kmend list'", arg);
			ret = -ENOENT;
		}
	}
	if (!ret)
		ret = check_root(l, what);
	if (!ret)
		ret = unpatch_and_remove(l, name);
	free(name);
	free(what);
	return ret;
}

/* "cmdline_proc_show,1" in object dir obj -> a function reference. */
static int parse_func_dir(const char *obj, const char *dir,
			  struct km_func_ref *f)
{
	char *ref = km_strfmt("%s:%s", obj, dir);
	int ret;

	if (!ref)
		return -ENOMEM;
	ret = km_func_ref_parse(ref, f);
	free(ref);
	return ret;
}

/* The patch whose object directory obj is being read. */
struct object_walk {
	struct km_lp_patch *p;
	const char *obj;
};

/* A subdirectory of an object directory (a subdir_fn). */
static int add_func(void *data, const char *obj_dir, const char *name)
{
	struct object_walk *w = data;
	struct km_lp_patch *p = w->p;
	struct km_func_ref *funcs;
	int ret;

	funcs = realloc(p->funcs, (p->nr_funcs + 1) * sizeof(*funcs));
	if (!funcs)
		return -ENOMEM;
	p->funcs = funcs;
	ret = parse_func_dir(w->obj, name, &p->funcs[p->nr_funcs]);
	if (ret == -EINVAL)
		return 0;	/* not a function directory: ignore */
	if (!ret)
		p->nr_funcs++;
	return ret;
}

/* A subdirectory of a patch directory (a subdir_fn, data is the patch). */
static int read_object_funcs(void *data, const char *patch_dir,
			     const char *obj)
{
	struct object_walk w = { data, obj };
	char *dir = km_strfmt("%s/%s", patch_dir, obj);
	int ret;

	if (!dir)
		return -ENOMEM;
	ret = for_each_subdir(dir, add_func, &w);
	free(dir);
	return ret == -ENOENT ? 0 : ret;	/* gone since: nothing to add */
}

static int read_patch_funcs(const struct km_loader *l, struct km_lp_patch *p)
{
	char *dir = patch_path(l, p->name, NULL);
	int ret;

	if (!dir)
		return -ENOMEM;
	ret = for_each_subdir(dir, read_object_funcs, p);
	free(dir);
	return ret;
}

static int compare_funcs(const void *a, const void *b)
{
	const struct km_func_ref *x = a, *y = b;
	int c = strcmp(x->object, y->object);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = (x->sympos > y->sympos) - (x->sympos < y->sympos);
	return c;
}

int km_lp_get(const struct km_loader *l, const char *name,
	      struct km_lp_patch *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (!is_patch_loaded(l, name))
		return -ENOENT;
	p->name = strdup(name);
	if (!p->name)
		return -ENOMEM;
	ret = read_patch_flag(l, name, "enabled", &p->enabled);
	if (!ret)
		ret = read_patch_flag(l, name, "transition", &p->transition);
	if (!ret)
		ret = read_replace_flag(l, name, &p->replace);
	if (!ret)
		ret = read_patch_funcs(l, p);
	if (ret) {
		km_lp_patch_release(p);
		return ret;
	}
	qsort(p->funcs, p->nr_funcs, sizeof(*p->funcs), compare_funcs);
	return 0;
}

void km_lp_patch_release(struct km_lp_patch *p)
{
	size_t i;

	for (i = 0; i < p->nr_funcs; i++)
		km_func_ref_release(&p->funcs[i]);
	free(p->funcs);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

static int add_patch(const struct km_loader *l, struct km_lp_list *list,
		     const char *name)
{
	struct km_lp_patch *patches;
	int ret;

	patches = realloc(list->patches,
			  (list->nr_patches + 1) * sizeof(*patches));
	if (!patches)
		return -ENOMEM;
	list->patches = patches;
	ret = km_lp_get(l, name, &list->patches[list->nr_patches]);
	if (ret == -ENOENT)
		return 0;	/* removed while we looked */
	if (!ret)
		list->nr_patches++;
	return ret;
}

struct list_walk {
	const struct km_loader *l;
	struct km_lp_list *list;
	int err;	/* add_patch()'s, to tell it from not reading sysfs */
};

/* A subdirectory of the livepatch sysfs directory (a subdir_fn). */
static int list_patch(void *data, const char *sysfs, const char *name)
{
	struct list_walk *w = data;

	w->err = add_patch(w->l, w->list, name);
	return w->err;
}

static int compare_patches(const void *a, const void *b)
{
	const struct km_lp_patch *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int km_lp_list(const struct km_loader *l, struct km_lp_list *list)
{
	struct list_walk w = { .l = l, .list = list };
	int ret;

	memset(list, 0, sizeof(*list));
	ret = km_lp_check_available(l, "cannot list live patches");
	if (ret)
		return ret;
	ret = for_each_subdir(l->sysfs, list_patch, &w);
	if (ret && !w.err)
		km_err(l->ctx, "cannot list live patches: cannot read %s: %s",
		       l->sysfs, ERRSTR(ret));
	else if (ret)
		km_err(l->ctx, "cannot list live patches: %s", ERRSTR(ret));
	if (ret) {
		km_lp_list_release(list);
		return ret;
	}
	if (list->nr_patches)
		qsort(list->patches, list->nr_patches, sizeof(*list->patches),
		      compare_patches);
	return 0;
}

void km_lp_list_release(struct km_lp_list *list)
{
	size_t i;

	for (i = 0; i < list->nr_patches; i++)
		km_lp_patch_release(&list->patches[i]);
	free(list->patches);
	memset(list, 0, sizeof(*list));
}

void km_func_ref_json(struct km_json *j, const char *key,
		      const struct km_func_ref *f)
{
	km_json_object_begin(j, key);
	km_json_string(j, "object", f->object);
	km_json_string(j, "function", f->name);
	km_json_int(j, "sympos", (long long)f->sympos);
	km_json_object_end(j);
}

void km_lp_patch_json(struct km_json *j, const char *key,
		      const struct km_lp_patch *p)
{
	size_t i;

	km_json_object_begin(j, key);
	km_json_string(j, "name", p->name);
	km_json_bool(j, "enabled", p->enabled);
	km_json_bool(j, "transition", p->transition);
	km_json_array_begin(j, "functions");
	for (i = 0; i < p->nr_funcs; i++)
		km_func_ref_json(j, NULL, &p->funcs[i]);
	km_json_array_end(j);
	km_json_object_end(j);
}
