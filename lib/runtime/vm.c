// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfile.h"
#include "modinfo.h"
#include "util.h"
#include "vm.h"

#define MARKER "@@kmend "

/* One run of the VM: where its files are and what the console said. */
struct vm_run {
	struct km_ctx *ctx;
	const struct km_vm_opts *opts;
	struct km_vm_report *report;
	double start;
	char *dir;		/* work directory (--keep DIR or a temp dir) */
	char *root;		/* dir/root: the initramfs tree */
	char *initrd;		/* dir/initrd.gz */
	struct km_buf console;
	struct km_buf line;	/* the console line being received */
	struct km_buf step_out;	/* output since the last marker */
	struct km_buf klog;	/* between dmesg markers */
	bool in_dmesg;
	bool saw_dmesg;
	bool saw_up;
	bool saw_begin;
	struct km_buf after_begin;	/* console from the first test on */
};

static const char *const step_names[KM_VM_NR_STEPS] = {
	[KM_VM_BEGIN] = "begin",
	[KM_VM_CHECK_BEFORE] = "check-before",
	[KM_VM_LOAD] = "load",
	[KM_VM_LIST] = "list",
	[KM_VM_INFO] = "info",
	[KM_VM_CHECK_LOADED] = "check-loaded",
	[KM_VM_UNLOAD] = "unload",
	[KM_VM_CHECK_AFTER] = "check-after",
	[KM_VM_END] = "end",
};

const char *km_vm_step_name(enum km_vm_step step)
{
	return step < KM_VM_NR_STEPS ? step_names[step] : "?";
}

static const char *errstr(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err < 0 ? -err : err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

#define ERRSTR(err) errstr((err), (char[128]){ 0 }, 128)

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void progress(struct vm_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress(struct vm_run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	km_info(r->ctx, "[%5.1fs] %s", km_now() - r->start, msg);
}

/* ---- checks on the host ---- */

/* No PT_INTERP: the program runs without a dynamic loader. */
static int is_static_elf(const char *path, bool *is_static)
{
	size_t i, nr;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nr)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	*is_static = true;
	for (i = 0; i < nr; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			*is_static = false;
	}
	elf_end(elf);
	close(fd);
	return 0;
}

static int check_static_program(struct km_ctx *ctx, const char *path,
				const char *what, const char *remedy)
{
	bool is_static = false;
	int ret;

	if (!km_is_file(path)) {
		km_err(ctx, "%s '%s' not found: %s", what, path, remedy);
		return -ENOENT;
	}
	ret = is_static_elf(path, &is_static);
	if (ret) {
		km_err(ctx, "cannot read %s '%s': %s", what, path, ERRSTR(ret));
		return ret;
	}
	if (!is_static) {
		km_err(ctx, "%s '%s' is not statically linked, so it cannot "
		       "run in the test VM: %s", what, path, remedy);
		return -ENOEXEC;
	}
	return 0;
}

static int check_module(struct km_ctx *ctx, const char *path,
			const char *krel)
{
	struct km_modinfo mi;
	char *built_for;
	int ret;

	ret = km_modinfo_read(ctx, path, &mi);
	if (ret)
		return ret;
	built_for = km_modinfo_vermagic_krel(&mi);
	if (!km_modinfo_is_livepatch(&mi)) {
		km_err(ctx, "cannot test '%s': not a livepatch module (its "
		       "modinfo has no livepatch=Y)", path);
		ret = -EINVAL;
	} else if (!built_for) {
		km_err(ctx, "cannot test '%s': it has no vermagic; is it a "
		       "kernel module?", path);
		ret = -ENOEXEC;
	} else if (strcmp(built_for, krel)) {
		km_err(ctx, "cannot test '%s': it was built for kernel %s, not "
		       "%s; rebuild it for %s or test it with -k %s", path,
		       built_for, krel, krel, built_for);
		ret = -ENOEXEC;
	}
	free(built_for);
	km_modinfo_release(&mi);
	return ret;
}

/* A script's files may be anything (a corrupt module, to try) */
static int check_file(struct km_ctx *ctx, const char *path)
{
	if (km_is_file(path))
		return 0;
	km_err(ctx, "cannot test with '%s': no such file", path);
	return -ENOENT;
}

static int check_script(struct km_ctx *ctx, const char *check)
{
	if (!km_is_file(check)) {
		km_err(ctx, "check script '%s' does not exist", check);
		return -ENOENT;
	}
	if (access(check, X_OK)) {
		km_err(ctx, "check script '%s' is not executable; make it so "
		       "with 'chmod +x %s'", check, check);
		return -EACCES;
	}
	return 0;
}

static const char *qemu_of(const struct km_vm_opts *o)
{
	return o->qemu ? o->qemu : KM_VM_QEMU;
}

static const char *busybox_of(const struct km_vm_opts *o)
{
	return o->busybox ? o->busybox : KM_VM_BUSYBOX;
}

int km_vm_check_inputs(struct km_ctx *ctx, const struct km_vm_opts *o)
{
	size_t i;
	int ret = 0;

	if (!o->nr_modules && !o->script) {
		km_err(ctx, "no module to test: give at least one .ko file");
		return -EINVAL;
	}
	for (i = 0; i < o->nr_modules && !ret; i++)
		ret = o->script ? check_file(ctx, o->modules[i]) :
				  check_module(ctx, o->modules[i], o->krel);
	if (!ret && access(o->image, R_OK)) {
		ret = -errno;
		km_err(ctx, "cannot read the kernel image '%s': %s (Debian "
		       "makes it readable by root only: run as root)", o->image,
		       ERRSTR(ret));
	}
	if (!ret && o->check)
		ret = check_script(ctx, o->check);
	if (!ret && o->script)
		ret = check_script(ctx, o->script);
	if (!ret)
		ret = check_static_program(ctx, busybox_of(o), "busybox",
					   "install busybox-static");
	if (!ret)
		ret = check_static_program(ctx, o->kmend_static, "static kmend",
					   "build it with 'make static' or "
					   "name it with $KMEND_STATIC");
	if (!ret && !km_is_in_path(qemu_of(o))) {
		km_err(ctx, "%s not found: install qemu-system-x86",
		       qemu_of(o));
		ret = -ENOENT;
	}
	return ret;
}

/* ---- the initramfs ---- */

static int make_work_dir(struct vm_run *r)
{
	int ret;

	if (r->opts->keep_dir) {
		ret = km_mkdir_p(r->opts->keep_dir, 0755);
		if (ret) {
			km_err(r->ctx, "cannot create '%s': %s",
			       r->opts->keep_dir, ERRSTR(ret));
			return ret;
		}
		/* Absolute: cpio runs in the tree, QEMU wherever we are. */
		r->dir = realpath(r->opts->keep_dir, NULL);
	} else {
		r->dir = km_make_tempdir(r->ctx, "kmend-test");
		if (!r->dir)
			return -errno;
	}
	r->root = km_strfmt("%s/root", r->dir);
	r->initrd = km_strfmt("%s/initrd.gz", r->dir);
	if (!r->dir || !r->root || !r->initrd)
		return -ENOMEM;
	/* A kept directory may hold the tree of an earlier run. */
	return km_rm_rf(r->root);
}

static int make_dirs(struct vm_run *r)
{
	static const char *const dirs[] = {
		"bin", "dev", "proc", "sys", "tmp", "t",
	};
	size_t i;
	char *p;
	int ret = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !ret; i++) {
		p = km_strfmt("%s/%s", r->root, dirs[i]);
		ret = p ? km_mkdir_p(p, 0755) : -ENOMEM;
		free(p);
	}
	if (!ret) {
		p = km_strfmt("%s/lib/modules/%s", r->root, r->opts->krel);
		ret = p ? km_mkdir_p(p, 0755) : -ENOMEM;
		free(p);
	}
	return ret;
}

/* Copy src to root/dst with the given mode. */
static int add_file(struct vm_run *r, const char *src, const char *dst,
		    mode_t mode)
{
	char *path = km_strfmt("%s/%s", r->root, dst);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = km_copy_file(src, path);
	if (!ret && chmod(path, mode))
		ret = -errno;
	if (ret)
		km_err(r->ctx, "cannot copy '%s' into the initramfs: %s", src,
		       ERRSTR(ret));
	free(path);
	return ret;
}

static bool is_module_metadata(const char *name)
{
	static const char *const prefixes[] = {
		"modules.dep", "modules.alias", "modules.symbols",
		"modules.builtin", "modules.order", "modules.softdep",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (km_starts_with(name, prefixes[i]))
			return true;
	return false;
}

/* modules.dep and friends, so that modprobe works for a check script. */
static int add_module_metadata(struct vm_run *r)
{
	const char *from = r->opts->modules_dir;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!from)
		return 0;
	d = opendir(from);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		char *src, *dst;

		if (!is_module_metadata(de->d_name))
			continue;
		src = km_strfmt("%s/%s", from, de->d_name);
		dst = km_strfmt("lib/modules/%s/%s", r->opts->krel, de->d_name);
		ret = src && dst ? add_file(r, src, dst, 0644) : -ENOMEM;
		free(src);
		free(dst);
	}
	closedir(d);
	return ret;
}

/*
 * A compressed module (Debian 6.12's .ko.xz) goes in decompressed: the
 * kernel decompresses only for finit_module's MODULE_INIT_COMPRESSED_FILE,
 * which busybox's modprobe does not pass (it logs "Invalid ELF header
 * magic" for each, then decompresses itself, if built to).
 */
static int add_decompressed(struct vm_run *r, const char *src, const char *dst)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s", r->root, dst);
	int ret = path ? km_read_decompressed(r->ctx, src, &b) : -ENOMEM;

	if (!ret)
		ret = km_write_file_atomic(path, b.buf, b.len);
	if (!ret && chmod(path, 0644))
		ret = -errno;
	if (ret && ret != -EBADMSG && ret != -EPROTONOSUPPORT)
		km_err(r->ctx, "cannot put '%s' into the initramfs: %s", src,
		       ERRSTR(ret));
	km_buf_release(&b);
	free(path);
	return ret;
}

/* Copies one module of the tree, path relative to the modules dir. */
static int add_tree_module(struct vm_run *r, const char *path, size_t len)
{
	size_t plain = km_ko_name_len(path, len);
	char *rel = strndup(path, len);
	char *src = rel ? km_strfmt("%s/%s", r->opts->modules_dir, rel) : NULL;
	char *dst = rel ? km_strfmt("lib/modules/%s/%.*s", r->opts->krel,
				    (int)plain, rel) : NULL;
	char *dir = dst ? km_strfmt("%s/%s", r->root, dst) : NULL;
	int ret = src && dir ? 0 : -ENOMEM;

	if (!ret) {
		*strrchr(dir, '/') = '\0';
		ret = km_mkdir_p(dir, 0755);
	}
	if (!ret && plain != len)
		ret = add_decompressed(r, src, dst);
	else if (!ret)
		ret = add_file(r, src, dst, 0644);
	free(rel);
	free(src);
	free(dst);
	free(dir);
	return ret;
}

/* The VM's modules.dep names the modules as they are there: plain .ko. */
static int name_plain_modules(struct vm_run *r)
{
	struct km_buf in = KM_BUF_INIT, out = KM_BUF_INIT;
	char *path = km_strfmt("%s/lib/modules/%s/modules.dep", r->root,
			       r->opts->krel);
	char *bin = path ? km_strfmt("%s.bin", path) : NULL;
	const char *p;
	int ret = bin ? km_read_file(path, &in) : -ENOMEM;

	if (ret == -ENOENT)
		ret = 0;
	for (p = in.buf; !ret && p && *p;) {
		size_t n = strcspn(p, ": \n");

		ret = km_buf_add(&out, p, km_ko_name_len(p, n));
		p += n;
		n = strspn(p, ": \n");
		if (!ret && n)
			ret = km_buf_add(&out, p, n);
		p += n;
	}
	if (!ret && in.buf && strcmp(in.buf, out.buf ? out.buf : "")) {
		ret = km_write_file_atomic(path, out.buf, out.len);
		/* kmod's index would say otherwise */
		if (!ret && unlink(bin) && errno != ENOENT)
			ret = -errno;
	}
	km_buf_release(&in);
	km_buf_release(&out);
	free(path);
	free(bin);
	return ret;
}

/* The module's line of modules.dep: "path: dep dep ..." — all copied. */
static int add_dep_line(struct vm_run *r, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	int ret = 0;

	while (p < end && !ret) {
		size_t n = strcspn(p, ": \n");

		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		if (n)
			ret = add_tree_module(r, p, n);
		p += n;
		while (p < end && (*p == ':' || *p == ' '))
			p++;
	}
	return ret;
}

/*
 * The module tree's indexes a check's modprobe reads: which modules a
 * module needs (modules.dep), would like loaded with it (modules.softdep,
 * and its own "softdep" modinfo), and the aliases softdep lines may name.
 */
struct module_index {
	struct km_buf dep, softdep, alias;
	struct soft { char *of, *dep; } *soft;	/* module of -> module dep */
	size_t nr_soft;
	char **added;		/* names already copied, NULL-terminated */
	size_t nr_added;
};

static int follow_softdeps(struct vm_run *r, struct module_index *x,
			   const char *name, int depth);

/* modules.dep's line for module name, as (line, len); false if none. */
static bool find_dep_line(const char *dep, const char *name,
			  const char **line_out, size_t *len_out)
{
	const char *line = dep;

	while (line && *line) {
		size_t len = strcspn(line, "\n");
		size_t first = strcspn(line, ":");

		if (first < len && km_path_names_module(line, first, name)) {
			*line_out = line;
			*len_out = len;
			return true;
		}
		line += len + (line[len] == '\n');
	}
	return false;
}

static bool was_added(const struct module_index *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nr_added; i++)
		if (km_path_names_module(x->added[i], strlen(x->added[i]), name))
			return true;
	return false;
}

static int note_added(struct module_index *x, const char *name)
{
	char **grown = realloc(x->added, (x->nr_added + 2) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	x->added = grown;
	grown[x->nr_added] = strdup(name);
	if (!grown[x->nr_added])
		return -ENOMEM;
	grown[++x->nr_added] = NULL;
	return 0;
}

static int note_soft(struct module_index *x, const char *of, const char *dep)
{
	struct soft *grown = realloc(x->soft, (x->nr_soft + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	x->soft = grown;
	grown[x->nr_soft].of = strdup(of);
	grown[x->nr_soft].dep = strdup(dep);
	x->nr_soft++;
	return grown[x->nr_soft - 1].of && grown[x->nr_soft - 1].dep ? 0
								 : -ENOMEM;
}

/* Module name with what it depends on and its soft dependencies. */
static int add_module_deep(struct vm_run *r, struct module_index *x,
			   const char *name, int depth)
{
	const char *line;
	size_t len;
	int ret;

	if (was_added(x, name))
		return 0;
	if (!find_dep_line(x->dep.buf, name, &line, &len))
		return -ENOENT;
	ret = note_added(x, name);
	if (!ret)
		ret = add_dep_line(r, line, len);
	if (!ret)
		ret = follow_softdeps(r, x, name, depth);
	return ret;
}

/* The modules an alias ("crypto-crc32c") stands for, by modules.alias. */
static int add_alias(struct vm_run *r, struct module_index *x,
		     const char *of, const char *alias, int depth)
{
	const char *line = x->alias.buf;
	int ret = -ENOENT;

	while (line && *line) {
		size_t len = strcspn(line, "\n");
		char *text = strndup(line, len), *save = NULL, *kw, *pat, *mod;

		if (!text)
			return -ENOMEM;
		kw = strtok_r(text, " \t", &save);
		pat = kw ? strtok_r(NULL, " \t", &save) : NULL;
		mod = pat ? strtok_r(NULL, " \t", &save) : NULL;
		if (mod && !strcmp(kw, "alias") && !fnmatch(pat, alias, 0)) {
			int err = add_module_deep(r, x, mod, depth);

			if (!err)
				err = note_soft(x, of, mod);
			if (err != -ENOENT)
				ret = err;
		}
		free(text);
		if (ret < 0 && ret != -ENOENT)
			return ret;
		line += len + (line[len] == '\n');
	}
	return ret;
}

/* A soft dependency: a module or an alias; one the tree lacks is noted. */
static int add_softdep(struct vm_run *r, struct module_index *x,
		       const char *of, const char *name, int depth)
{
	int ret;

	if (!strcmp(name, "pre:") || !strcmp(name, "post:"))
		return 0;
	ret = add_module_deep(r, x, name, depth + 1);
	if (!ret)
		ret = note_soft(x, of, name);
	if (ret == -ENOENT)
		ret = add_alias(r, x, of, name, depth + 1);
	if (ret == -ENOENT) {
		km_info(r->ctx, "note: module %s has a soft dependency on %s, "
			"for which %s has no module (built in?)", of, name,
			r->opts->modules_dir);
		ret = 0;
	}
	return ret;
}

/* Adds the words of "pre: a b post: c" as soft dependencies of `of`. */
static int add_softdep_words(struct vm_run *r, struct module_index *x,
			     const char *of, const char *words, int depth)
{
	char *text = strdup(words), *save = NULL, *w;
	int ret = text ? 0 : -ENOMEM;

	for (w = text ? strtok_r(text, " \t", &save) : NULL; w && !ret;
	     w = strtok_r(NULL, " \t", &save))
		ret = add_softdep(r, x, of, w, depth);
	free(text);
	return ret;
}

/* The .ko's own "softdep=pre: crc32c" modinfo. */
static int module_softdep_info(struct vm_run *r, struct module_index *x,
			       const char *name, int depth)
{
	struct km_modinfo mi;
	const char *line, *value;
	char *rel, *path;
	size_t len, pos;
	int ret = 0;

	if (!find_dep_line(x->dep.buf, name, &line, &len))
		return 0;
	rel = strndup(line, strcspn(line, ":"));
	path = rel ? km_strfmt("%s/%s", r->opts->modules_dir, rel) : NULL;
	free(rel);
	if (!path)
		return -ENOMEM;
	if (km_modinfo_read(r->ctx, path, &mi) == 0) {
		km_modinfo_for_each(&mi, "softdep", pos, value) {
			if (!ret)
				ret = add_softdep_words(r, x, name, value, depth);
		}
		km_modinfo_release(&mi);
	}
	free(path);
	return ret;
}

/* "softdep NAME pre: a b post: c" lines of modules.softdep. */
static int follow_softdeps(struct vm_run *r, struct module_index *x,
			   const char *name, int depth)
{
	const char *line = x->softdep.buf;
	int ret = 0;

	if (depth > 8)
		return 0;
	while (!ret && line && *line) {
		size_t len = strcspn(line, "\n");
		char *text = strndup(line, len), *save = NULL, *kw, *of;

		if (!text)
			return -ENOMEM;
		kw = strtok_r(text, " \t", &save);
		of = kw ? strtok_r(NULL, " \t", &save) : NULL;
		if (of && !strcmp(kw, "softdep") &&
		    km_path_names_module(of, strlen(of), name))
			ret = add_softdep_words(r, x, name, save ? save : "",
						depth);
		free(text);
		line += len + (line[len] == '\n');
	}
	return ret ? ret : module_softdep_info(r, x, name, depth);
}

static int add_kernel_module(struct vm_run *r, struct module_index *x,
			     const char *name)
{
	int ret = add_module_deep(r, x, name, 0);

	if (ret == -ENOENT)
		km_err(r->ctx, "no module '%s' in %s/modules.dep: name a module "
		       "of the kernel's tree (as modprobe takes it)", name,
		       r->opts->modules_dir);
	return ret;
}

/* An index of the module tree; an optional one that is absent is empty. */
static int read_index(struct vm_run *r, const char *file, struct km_buf *b,
		      bool required)
{
	char *path = km_strfmt("%s/%s", r->opts->modules_dir, file);
	int ret = path ? km_read_file(path, b) : -ENOMEM;

	if (ret == -ENOENT && !required)
		ret = 0;
	else if (ret)
		km_err(r->ctx, "cannot read '%s': %s", path, ERRSTR(ret));
	free(path);
	return ret;
}

/* The modules.dep line of module name, as a new string, or NULL. */
static char *dep_line_of(const struct module_index *x, const char *name)
{
	const char *line;
	size_t len;

	return find_dep_line(x->dep.buf, name, &line, &len) ?
	       strndup(line, len) : NULL;
}

/* Appends the words of src (".ko" paths) not in line yet, but `but`. */
static int append_paths(struct km_buf *line, const char *src, const char *but)
{
	char *text = strdup(src), *save = NULL, *w;
	int ret = text ? 0 : -ENOMEM;

	for (w = text ? strtok_r(text, ": \t", &save) : NULL; w && !ret;
	     w = strtok_r(NULL, ": \t", &save)) {
		if (!strcmp(w, but) || km_has_word(line->buf, w))
			continue;
		ret = km_buf_addf(line, " %s", w);
	}
	free(text);
	return ret;
}

/*
 * busybox's modprobe in the VM knows no soft dependencies, only the full
 * list of modules.dep: a module's soft dependencies, with theirs, join its
 * line there, so that the check's modprobe loads them first.
 */
static int merge_softdeps(struct module_index *x, struct km_buf *out)
{
	const char *line = x->dep.buf;
	int ret = 0;

	while (!ret && line && *line) {
		size_t len = strcspn(line, "\n"), i;
		struct km_buf merged = KM_BUF_INIT;
		char *own = strndup(line, strcspn(line, ":"));

		ret = own ? km_buf_add(&merged, line, len) : -ENOMEM;
		for (i = 0; !ret && i < x->nr_soft; i++) {
			char *dl;

			if (!km_path_names_module(own, strlen(own), x->soft[i].of))
				continue;
			dl = dep_line_of(x, x->soft[i].dep);
			if (dl)
				ret = append_paths(&merged, dl, own);
			free(dl);
		}
		if (!ret)
			ret = km_buf_addf(out, "%s\n", merged.buf);
		km_buf_release(&merged);
		free(own);
		line += len + (line[len] == '\n');
	}
	return ret;
}

static int add_softdep_config(struct vm_run *r, struct module_index *x)
{
	struct km_buf dep = KM_BUF_INIT;
	char *path = km_strfmt("%s/lib/modules/%s/modules.dep", r->root,
			       r->opts->krel);
	char *bin = path ? km_strfmt("%s.bin", path) : NULL;
	int ret = bin ? 0 : -ENOMEM;

	if (!ret && !x->nr_soft)
		goto out;
	if (!ret)
		ret = merge_softdeps(x, &dep);
	if (!ret)
		ret = km_write_file_atomic(path, dep.buf ? dep.buf : "", dep.len);
	/* kmod's index would say otherwise */
	if (!ret && unlink(bin) && errno != ENOENT)
		ret = -errno;
out:
	km_buf_release(&dep);
	free(path);
	free(bin);
	return ret;
}

static void release_index(struct module_index *x)
{
	size_t i;

	for (i = 0; i < x->nr_added; i++)
		free(x->added[i]);
	free(x->added);
	km_buf_release(&x->dep);
	km_buf_release(&x->softdep);
	km_buf_release(&x->alias);
	for (i = 0; i < x->nr_soft; i++) {
		free(x->soft[i].of);
		free(x->soft[i].dep);
	}
	free(x->soft);
}

/*
 * The kernel's own modules the check needs, with what they depend on,
 * hard (modules.dep) and soft (softdep), as modprobe would load them.
 */
static int add_kernel_modules(struct vm_run *r)
{
	struct module_index x;
	size_t i;
	int ret;

	if (!r->opts->nr_kernel_modules)
		return 0;
	if (!r->opts->modules_dir)
		return -ENOENT;
	memset(&x, 0, sizeof(x));
	ret = read_index(r, "modules.dep", &x.dep, true);
	if (!ret)
		ret = read_index(r, "modules.softdep", &x.softdep, false);
	if (!ret)
		ret = read_index(r, "modules.alias", &x.alias, false);
	for (i = 0; !ret && i < r->opts->nr_kernel_modules; i++)
		ret = add_kernel_module(r, &x, r->opts->kernel_modules[i]);
	if (!ret)
		ret = add_softdep_config(r, &x);
	if (!ret)
		ret = name_plain_modules(r);
	release_index(&x);
	return ret;
}

static char *module_dest(const struct vm_run *r, size_t i, const char *path)
{
	if (r->opts->script)
		return km_strfmt("t/%s", basename_of(path));
	return km_strfmt("t/%zu/%s", i, basename_of(path));
}

static int add_modules(struct vm_run *r)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->opts->nr_modules && !ret; i++) {
		char *dir = r->opts->script ? km_strfmt("%s/t", r->root) :
			    km_strfmt("%s/t/%zu", r->root, i);
		char *dst = module_dest(r, i, r->opts->modules[i]);

		ret = dir && dst ? km_mkdir_p(dir, 0755) : -ENOMEM;
		if (!ret)
			ret = add_file(r, r->opts->modules[i], dst, 0644);
		free(dir);
		free(dst);
	}
	return ret;
}

/* 'it''s' the shell way: close the quote, an escaped quote, reopen. */
static int add_quoted(struct km_buf *b, const char *s)
{
	int ret = km_buf_adds(b, "'");

	for (; *s && !ret; s++)
		ret = *s == '\'' ? km_buf_adds(b, "'\\''") :
				   km_buf_add(b, s, 1);
	return ret ? ret : km_buf_adds(b, "'");
}

static const char init_head[] =
	"#!/bin/busybox sh\n"
	"# Written by kmend test: runs each live patch through its check.\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev\n"
	"exec </dev/console >/dev/console 2>&1\n"
	"mark() { echo \"" MARKER "$1 $2 $3\"; }\n"
	"mark up 0 0\n"
	"# The boot log stays on the console; the tests get a clean log.\n"
	"dmesg -c >/dev/null\n"
	"check() { [ -z \"$check\" ] && return 0; \"$check\" </dev/null; "
	"mark \"$1\" \"$2\" $?; }\n"
	"test_module() {\n"
	"\ti=$1 ko=$2 name=$3\n"
	"\tmark begin \"$i\" 0\n"
	"\tcheck check-before \"$i\"\n"
	"\tkmend load $lt \"$ko\" </dev/null; rc=$?; mark load \"$i\" $rc\n"
	"\t[ $rc -eq 0 ] || return\n"
	"\tkmend list; mark list \"$i\" $?\n"
	"\tkmend info \"$name\"; mark info \"$i\" $?\n"
	"\tcheck check-loaded \"$i\"\n"
	"\tkmend unload $lt \"$name\" </dev/null; rc=$?; mark unload \"$i\" $rc\n"
	"\t[ $rc -eq 0 ] || return\n"
	"\tcheck check-after \"$i\"\n"
	"\tmark end \"$i\" 0\n"
	"}\n";

static const char init_tail[] =
	"mark dmesg-begin 0 0\n"
	"dmesg\n"
	"mark dmesg-end 0 0\n"
	"mark done 0 0\n"
	"poweroff -f\n";

static int write_init_settings(struct vm_run *r, struct km_buf *b)
{
	int ret;

	ret = km_buf_adds(b, r->opts->check ? "check=/check\n" : "check=\n");
	if (!ret && r->opts->load_timeout > 0)
		ret = km_buf_addf(b, "lt='--timeout %.0f'\n",
				  r->opts->load_timeout);
	else if (!ret)
		ret = km_buf_adds(b, "lt=\n");
	return ret;
}

static int write_init_calls(struct vm_run *r, struct km_buf *b)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->opts->nr_modules && !ret; i++) {
		char *dst = module_dest(r, i, r->opts->modules[i]);

		if (!dst)
			return -ENOMEM;
		ret = km_buf_addf(b, "test_module %zu /", i);
		if (!ret)
			ret = add_quoted(b, dst);
		if (!ret)
			ret = km_buf_adds(b, " ");
		if (!ret)
			ret = add_quoted(b, r->report->modules[i].name);
		if (!ret)
			ret = km_buf_adds(b, "\n");
		free(dst);
	}
	return ret;
}

/* The scenario runs in /t with the files, KREL and kmend's PATH set. */
static int write_init_script_call(struct vm_run *r, struct km_buf *b)
{
	return km_buf_addf(b, "mark begin 0 0\n"
			   "( mkdir -p /t && cd /t && KREL='%s' /script </dev/null )\n"
			   "mark script 0 $?\n", r->opts->krel);
}

static int write_init(struct vm_run *r)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/init", r->root);
	int ret;

	ret = path ? km_buf_adds(&b, init_head) : -ENOMEM;
	if (!ret)
		ret = write_init_settings(r, &b);
	if (!ret && r->opts->script)
		ret = write_init_script_call(r, &b);
	else if (!ret)
		ret = write_init_calls(r, &b);
	if (!ret)
		ret = km_buf_adds(&b, init_tail);
	if (!ret)
		ret = km_write_file_atomic(path, b.buf, b.len);
	if (!ret && chmod(path, 0755))
		ret = -errno;
	if (ret)
		km_err(r->ctx, "cannot write the VM's /init: %s", ERRSTR(ret));
	km_buf_release(&b);
	free(path);
	return ret;
}

static int pack_initramfs(struct vm_run *r)
{
	static const char script[] =
		"set -o pipefail; cd \"$1\" && find . -print0 | "
		"cpio --null -o -H newc -R 0:0 --quiet | gzip -1 >\"$2\"";
	char *argv[] = { "bash", "-c", (char *)script, "bash", r->root,
			 r->initrd, NULL };
	struct km_buf out = KM_BUF_INIT;
	int ret;

	ret = km_run(r->ctx, NULL, argv, NULL, &out);
	if (ret) {
		km_err(r->ctx, "cannot pack the initramfs with cpio and gzip "
		       "(exit %d): %s", ret, out.buf ? out.buf : "");
		ret = ret < 0 ? ret : -EIO;
	}
	km_buf_release(&out);
	return ret;
}

static int build_initramfs(struct vm_run *r)
{
	const struct km_vm_opts *o = r->opts;
	struct stat st;
	int ret;

	ret = make_dirs(r);
	if (!ret)
		ret = add_file(r, busybox_of(o), "bin/busybox", 0755);
	if (!ret)
		ret = add_file(r, o->kmend_static, "bin/kmend", 0755);
	if (!ret && o->check)
		ret = add_file(r, o->check, "check", 0755);
	if (!ret && o->script)
		ret = add_file(r, o->script, "script", 0755);
	if (!ret)
		ret = add_modules(r);
	if (!ret)
		ret = add_module_metadata(r);
	if (!ret)
		ret = add_kernel_modules(r);
	if (!ret)
		ret = write_init(r);
	if (!ret)
		ret = pack_initramfs(r);
	if (!ret && stat(r->initrd, &st) == 0)
		progress(r, "initramfs ready (%.1f MB)",
			 (double)st.st_size / 1e6);
	return ret;
}

/* ---- the console ---- */

static struct km_vm_module *module_at(struct vm_run *r, long i)
{
	if (i < 0 || (size_t)i >= r->report->nr_modules)
		return NULL;
	return &r->report->modules[i];
}

static int step_of(const char *word)
{
	int s;

	for (s = 0; s < KM_VM_NR_STEPS; s++)
		if (!strcmp(word, step_names[s]))
			return s;
	return -1;
}

static void report_check(struct vm_run *r, const char *mod, const char *when,
			 int rc, bool want_pass)
{
	bool passed = rc == 0;

	progress(r, "%s: check %s: %s%s", mod, when,
		 passed ? "passes" : "fails",
		 passed == want_pass ? "" :
		 want_pass ? " (should pass)" : " (should fail)");
}

static void report_step(struct vm_run *r, struct km_vm_module *m, int s,
			int rc)
{
	const char *mod = basename_of(m->path);

	switch (s) {
	case KM_VM_CHECK_BEFORE:
		report_check(r, mod, "before loading", rc, false);
		break;
	case KM_VM_LOAD:
		if (rc)
			progress(r, "%s: kmend load failed (exit %d)", mod, rc);
		else
			progress(r, "%s: loaded as '%s', transition done", mod,
				 m->name);
		break;
	case KM_VM_CHECK_LOADED:
		report_check(r, mod, "while loaded", rc, true);
		break;
	case KM_VM_UNLOAD:
		if (rc)
			progress(r, "%s: kmend unload failed (exit %d)", mod,
				 rc);
		else
			progress(r, "%s: unloaded", mod);
		break;
	case KM_VM_CHECK_AFTER:
		report_check(r, mod, "after unloading", rc, false);
		break;
	default:
		break;
	}
}

static void handle_marker(struct vm_run *r, const char *word, long i, int rc)
{
	struct km_vm_module *m = module_at(r, i);
	int s = step_of(word);

	if (!strcmp(word, "up")) {
		r->saw_up = true;
		progress(r, "VM up, kernel %s booted", r->opts->krel);
	} else if (!strcmp(word, "dmesg-begin")) {
		r->in_dmesg = r->saw_dmesg = true;
	} else if (!strcmp(word, "done")) {
		r->report->finished = true;
	} else if (!strcmp(word, "begin") && r->opts->script) {
		r->saw_begin = true;
		progress(r, "running %s", r->opts->script);
	} else if (!strcmp(word, "script")) {
		r->report->script_rc = rc;
		free(r->report->script_output);
		r->report->script_output = km_buf_detach(&r->step_out);
		progress(r, "%s: %s (exit %d)", r->opts->script,
			 rc ? "failed" : "passed", rc);
	} else if (s >= 0 && m) {
		if (s == KM_VM_BEGIN)
			r->saw_begin = true;
		m->rc[s] = rc;
		free(m->output[s]);
		m->output[s] = km_buf_detach(&r->step_out);
		report_step(r, m, s, rc);
	}
	km_buf_reset(&r->step_out);
}

static int parse_marker(struct vm_run *r, const char *line)
{
	const char *at = strstr(line, MARKER);
	char word[32];
	long i;
	int rc;

	if (!at || sscanf(at + strlen(MARKER), "%31s %ld %d", word, &i,
			  &rc) != 3)
		return 0;
	handle_marker(r, word, i, rc);
	return 1;
}

/*
 * The firmware clears the screen with escape sequences; drop them and any
 * other control character, so the console log reads as plain text.
 */
static void strip_terminal_codes(char *line)
{
	char *in = line, *out = line;

	while (*in) {
		if (*in == '\033' && in[1] == '[') {
			in += 2;
			while (*in && !isalpha((unsigned char)*in))
				in++;
			if (*in)
				in++;
		} else if (*in == '\033') {
			in += in[1] ? 2 : 1;
		} else if ((unsigned char)*in < 0x20 && *in != '\t') {
			in++;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

static int handle_line(struct vm_run *r, char *line)
{
	int ret;

	strip_terminal_codes(line);
	ret = km_buf_addf(&r->console, "%s\n", line);
	if (!ret && r->saw_begin)
		ret = km_buf_addf(&r->after_begin, "%s\n", line);
	if (ret)
		return ret;
	if (r->in_dmesg) {
		if (strstr(line, MARKER "dmesg-end"))
			r->in_dmesg = false;
		else
			ret = km_buf_addf(&r->klog, "%s\n", line);
		return ret;
	}
	if (parse_marker(r, line))
		return 0;
	return r->saw_up ? km_buf_addf(&r->step_out, "%s\n", line) : 0;
}

/* QEMU's output as it comes (a km_output_fn): split it into lines. */
static int feed_console(void *data, const char *chunk, size_t len)
{
	struct vm_run *r = data;
	size_t i;
	int ret = 0;

	for (i = 0; i < len && !ret; i++) {
		if (chunk[i] == '\n') {
			ret = handle_line(r, r->line.buf ? r->line.buf : "");
			km_buf_reset(&r->line);
		} else if (chunk[i] != '\0') {
			ret = km_buf_add(&r->line, &chunk[i], 1);
		}
	}
	return ret;
}

/* ---- QEMU ---- */

static int boot_vm(struct vm_run *r)
{
	const struct km_vm_opts *o = r->opts;
	double timeout = o->timeout > 0 ? o->timeout : KM_VM_TIMEOUT;
	char *argv[] = {
		(char *)qemu_of(o), "-accel", "tcg", "-cpu", "max",
		"-smp", "1", "-m", "512", "-nographic", "-no-reboot",
		"-nic", "none", "-kernel", (char *)o->image,
		"-initrd", r->initrd,
		"-append", "console=ttyS0 panic=-1 quiet", NULL,
	};
	double started = km_now();
	int ret, status;

	progress(r, "booting %s in QEMU (TCG), deadline %.0f s", o->image,
		 timeout);
	km_debug(r->ctx, "run: %s ... -kernel %s -initrd %s", argv[0],
		 o->image, r->initrd);
	status = km_run_stream(NULL, argv, NULL, feed_console, r,
			       r->start + timeout);
	ret = status < 0 ? status : 0;
	if (r->line.len)
		handle_line(r, r->line.buf);
	r->report->seconds = km_now() - started;
	if (ret && ret != -ETIMEDOUT)
		km_err(r->ctx, "cannot run %s: %s", argv[0], ERRSTR(ret));
	if (!ret && status == 127 && !r->console.len) {
		km_err(r->ctx, "cannot run %s", argv[0]);
		return -ENOENT;
	}
	if (!ret && !r->saw_up) {
		km_err(r->ctx, "the VM did not start (%s exit %d); its console "
		       "said:\n%s", argv[0], status,
		       r->console.buf ? r->console.buf : "(nothing)");
		return -EIO;
	}
	return ret;
}

/* ---- verdicts ---- */

static bool step_runs(const struct km_vm_opts *o, int s)
{
	if (s == KM_VM_CHECK_BEFORE || s == KM_VM_CHECK_LOADED ||
	    s == KM_VM_CHECK_AFTER)
		return o->check != NULL;
	return true;
}

/* The check must fail without the patch and pass with it. */
static bool step_ok(int s, int rc)
{
	if (s == KM_VM_CHECK_BEFORE || s == KM_VM_CHECK_AFTER)
		return rc != 0;
	return rc == 0;
}

static char *step_failure(int s, int rc)
{
	switch (s) {
	case KM_VM_CHECK_BEFORE:
		return strdup("check passed before loading (fix already "
			      "present?)");
	case KM_VM_LOAD:
		return km_strfmt("kmend load failed in the VM (exit %d)", rc);
	case KM_VM_LIST:
		return km_strfmt("kmend list failed while loaded (exit %d)", rc);
	case KM_VM_INFO:
		return km_strfmt("kmend info failed while loaded (exit %d)", rc);
	case KM_VM_CHECK_LOADED:
		return km_strfmt("check failed while the patch was loaded "
				 "(exit %d)", rc);
	case KM_VM_UNLOAD:
		return km_strfmt("kmend unload failed in the VM (exit %d)", rc);
	case KM_VM_CHECK_AFTER:
		return strdup("check still passed after unloading (the patch "
			      "was not reverted?)");
	default:
		return km_strfmt("step %s failed (exit %d)",
				 km_vm_step_name(s), rc);
	}
}

static void judge_module(const struct km_vm_opts *o,
			 const struct km_vm_report *rep, struct km_vm_module *m)
{
	int s;

	for (s = 0; s < KM_VM_NR_STEPS; s++) {
		if (!step_runs(o, s))
			continue;
		m->failed_step = s;
		if (m->rc[s] < 0) {
			m->verdict = km_strfmt("the VM %s before step '%s'",
					       rep->timed_out ? "timed out" :
					       "stopped", km_vm_step_name(s));
			return;
		}
		if (!step_ok(s, m->rc[s])) {
			m->verdict = step_failure(s, m->rc[s]);
			return;
		}
	}
	m->passed = true;
	m->verdict = strdup(o->check ?
			    "check fails before, passes while loaded, fails "
			    "after unload" :
			    "loaded (transition done), listed, unloaded");
}

/* ---- the kernel log ---- */

static bool is_expected_notice(const char *line)
{
	static const char *const ok[] = {
		"loading out-of-tree module taints kernel",
		"module verification failed: signature and/or required key "
		"missing",
		"tainting kernel with TAINT_LIVEPATCH",
		"livepatch: enabling patch",
		"starting patching transition",
		"completing patching transition",
		"starting unpatching transition",
		"completing unpatching transition",
		"': patching complete",		/* how 6.1 says "completing" */
		"': unpatching complete",
		"reversing transition from",	/* a deadline, reverted */
		"signaling remaining tasks",	/* the kernel's own nudge */
		/* a patched module loads or unloads while the patch is on */
		"' to loading module '",
		"' on unloading module '",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strstr(line, ok[i]))
			return true;
	return false;
}

static bool is_kernel_problem(const char *line)
{
	static const char *const bad[] = {
		"Oops", "BUG:", "WARNING:", "Call Trace", "Kernel panic",
		"kernel panic", "general protection fault", "Unable to",
		"invalid opcode", "livepatch:", "segfault",
	};
	size_t i;

	if (strstr(line, MARKER) || is_expected_notice(line))
		return false;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(line, bad[i]))
			return true;
	return false;
}

static int scan_kernel_log(struct km_vm_report *rep, const char *log)
{
	struct km_buf bad = KM_BUF_INIT;
	const char *p = log;
	int ret = 0;

	while (p && *p && !ret) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);

		if (!line)
			ret = -ENOMEM;
		else if (is_kernel_problem(line))
			ret = km_buf_addf(&bad, "%s\n", line);
		free(line);
		p += n + (p[n] == '\n');
	}
	if (!ret && bad.len)
		rep->problems = km_buf_detach(&bad);
	km_buf_release(&bad);
	return ret;
}

/* ---- the run ---- */

static int init_report(struct km_ctx *ctx, const struct km_vm_opts *o,
		       struct km_vm_report *rep)
{
	size_t i;
	int s;

	memset(rep, 0, sizeof(*rep));
	rep->script_rc = -1;
	rep->scripted = o->script != NULL;
	rep->modules = calloc(o->nr_modules, sizeof(*rep->modules));
	if (!rep->modules)
		return -ENOMEM;
	rep->nr_modules = o->nr_modules;
	for (i = 0; i < o->nr_modules; i++) {
		struct km_vm_module *m = &rep->modules[i];
		struct km_modinfo mi;

		for (s = 0; s < KM_VM_NR_STEPS; s++)
			m->rc[s] = -1;
		m->path = strdup(o->modules[i]);
		if (!m->path)
			return -ENOMEM;
		if (o->script) {
			m->name = strdup(basename_of(o->modules[i]));
			if (!m->name)
				return -ENOMEM;
			continue;
		}
		if (km_modinfo_read(ctx, o->modules[i], &mi))
			return -ENOEXEC;
		m->name = km_modinfo_module_name(&mi);
		km_modinfo_release(&mi);
		if (!m->name)
			return -ENOMEM;
	}
	return 0;
}

static void save_console(struct vm_run *r)
{
	char *path = km_strfmt("%s/console.log", r->dir);

	if (path && r->console.buf)
		km_write_file_atomic(path, r->console.buf, r->console.len);
	free(path);
}

static int finish_report(struct vm_run *r)
{
	struct km_vm_report *rep = r->report;
	size_t i;

	for (i = 0; i < rep->nr_modules && !r->opts->script; i++)
		judge_module(r->opts, rep, &rep->modules[i]);
	for (i = 0; i < rep->nr_modules && r->opts->script; i++) {
		rep->modules[i].passed = true;
		rep->modules[i].verdict = strdup("given to the script");
	}
	rep->console = km_buf_detach(&r->console);
	if (r->saw_dmesg) {
		rep->kernel_log = km_buf_detach(&r->klog);
	} else {
		/* No dmesg at the end: the console is all there is. */
		rep->kernel_log = km_buf_detach(&r->after_begin);
	}
	if (!rep->console || !rep->kernel_log)
		return -ENOMEM;
	return scan_kernel_log(rep, rep->kernel_log);
}

static void release_run(struct vm_run *r)
{
	if (r->dir && !r->opts->keep_dir)
		km_rm_rf(r->dir);
	free(r->dir);
	free(r->root);
	free(r->initrd);
	km_buf_release(&r->console);
	km_buf_release(&r->line);
	km_buf_release(&r->step_out);
	km_buf_release(&r->klog);
	km_buf_release(&r->after_begin);
}

int km_vm_test(struct km_ctx *ctx, const struct km_vm_opts *opts,
	       struct km_vm_report *report)
{
	struct vm_run r = {
		.ctx = ctx, .opts = opts, .report = report, .start = km_now(),
		.console = KM_BUF_INIT, .line = KM_BUF_INIT,
		.step_out = KM_BUF_INIT, .klog = KM_BUF_INIT,
		.after_begin = KM_BUF_INIT,
	};
	int ret, boot;

	memset(report, 0, sizeof(*report));
	ret = km_vm_check_inputs(ctx, opts);
	if (!ret)
		ret = init_report(ctx, opts, report);
	if (!ret)
		ret = make_work_dir(&r);
	if (!ret)
		ret = build_initramfs(&r);
	if (ret) {
		release_run(&r);
		return ret;
	}
	boot = boot_vm(&r);
	report->timed_out = boot == -ETIMEDOUT;
	save_console(&r);
	if (boot && !report->timed_out) {
		release_run(&r);
		return boot;
	}
	ret = finish_report(&r);
	if (report->timed_out)
		progress(&r, "deadline passed: stopped the VM");
	else
		progress(&r, "VM done in %.1f s", report->seconds);
	release_run(&r);
	return ret ? ret : boot;
}

bool km_vm_report_passed(const struct km_vm_report *rep)
{
	size_t i;

	if (!rep->finished || rep->timed_out || rep->problems)
		return false;
	if (rep->scripted && rep->script_rc != 0)
		return false;
	for (i = 0; i < rep->nr_modules; i++)
		if (!rep->modules[i].passed)
			return false;
	return true;
}

void km_vm_report_release(struct km_vm_report *rep)
{
	size_t i;
	int s;

	for (i = 0; i < rep->nr_modules; i++) {
		struct km_vm_module *m = &rep->modules[i];

		for (s = 0; s < KM_VM_NR_STEPS; s++)
			free(m->output[s]);
		free(m->path);
		free(m->name);
		free(m->verdict);
	}
	free(rep->modules);
	free(rep->script_output);
	free(rep->console);
	free(rep->kernel_log);
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}
