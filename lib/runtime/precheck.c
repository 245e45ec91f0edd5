// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "elfile.h"
#include "precheck.h"
#include "util.h"

#define NOTE_GNU_BUILD_ID 3

/* ---- checks ------------------------------------------------------------ */

int km_checks_add(struct km_checks *c, const char *name,
		  enum km_check_status status, int err, const char *fmt, ...)
{
	struct km_check *k;
	void *n = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	va_list ap;
	int len;

	if (!n)
		return -ENOMEM;
	c->v = n;
	k = &c->v[c->n];
	memset(k, 0, sizeof(*k));
	k->name = strdup(name);
	k->status = status;
	k->err = status == KM_CHECK_FAIL ? err : 0;
	va_start(ap, fmt);
	len = vasprintf(&k->detail, fmt, ap);
	va_end(ap);
	if (len < 0)
		k->detail = NULL;
	c->n++;
	return k->name && k->detail ? 0 : -ENOMEM;
}

void km_checks_release(struct km_checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].detail);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int km_checks_verdict(const struct km_checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].status == KM_CHECK_FAIL)
			return c->v[i].err ? c->v[i].err : -EINVAL;
	return 0;
}

const char *km_check_status_name(enum km_check_status s)
{
	static const char *const names[] = { "pass", "note", "skipped",
					     "FAIL" };

	return s <= KM_CHECK_FAIL ? names[s] : "?";
}

/* ---- build-ids --------------------------------------------------------- */

static char *hex_of(const unsigned char *p, size_t len)
{
	char *s = malloc(2 * len + 1);
	size_t i;

	for (i = 0; s && i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	if (s)
		s[2 * len] = '\0';
	return s;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

char *km_build_id_of_notes(const unsigned char *notes, size_t size)
{
	size_t at = 0;

	while (at + 12 <= size) {
		uint32_t namesz, descsz, type;
		size_t name, desc;

		memcpy(&namesz, notes + at, 4);
		memcpy(&descsz, notes + at + 4, 4);
		memcpy(&type, notes + at + 8, 4);
		name = at + 12;
		desc = name + align4(namesz);
		if (desc > size || descsz > size - desc)
			break;
		if (type == NOTE_GNU_BUILD_ID && namesz == 4 &&
		    !memcmp(notes + name, "GNU", 4))
			return hex_of(notes + desc, descsz);
		at = desc + align4(descsz);
	}
	errno = ENOENT;
	return NULL;
}

static char *build_id_of_elf(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name, desc;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name, &desc)) > 0)
			if (nh.n_type == NOTE_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + name, "GNU", 4))
				return hex_of((unsigned char *)d->d_buf + desc,
					      nh.n_descsz);
	}
	errno = ENOENT;
	return NULL;
}

char *km_build_id_of_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct km_elf_file f;
	char *id = NULL;
	int err;

	if (fd < 0)
		return NULL;
	err = -km_elf_file_begin(NULL, path, fd, &f);
	if (err)
		goto out;
	if (f.elf)
		id = build_id_of_elf(f.elf);
	err = id ? 0 : errno;
	km_elf_file_close(&f);
out:
	if (!id)
		errno = err ? err : ENOENT;
	return id;
}

static char *build_id_of_notes_file(const char *path)
{
	struct km_buf b = KM_BUF_INIT;
	char *id = NULL;
	int ret = km_read_file(path, &b);

	if (ret)
		errno = -ret;
	else
		id = km_build_id_of_notes((unsigned char *)b.buf, b.len);
	km_buf_release(&b);
	return id;
}

/* ---- identity ---------------------------------------------------------- */

static char *rpath(const struct km_runtime_paths *rp, const char *path)
{
	return km_strfmt("%s%s", rp->root ? rp->root : "", path);
}

static int check_release(const struct km_runtime_paths *rp,
			 const struct km_modinfo *mi, struct km_checks *c)
{
	char *vermagic = km_modinfo_vermagic_krel(mi);
	const char *kernel = km_modinfo_get(mi, "kmend_kernel");
	struct utsname u;
	const char *release = rp->release;
	int ret;

	if (!release && uname(&u) == 0)
		release = u.release;
	if (!release)
		ret = km_checks_add(c, "release", KM_CHECK_SKIP, 0,
				    "cannot tell this kernel's release");
	else if ((vermagic && strcmp(vermagic, release)) ||
		 (kernel && strcmp(kernel, release)))
		ret = km_checks_add(c, "release", KM_CHECK_FAIL, -ENOEXEC,
				    "it was built for kernel %s, but this "
				    "kernel is %s: build it for %s",
				    kernel ? kernel : vermagic, release,
				    release);
	else
		ret = km_checks_add(c, "release", KM_CHECK_PASS, 0,
				    "built for %s, vermagic '%s'", release,
				    km_modinfo_get(mi, "vermagic"));
	free(vermagic);
	return ret;
}

static int check_one_build_id(const struct km_runtime_paths *rp,
			      const char *value, struct km_checks *c)
{
	const char *colon = strrchr(value, ':');
	char *object = colon ? strndup(value, (size_t)(colon - value)) : NULL;
	char *label = object ? km_strfmt("build-id %s", object) : NULL;
	char *path = NULL, *id = NULL;
	bool vmlinux;
	int ret;

	if (!colon)
		return km_checks_add(c, "build-id", KM_CHECK_FAIL, -ENOEXEC,
				     "bad kmend_buildid '%s'", value);
	if (!object || !label)
		goto nomem;
	vmlinux = !strcmp(object, "vmlinux");
	path = vmlinux ? rpath(rp, "/sys/kernel/notes") :
		 km_strfmt("%s/sys/module/%s/notes/.note.gnu.build-id",
			   rp->root ? rp->root : "", object);
	if (!path)
		goto nomem;
	id = build_id_of_notes_file(path);
	if (!id && !vmlinux && errno == ENOENT)
		ret = km_checks_add(c, label, KM_CHECK_SKIP, 0, "module %s is "
				    "not loaded: the kernel patches it when it "
				    "loads", object);
	else if (!id)
		ret = km_checks_add(c, label, KM_CHECK_SKIP, 0, "cannot read "
				    "'%s': %s", path, strerror(errno));
	else if (strcmp(id, colon + 1))
		ret = km_checks_add(c, label, KM_CHECK_FAIL, -ENOEXEC,
				    "it was built for %s with build-id %s, and "
				    "the running one has %s (%s): another build "
				    "of the same release; rebuild the patch with "
				    "this kernel's debug vmlinux", object,
				    colon + 1, id, path);
	else
		ret = km_checks_add(c, label, KM_CHECK_PASS, 0, "%s", id);
	free(object);
	free(label);
	free(path);
	free(id);
	return ret;
nomem:
	free(object);
	free(label);
	return -ENOMEM;
}

int km_check_identity(struct km_ctx *ctx, const struct km_runtime_paths *rp,
		      const struct km_modinfo *mi, struct km_checks *c)
{
	const char *value;
	size_t pos;
	int ret = check_release(rp, mi, c);

	if (!ret && !km_modinfo_count(mi, "kmend_buildid"))
		ret = km_checks_add(c, "build-id", KM_CHECK_SKIP, 0, "the "
				    "module records no build-id (built by an "
				    "older kmend)");
	km_modinfo_for_each(mi, "kmend_buildid", pos, value)
		if (!ret)
			ret = check_one_build_id(rp, value, c);
	(void)ctx;
	return ret;
}

/* ---- conflicts --------------------------------------------------------- */

/* Whether the loaded live patch named patch replaces f. */
static bool patch_replaces(const struct km_runtime_paths *rp,
			   const char *patch, const struct km_func_ref *f)
{
	/* sysfs names a unique function "name,1" (sympos 0 is 1) */
	char *p = km_strfmt("%s/sys/kernel/livepatch/%s/%s/%s,%lu",
			    rp->root ? rp->root : "", patch, f->object,
			    f->name, f->sympos ? f->sympos : 1);
	bool yes = p && km_is_dir(p);

	free(p);
	return yes;
}

/* The live patch other than self that replaces f, or NULL (malloc'd). */
static char *patch_replacing(const struct km_runtime_paths *rp,
			     const struct km_func_ref *f, const char *self)
{
	char *dir = rpath(rp, "/sys/kernel/livepatch");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	char *found = NULL;

	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (self && !strcmp(de->d_name, self)))
			continue;
		if (patch_replaces(rp, de->d_name, f))
			found = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	return found;
}

/* The lines of the first of these files that can be read, or NULL. */
static char *read_first(const struct km_runtime_paths *rp, const char *a,
			const char *b)
{
	const char *paths[] = { a, b };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct km_buf buf = KM_BUF_INIT;
		char *p = rpath(rp, paths[i]);

		if (p && !km_read_file(p, &buf)) {
			free(p);
			return buf.buf ? km_buf_detach(&buf) : strdup("");
		}
		km_buf_release(&buf);
		free(p);
	}
	return NULL;
}

/* The line of text that starts with name as a word, or NULL. */
static const char *line_of(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, name, len) &&
		    (line[len] == ' ' || line[len] == '\t'))
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

/* In enabled_functions: "name (N) R I ..." with I for IPMODIFY. */
static bool has_ipmodify(const char *line)
{
	const char *end = line + strcspn(line, "\n");
	const char *flags = strchr(line, ')');

	for (; flags && flags < end; flags++) {
		if (*flags == '\t' || !strncmp(flags, "tramp", 5))
			break;
		if (*flags == 'I' && flags[-1] == ' ')
			return true;
	}
	return false;
}

/* In kprobes/list: "ADDR  k  name+0x0    [FTRACE]". */
static bool has_kprobe(const char *list, const char *name)
{
	char *needle = km_strfmt("  %s+", name);
	bool found = needle && list && strstr(list, needle);

	free(needle);
	return found;
}

static int check_func_conflicts(const struct km_runtime_paths *rp,
				const struct km_func_ref *f, const char *self,
				const char *ftrace, const char *kprobes,
				struct km_checks *c)
{
	char *other = patch_replacing(rp, f, self);
	char *label = km_strfmt("conflicts %s:%s", f->object, f->name);
	const char *line = ftrace ? line_of(ftrace, f->name) : NULL;
	bool ipmodify = line && has_ipmodify(line);
	bool kprobe = has_kprobe(kprobes, f->name);
	/*
	 * Live patches hook a function through one ftrace ops flagged
	 * IPMODIFY: when this very patch is loaded, the flag is its own.
	 */
	bool mine = self && patch_replaces(rp, self, f);
	int ret;

	if (!label) {
		free(other);
		return -ENOMEM;
	}
	if (ipmodify && !other && !mine)
		ret = km_checks_add(c, label, KM_CHECK_FAIL, -KM_EUNPATCHABLE,
				    "'%s' is hooked by %s that modifies the "
				    "instruction pointer (IPMODIFY in "
				    "enabled_functions): livepatch cannot share "
				    "it; remove that hook first", f->name,
				    kprobe ? "a kprobe with a post handler" :
				    "an ftrace user");
	else if (other)
		ret = km_checks_add(c, label, KM_CHECK_NOTE, 0, "'%s' is "
				    "already replaced by live patch '%s': this "
				    "patch stacks on it, and its code runs "
				    "instead of '%s''s", f->name, other, other);
	else if (mine)
		ret = km_checks_add(c, label, KM_CHECK_NOTE, 0, "'%s' is "
				    "already replaced by this patch, '%s', which "
				    "is loaded", f->name, self);
	else if (kprobe)
		ret = km_checks_add(c, label, KM_CHECK_NOTE, 0, "a kprobe is "
				    "on '%s': it stays on the old code, which no "
				    "longer runs once patched", f->name);
	else
		ret = km_checks_add(c, label, KM_CHECK_PASS, 0, "%s",
				    ftrace ? "no other live patch, kprobe or "
				    "ftrace user modifying it" : "no other live "
				    "patch (ftrace's enabled_functions not "
				    "readable: mount debugfs to check hooks)");
	free(other);
	free(label);
	return ret;
}

int km_check_conflicts(struct km_ctx *ctx, const struct km_runtime_paths *rp,
		       const struct km_modinfo *mi, struct km_checks *c)
{
	char *ftrace = read_first(rp, "/sys/kernel/tracing/enabled_functions",
				  "/sys/kernel/debug/tracing/enabled_functions");
	char *kprobes = read_first(rp, "/sys/kernel/debug/kprobes/list",
				   "/sys/kernel/debug/kprobes/list");
	char *self = km_modinfo_module_name(mi);
	const char *value;
	size_t pos;
	int ret = self ? 0 : -ENOMEM;

	km_modinfo_for_each(mi, "kmend_func", pos, value) {
		struct km_func_ref f;

		if (ret)
			break;
		if (km_func_ref_parse(value, &f)) {
			ret = km_checks_add(c, "conflicts", KM_CHECK_FAIL,
					    -ENOEXEC, "bad kmend_func '%s'",
					    value);
			continue;
		}
		ret = check_func_conflicts(rp, &f, self, ftrace, kprobes, c);
		km_func_ref_release(&f);
	}
	free(ftrace);
	free(kprobes);
	free(self);
	(void)ctx;
	return ret;
}

int km_preload_checks(struct km_ctx *ctx, const char *path)
{
	struct km_runtime_paths rp = { getenv("KMEND_RUNTIME_ROOT"),
				       getenv("KMEND_RUNTIME_RELEASE") };
	struct km_modinfo mi;
	struct km_checks c = { 0 };
	size_t i;
	int ret = km_modinfo_read(ctx, path, &mi);

	if (ret)
		return ret;
	if (km_modinfo_is_kmend(&mi)) {
		ret = km_check_identity(ctx, &rp, &mi, &c);
		if (!ret)
			ret = km_check_conflicts(ctx, &rp, &mi, &c);
	}
	for (i = 0; !ret && i < c.n; i++) {
		if (c.v[i].status == KM_CHECK_FAIL)
			km_err(ctx, "cannot load '%s': %s: %s", path,
			       c.v[i].name, c.v[i].detail);
		else if (c.v[i].status == KM_CHECK_NOTE)
			km_warn(ctx, "note: %s", c.v[i].detail);
	}
	if (!ret)
		ret = km_checks_verdict(&c);
	km_checks_release(&c);
	km_modinfo_release(&mi);
	return ret;
}
