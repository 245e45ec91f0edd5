// SPDX-License-Identifier: GPL-2.0
/*
 * The dependency index (deps.h): a graph of the files the kernel's units
 * reach through #include, kept as text in CACHE/deps-ID:
 *
 *   kmend-deps 1 ID
 *   N path unit|file index...     one line per file, with what it includes
 *
 * Nothing here preprocesses: #if is ignored on purpose (a header included
 * only under an option that is off is still counted), so a unit may be
 * listed that does not really include a header.  Building a unit's
 * preprocessor output later tells those apart; the index must only never
 * miss one.
 */
#include <dirent.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"
#include "hash.h"
#include "ktree.h"
#include "util.h"

#define KM_DEPS_FORMAT 1

struct node {
	char *path;		/* tree-relative; generated files under obj/ */
	uint32_t *incs;		/* what it includes */
	size_t nr_incs, cap_incs;
	uint32_t *by;		/* what includes it */
	size_t nr_by, cap_by;
	bool is_unit;
};

struct km_deps {
	struct node *nodes;
	size_t nr_nodes, cap_nodes;
	struct km_hash by_path;	/* path -> index + 1 */
	size_t nr_units;
};

/* Kbuild's include path (LINUXINCLUDE and USERINCLUDE for x86, O=obj). */
static const char *const include_dirs[] = {
	"arch/x86/include", "obj/arch/x86/include/generated", "include",
	"obj/include", "arch/x86/include/uapi",
	"obj/arch/x86/include/generated/uapi", "include/uapi",
	"obj/include/generated/uapi",
};
#define NR_INCLUDE_DIRS (sizeof(include_dirs) / sizeof(include_dirs[0]))

/* The Makefiles whose "-include $(srctree)/X" every unit gets. */
static const char *const forcing_makefiles[] = { "Makefile",
						 "scripts/Makefile.lib" };

struct scan {
	struct km_ctx *ctx;
	const struct km_tree *tree;
	struct km_deps *d;
	struct km_hash seen;	/* path or name -> answer (owned keys) */
	char **keys;		/* the keys of seen and names */
	size_t nr_keys, cap_keys;
	struct km_hash names;	/* base name -> tree path, every file */
	bool have_names;
	size_t scanned;		/* nodes [0, scanned) are read */
	size_t unresolved, computed, by_name, from_dwarf;
	uint32_t *units;	/* node indexes of the units */
	Dwarf_Off *cus;		/* their compile units */
	size_t nr_units;
};

/* ---- the graph ---------------------------------------------------------- */

static void *tag(size_t index)
{
	return (void *)(uintptr_t)(index + 1);
}

static long find_node(const struct km_deps *d, const char *path)
{
	uintptr_t v = (uintptr_t)km_hash_get(&d->by_path, path);

	return v ? (long)(v - 1) : -1;
}

static int push_index(uint32_t **list, size_t *n, size_t *cap, uint32_t v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*list)[i] == v)
			return 0;
	if (*n == *cap) {
		size_t want = *cap ? *cap * 2 : 8;
		uint32_t *grown = realloc(*list, want * sizeof(**list));

		if (!grown)
			return -ENOMEM;
		*list = grown;
		*cap = want;
	}
	(*list)[(*n)++] = v;
	return 0;
}

/* The node of path, added when new; its index, or -ENOMEM. */
static long node_of(struct km_deps *d, const char *path)
{
	long i = find_node(d, path);
	struct node *n;

	if (i >= 0)
		return i;
	if (d->nr_nodes == d->cap_nodes) {
		size_t want = d->cap_nodes ? d->cap_nodes * 2 : 1024;
		struct node *grown = realloc(d->nodes, want * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		d->nodes = grown;
		d->cap_nodes = want;
	}
	n = &d->nodes[d->nr_nodes];
	memset(n, 0, sizeof(*n));
	n->path = strdup(path);
	if (!n->path || km_hash_add(&d->by_path, n->path, tag(d->nr_nodes))) {
		free(n->path);
		return -ENOMEM;
	}
	return (long)d->nr_nodes++;
}

static int add_edge(struct km_deps *d, size_t from, const char *path)
{
	long to = node_of(d, path);
	struct node *n;

	if (to < 0)
		return (int)to;
	n = &d->nodes[from];
	return push_index(&n->incs, &n->nr_incs, &n->cap_incs, (uint32_t)to);
}

static int link_reverse(struct km_deps *d)
{
	size_t i, j;

	for (i = 0; i < d->nr_nodes; i++) {
		const struct node *n = &d->nodes[i];

		for (j = 0; j < n->nr_incs; j++) {
			struct node *to = &d->nodes[n->incs[j]];

			if (push_index(&to->by, &to->nr_by, &to->cap_by,
				       (uint32_t)i))
				return -ENOMEM;
		}
	}
	return 0;
}

void km_deps_free(struct km_deps *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nr_nodes; i++) {
		free(d->nodes[i].path);
		free(d->nodes[i].incs);
		free(d->nodes[i].by);
	}
	free(d->nodes);
	km_hash_release(&d->by_path);
	free(d);
}

static struct km_deps *deps_new(void)
{
	struct km_deps *d = calloc(1, sizeof(*d));

	if (d && km_hash_init(&d->by_path, 32768)) {
		free(d);
		d = NULL;
	}
	if (!d)
		errno = ENOMEM;
	return d;
}

/* ---- paths --------------------------------------------------------------- */

/* Joins dir and name and folds "." and ".."; NULL when it leaves the tree. */
static char *normalize(const char *dir, const char *name)
{
	char *joined = dir && *dir ? km_strfmt("%s/%s", dir, name)
				   : strdup(name);
	char *out, *p, *save = NULL;
	size_t len = 0;

	if (!joined)
		return NULL;
	out = calloc(1, strlen(joined) + 1);
	for (p = out ? strtok_r(joined, "/", &save) : NULL; p;
	     p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, "..")) {
			char *slash;

			if (!len)
				goto outside;
			slash = strrchr(out, '/');
			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
			continue;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", p);
	}
	free(joined);
	if (out && !len)
		goto empty;
	return out;
outside:
	free(joined);
empty:
	free(out);
	return NULL;
}

static int keep_key(struct scan *s, char *key)
{
	if (s->nr_keys == s->cap_keys) {
		size_t want = s->cap_keys ? s->cap_keys * 2 : 4096;
		char **grown = realloc(s->keys, want * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->keys = grown;
		s->cap_keys = want;
	}
	s->keys[s->nr_keys++] = key;
	return 0;
}

/* Whether the tree holds a regular file at path (asked once per path). */
static bool exists(struct scan *s, const char *path)
{
	uintptr_t known = (uintptr_t)km_hash_get(&s->seen, path);
	char *full, *key;
	struct stat st;
	bool is_file;

	if (known)
		return known == 1;
	full = km_strfmt("%s/%s", s->tree->src, path);
	is_file = full && !stat(full, &st) && S_ISREG(st.st_mode);
	free(full);
	key = strdup(path);
	if (key && !keep_key(s, key))
		km_hash_add(&s->seen, key, (void *)(uintptr_t)(is_file ? 1 : 2));
	else
		free(key);
	return is_file;
}

/* ---- every file of the tree by base name, for what nothing else finds ---- */

static int add_names_in(struct scan *s, const char *rel)
{
	char *full = *rel ? km_strfmt("%s/%s", s->tree->src, rel)
			  : strdup(s->tree->src);
	struct dirent *de;
	DIR *dir = full ? opendir(full) : NULL;
	int ret = 0;

	free(full);
	if (!dir)
		return 0;
	while (!ret && (de = readdir(dir))) {
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = *rel ? km_strfmt("%s/%s", rel, de->d_name)
			    : strdup(de->d_name);
		if (!path) {
			ret = -ENOMEM;
		} else if (de->d_type == DT_DIR) {
			ret = add_names_in(s, path);
			free(path);
		} else if (de->d_type == DT_REG && !keep_key(s, path)) {
			const char *base = strrchr(path, '/');

			ret = km_hash_add(&s->names, base ? base + 1 : path,
					  path);
		} else {
			free(path);
		}
	}
	closedir(dir);
	return ret;
}

/* Every file of the tree whose path ends with /name: an include path of
 * a Makefile of its own (ccflags-y += -I...) holds it, or nothing does. */
static int add_by_name(struct scan *s, size_t from, const char *name,
		       size_t *found)
{
	struct km_hash_entry *e;
	const char *base = strrchr(name, '/');
	size_t n = strlen(name);
	int ret = 0;

	if (!s->have_names) {
		s->have_names = true;
		ret = km_hash_init(&s->names, 131072);
		if (!ret)
			ret = add_names_in(s, "");
		if (ret)
			return ret;
	}
	km_hash_for_each_key(&s->names, base ? base + 1 : name, e) {
		const char *path = e->value;
		size_t len = strlen(path);

		if (len < n || strcmp(path + len - n, name) ||
		    (len > n && path[len - n - 1] != '/'))
			continue;
		ret = add_edge(s->d, from, path);
		if (ret)
			return ret;
		(*found)++;
	}
	return 0;
}

/* ---- reading #include lines --------------------------------------------- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * The name of an #include or #include_next line, in name (up to size):
 * 1 for "name", 2 for <name>, 0 for another line, -1 for a computed one.
 */
static int include_name(const char *line, char *name, size_t size)
{
	const char *p = skip_blanks(line), *end;
	char close;

	if (*p != '#')
		return 0;
	p = skip_blanks(p + 1);
	if (strncmp(p, "include", 7))
		return 0;
	p += 7;
	if (!strncmp(p, "_next", 5))
		p += 5;
	p = skip_blanks(p);
	if (*p != '"' && *p != '<')
		return *p == '\n' || !*p ? 0 : -1;
	close = *p == '"' ? '"' : '>';
	end = strchr(p + 1, close);
	if (!end || end == p + 1 || (size_t)(end - p) > size ||
	    memchr(p + 1, '\n', (size_t)(end - p - 1)))
		return 0;
	memcpy(name, p + 1, (size_t)(end - p - 1));
	name[end - p - 1] = '\0';
	return close == '"' ? 1 : 2;
}

static int add_if_exists(struct scan *s, size_t from, const char *dir,
			 const char *name, size_t *found)
{
	char *path = normalize(dir, name);
	int ret = 0;

	if (path && exists(s, path)) {
		ret = add_edge(s->d, from, path);
		(*found)++;
	}
	free(path);
	return ret;
}

/* Every file the include may mean: its own directory for "name", each
 * directory of the include path, else any file of that name. */
static int resolve(struct scan *s, size_t from, const char *name, bool quoted)
{
	char *dir = NULL;
	size_t i, found = 0;
	int ret = 0;

	if (quoted) {
		const char *slash = strrchr(s->d->nodes[from].path, '/');

		dir = slash ? strndup(s->d->nodes[from].path,
				      (size_t)(slash - s->d->nodes[from].path))
			    : strdup("");
		ret = dir ? add_if_exists(s, from, dir, name, &found) : -ENOMEM;
		free(dir);
	}
	for (i = 0; !ret && i < NR_INCLUDE_DIRS; i++)
		ret = add_if_exists(s, from, include_dirs[i], name, &found);
	if (!ret && !found) {
		const char *tail = name;

		while (!strncmp(tail, "../", 3) || !strncmp(tail, "./", 2))
			tail += tail[1] == '/' ? 2 : 3;
		ret = add_by_name(s, from, tail, &found);
		if (found)
			s->by_name++;
	}
	if (!ret && !found)
		s->unresolved++;	/* the compiler's own (stdarg.h) */
	return ret;
}

static int scan_file(struct scan *s, size_t index)
{
	struct km_buf text = KM_BUF_INIT;
	char *full = km_strfmt("%s/%s", s->tree->src, s->d->nodes[index].path);
	char name[512];
	const char *line;
	int ret;

	if (!full)
		return -ENOMEM;
	ret = km_read_file(full, &text);
	free(full);
	if (ret) {
		km_debug(s->ctx, "cannot read %s: %s", s->d->nodes[index].path,
			 strerror(-ret));
		return 0;
	}
	for (line = text.buf; !ret && line && *line;) {
		const char *hash = strchr(line, '#');
		int kind;

		if (!hash)
			break;
		line = hash;
		while (line > text.buf && line[-1] != '\n' &&
		       (line[-1] == ' ' || line[-1] == '\t'))
			line--;
		kind = line == text.buf || line[-1] == '\n' ?
		       include_name(line, name, sizeof(name)) : 0;
		if (kind < 0)
			s->computed++;
		else if (kind)
			ret = resolve(s, index, name, kind == 1);
		line = strchr(hash, '\n');
		if (line)
			line++;
	}
	km_buf_release(&text);
	return ret;
}

static int scan_new_files(struct scan *s)
{
	int ret = 0;

	for (; !ret && s->scanned < s->d->nr_nodes; s->scanned++)
		ret = scan_file(s, s->scanned);
	return ret;
}

/* "-include $(srctree)/include/linux/kconfig.h": on every unit. */
static int add_forced_includes(struct scan *s)
{
	static const char marker[] = "-include $(srctree)/";
	size_t i, u;
	int ret = 0;

	for (i = 0; !ret && i < sizeof(forcing_makefiles) /
				  sizeof(forcing_makefiles[0]); i++) {
		char *full = km_strfmt("%s/%s", s->tree->src,
				       forcing_makefiles[i]);
		struct km_buf text = KM_BUF_INIT;
		const char *p;

		if (!full || km_read_file(full, &text)) {
			free(full);
			km_buf_release(&text);
			continue;
		}
		for (p = strstr(text.buf, marker); !ret && p;
		     p = strstr(p + 1, marker)) {
			char *path = strndup(p + sizeof(marker) - 1,
					     strcspn(p + sizeof(marker) - 1,
						     " \t\n\\"));

			if (!path)
				ret = -ENOMEM;
			else if (exists(s, path))
				for (u = 0; !ret && u < s->nr_units; u++)
					ret = add_edge(s->d, s->units[u], path);
			free(path);
		}
		free(full);
		km_buf_release(&text);
	}
	return ret;
}

/* ---- the units, and their line tables, from the vmlinux's DWARF ---------- */

/*
 * The tree path of a name DWARF gives: relative to the source tree
 * ("kernel/fork.c"), to the object tree (obj/...), or absolute under the
 * build directory of the distribution (the longest tail that exists).
 */
static char *tree_path(struct scan *s, const char *name)
{
	const char *p = name;
	char *path;

	if (*p != '/') {
		path = normalize("", p);
		if (path && exists(s, path))
			return path;
		free(path);
		path = normalize("obj", p);
		if (path && exists(s, path))
			return path;
		free(path);
		return NULL;
	}
	for (p = strchr(p + 1, '/'); p; p = strchr(p + 1, '/')) {
		path = normalize("", p + 1);
		if (path && exists(s, path))
			return path;
		free(path);
	}
	return NULL;
}

static int add_unit(struct scan *s, const char *name, Dwarf_Off cu)
{
	char *path = tree_path(s, name);
	long index;
	void *n1, *n2;

	if (!path) {
		km_debug(s->ctx, "the vmlinux's unit %s is not in the tree "
			 "(generated by the build)", name);
		return 0;
	}
	index = node_of(s->d, path);
	free(path);
	if (index < 0)
		return (int)index;
	if (s->d->nodes[index].is_unit)
		return 0;
	s->d->nodes[index].is_unit = true;
	s->d->nr_units++;
	n1 = realloc(s->units, (s->nr_units + 1) * sizeof(*s->units));
	if (n1)
		s->units = n1;
	n2 = realloc(s->cus, (s->nr_units + 1) * sizeof(*s->cus));
	if (n2)
		s->cus = n2;
	if (!n1 || !n2)
		return -ENOMEM;
	s->units[s->nr_units] = (uint32_t)index;
	s->cus[s->nr_units++] = cu;
	return 0;
}

static int read_units(struct scan *s, Dwarf *dw)
{
	Dwarf_Off off = 0, next;
	size_t header;
	int ret = 0;

	while (!ret && !dwarf_nextcu(dw, off, &next, &header, NULL, NULL,
				     NULL)) {
		Dwarf_Die die;
		const char *name;

		if (dwarf_offdie(dw, off + header, &die) &&
		    (name = dwarf_diename(&die)) &&
		    (km_ends_with(name, ".c") || km_ends_with(name, ".S")))
			ret = add_unit(s, name, off + header);
		off = next;
	}
	return ret;
}

static void mark_reached(const struct km_deps *d, size_t start,
			 uint32_t *stamp, uint32_t mark, uint32_t *queue)
{
	size_t head = 0, tail = 0, i;

	stamp[start] = mark;
	queue[tail++] = (uint32_t)start;
	while (head < tail) {
		const struct node *n = &d->nodes[queue[head++]];

		for (i = 0; i < n->nr_incs; i++) {
			if (stamp[n->incs[i]] == mark)
				continue;
			stamp[n->incs[i]] = mark;
			queue[tail++] = n->incs[i];
		}
	}
}

/* Adds the files of the unit's line table that the graph does not reach
 * from it (an include no #include line shows). */
static int check_line_table(struct scan *s, Dwarf *dw, size_t u)
{
	size_t size = s->d->nr_nodes, nr, i;
	uint32_t *stamp = calloc(size, sizeof(*stamp));
	uint32_t *queue = calloc(size, sizeof(*queue));
	Dwarf_Files *files;
	Dwarf_Die die;
	int ret = stamp && queue ? 0 : -ENOMEM;

	if (ret || !dwarf_offdie(dw, s->cus[u], &die) ||
	    dwarf_getsrcfiles(&die, &files, &nr))
		goto out;
	mark_reached(s->d, s->units[u], stamp, 1, queue);
	for (i = 1; !ret && i < nr; i++) {
		const char *name = dwarf_filesrc(files, i, NULL, NULL);
		char *path = name ? tree_path(s, name) : NULL;
		long index = path ? find_node(s->d, path) : -1;

		if (path && (index < 0 || (size_t)index >= size ||
			     !stamp[index])) {
			km_debug(s->ctx, "%s reads %s, which no #include line "
				 "shows", s->d->nodes[s->units[u]].path, path);
			ret = add_edge(s->d, s->units[u], path);
			s->from_dwarf++;
		}
		free(path);
	}
out:
	free(stamp);
	free(queue);
	return ret;
}

static int check_line_tables(struct scan *s, Dwarf *dw)
{
	size_t u;
	int ret = 0;

	for (u = 0; !ret && u < s->nr_units; u++)
		ret = check_line_table(s, dw, u);
	return ret ? ret : scan_new_files(s);
}

/* ---- building, writing, reading ------------------------------------------- */

static int write_index(const struct km_deps *d, const char *id,
		       const char *path)
{
	struct km_buf out = KM_BUF_INIT;
	size_t i, j;
	int ret;

	km_buf_addf(&out, "kmend-deps %d %s\n", KM_DEPS_FORMAT, id);
	for (i = 0; i < d->nr_nodes; i++) {
		const struct node *n = &d->nodes[i];

		km_buf_addf(&out, "N %s %s", n->path, n->is_unit ? "unit" : "file");
		for (j = 0; j < n->nr_incs; j++)
			km_buf_addf(&out, " %u", n->incs[j]);
		km_buf_adds(&out, "\n");
	}
	ret = out.buf ? km_write_file_atomic(path, out.buf, out.len) : -ENOMEM;
	km_buf_release(&out);
	return ret;
}

static void scan_release(struct scan *s)
{
	size_t i;

	km_hash_release(&s->seen);
	if (s->have_names)
		km_hash_release(&s->names);
	for (i = 0; i < s->nr_keys; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->units);
	free(s->cus);
}

static int scan_kernel(struct scan *s, const char *vmlinux)
{
	int fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
	int ret;

	if (!dw) {
		km_err(s->ctx, "cannot read the DWARF of '%s': %s", vmlinux,
		       fd < 0 ? strerror(errno) : dwarf_errmsg(-1));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	ret = read_units(s, dw);
	if (!ret && !s->nr_units) {
		km_err(s->ctx, "'%s' names no compile unit: it has no debug "
		       "information (install the -dbg package's vmlinux)",
		       vmlinux);
		ret = -EINVAL;
	}
	if (!ret)
		ret = scan_new_files(s);
	if (!ret)
		ret = add_forced_includes(s);
	if (!ret)
		ret = scan_new_files(s);
	if (!ret)
		ret = check_line_tables(s, dw);
	dwarf_end(dw);
	close(fd);
	return ret;
}

static int build_index(struct km_ctx *ctx, const struct km_tree *tree,
		       const char *vmlinux, const char *path,
		       struct km_deps **deps)
{
	struct scan s = { .ctx = ctx, .tree = tree };
	double t0 = km_now();
	int ret;

	km_info(ctx, "  indexing the includes of %s's units (once per "
		"kernel) ...", tree->krel);
	s.d = deps_new();
	if (!s.d)
		return -ENOMEM;
	ret = km_hash_init(&s.seen, 65536);
	if (!ret)
		ret = scan_kernel(&s, vmlinux);
	if (!ret)
		ret = write_index(s.d, tree->id, path);
	if (!ret)
		km_info(ctx, "  dependency index: %zu units, %zu files (%zu "
			"found by name, %zu from line tables) %5.1f s",
			s.d->nr_units, s.d->nr_nodes, s.by_name, s.from_dwarf,
			km_now() - t0);
	km_debug(ctx, "dependency index: %zu includes of no file of the tree, "
		 "%zu computed ones", s.unresolved, s.computed);
	scan_release(&s);
	if (ret) {
		km_deps_free(s.d);
		return ret;
	}
	*deps = s.d;
	return 0;
}

static int parse_node(struct km_deps *d, char *line)
{
	char *save = NULL, *path, *kind, *tok;
	long index;
	struct node *n;

	strtok_r(line, " ", &save);
	path = strtok_r(NULL, " ", &save);
	kind = strtok_r(NULL, " ", &save);
	if (!path || !kind)
		return -EINVAL;
	index = node_of(d, path);
	if (index < 0)
		return (int)index;
	if (!strcmp(kind, "unit")) {
		d->nodes[index].is_unit = true;
		d->nr_units++;
	}
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *end;
		unsigned long to = strtoul(tok, &end, 10);

		if (*end || to > UINT32_MAX)
			return -EINVAL;
		n = &d->nodes[index];
		if (push_index(&n->incs, &n->nr_incs, &n->cap_incs,
			       (uint32_t)to))
			return -ENOMEM;
	}
	return 0;
}

/* 0 and *deps when path holds the index of this tree; -ENOENT if not. */
static int read_index(const struct km_tree *tree, const char *path,
		      struct km_deps **deps)
{
	struct km_buf text = KM_BUF_INIT;
	char *head = km_strfmt("kmend-deps %d %s\n", KM_DEPS_FORMAT, tree->id);
	struct km_deps *d = NULL;
	char *line, *save = NULL;
	size_t i, j;
	int ret;

	ret = head ? km_read_file(path, &text) : -ENOMEM;
	if (!ret && (!text.buf || !km_starts_with(text.buf, head)))
		ret = -ENOENT;
	if (!ret && !(d = deps_new()))
		ret = -ENOMEM;
	for (line = ret ? NULL : strtok_r(text.buf + strlen(head), "\n", &save);
	     !ret && line; line = strtok_r(NULL, "\n", &save))
		ret = line[0] == 'N' ? parse_node(d, line) : -EINVAL;
	for (i = 0; !ret && i < d->nr_nodes; i++)
		for (j = 0; j < d->nodes[i].nr_incs; j++)
			if (d->nodes[i].incs[j] >= d->nr_nodes)
				ret = -EINVAL;
	km_buf_release(&text);
	free(head);
	if (ret) {
		km_deps_free(d);
		return ret;
	}
	*deps = d;
	return 0;
}

int km_deps_open(struct km_ctx *ctx, const struct km_tree *tree,
		 const char *vmlinux, struct km_deps **deps)
{
	char *path = km_strfmt("%s/deps-%s", tree->cache, tree->id);
	int ret;

	*deps = NULL;
	if (!path)
		return -ENOMEM;
	ret = read_index(tree, path, deps);
	if (ret == -EINVAL)
		km_warn(ctx, "the dependency index '%s' is damaged: building "
			"it again", path);
	if (ret)
		ret = build_index(ctx, tree, vmlinux, path, deps);
	if (ret == -ENOMEM || ret == -ENOSPC || ret == -EACCES || ret == -EROFS)
		km_err(ctx, "cannot write the dependency index '%s': %s", path,
		       strerror(-ret));
	if (!ret) {
		ret = link_reverse(*deps);
		if (ret) {
			km_deps_free(*deps);
			*deps = NULL;
		}
	}
	free(path);
	return ret;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **km_deps_includers(const struct km_deps *d, const char *path)
{
	long start = find_node(d, path);
	uint32_t *queue = calloc(d->nr_nodes + 1, sizeof(*queue));
	bool *seen = calloc(d->nr_nodes + 1, sizeof(*seen));
	char **units = calloc(d->nr_units + 1, sizeof(*units));
	size_t head = 0, tail = 0, n = 0, i;

	if (!queue || !seen || !units)
		goto nomem;
	if (start >= 0) {
		seen[start] = true;
		queue[tail++] = (uint32_t)start;
	}
	while (head < tail) {
		const struct node *node = &d->nodes[queue[head++]];

		if (node->is_unit && n < d->nr_units &&
		    !(units[n++] = strdup(node->path)))
			goto nomem;
		for (i = 0; i < node->nr_by; i++) {
			if (seen[node->by[i]])
				continue;
			seen[node->by[i]] = true;
			queue[tail++] = node->by[i];
		}
	}
	qsort(units, n, sizeof(*units), compare_strings);
	free(queue);
	free(seen);
	return units;
nomem:
	free(queue);
	free(seen);
	km_free_list(units);
	errno = ENOMEM;
	return NULL;
}

int km_deps_knows(const struct km_deps *d, const char *path)
{
	return find_node(d, path) >= 0;
}

size_t km_deps_nr_units(const struct km_deps *d)
{
	return d->nr_units;
}
