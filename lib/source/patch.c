// SPDX-License-Identifier: GPL-2.0
/*
 * Unified diffs: which files they touch, and applying them with GNU patch.
 * The parser reads file headers (git's extended ones and --- / +++ pairs)
 * and counts hunk lines, so that a removed line starting with "-- " is
 * never taken for a header.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "patch.h"
#include "util.h"

/* What the parser knows about the file entry it is reading. */
struct parser {
	struct km_ctx *ctx;
	struct km_patch *patch;
	const char *name;	/* the patch file, for messages */
	unsigned int lineno;
	struct km_patch_file *cur;	/* entry whose hunks follow */
	bool cur_has_headers;	/* its --- / +++ pair was seen */
	char **old_raw;		/* names as written, prefixes kept */
	char **new_raw;
};

/* Top-level entries of a kernel tree, to tell -p0 from -p1 paths. */
static const char *const kernel_top_dirs[] = {
	"arch", "block", "certs", "crypto", "Documentation", "drivers", "fs",
	"include", "init", "io_uring", "ipc", "kernel", "lib", "LICENSES",
	"mm", "net", "rust", "samples", "scripts", "security", "sound",
	"tools", "usr", "virt", "Makefile", "Kconfig", "Kbuild",
	"MAINTAINERS",
};

static void free_file(struct km_patch_file *f)
{
	free(f->path);
	free(f->old_path);
}

void km_patch_release(struct km_patch *patch)
{
	size_t i;

	for (i = 0; i < patch->nr_files; i++)
		free_file(&patch->files[i]);
	free(patch->files);
	free(patch->path);
	free(patch->abspath);
	memset(patch, 0, sizeof(*patch));
}

static void release_parser(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->patch->nr_files; i++) {
		free(p->old_raw[i]);
		free(p->new_raw[i]);
	}
	free(p->old_raw);
	free(p->new_raw);
}

/* ---- lines and names ------------------------------------------------------ */

/* The next line of text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **pos)
{
	char *line = *pos, *nl;
	size_t len;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = line + strlen(line);
	}
	len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}

/* git's C-style quoted names: "a/foo\tbar" */
static char *unquote_name(const char *s, const char **end)
{
	struct km_buf b = KM_BUF_INIT;

	for (s++; *s && *s != '"'; s++) {
		char c = *s;

		if (c == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			default:
				if (*s >= '0' && *s <= '7') {
					c = (char)strtol(s, NULL, 8);
					s += strspn(s, "01234567") > 3 ?
					     2 : strspn(s, "01234567") - 1;
				} else {
					c = *s;
				}
			}
		}
		km_buf_add(&b, &c, 1);
	}
	if (end)
		*end = *s ? s + 1 : s;
	return b.buf ? km_buf_detach(&b) : strdup("");
}

/* The name of a --- / +++ line: up to a tab (diff's timestamp). */
static char *header_name(const char *s)
{
	size_t n;

	s += strspn(s, " ");
	if (*s == '"')
		return unquote_name(s, NULL);
	n = strcspn(s, "\t");
	while (n && s[n - 1] == ' ')
		n--;
	return strndup(s, n);
}

/*
 * "a/x y b/x y": two names of the same length either side of the middle
 * space, equal but for their first two characters (git's prefixes), so
 * that a name with spaces splits where git meant it to.
 */
static bool is_split_in_the_middle(const char *s, size_t n)
{
	size_t half = n / 2;

	return n % 2 == 1 && half > 2 && s[half] == ' ' &&
	       !memcmp(s + 2, s + half + 3, half - 2);
}

/* "diff --git a/x b/y": the two names (equal halves when unquoted). */
static int split_git_names(const char *s, char **old_name, char **new_name)
{
	const char *end, *mid;
	size_t n = strlen(s);

	*old_name = *new_name = NULL;
	if (*s == '"') {
		*old_name = unquote_name(s, &end);
		end += strspn(end, " ");
		*new_name = *end == '"' ? unquote_name(end, NULL) : strdup(end);
	} else if (is_split_in_the_middle(s, n)) {
		*old_name = strndup(s, n / 2);
		*new_name = strdup(s + n / 2 + 1);
	} else if ((mid = strstr(s, " b/")) || (mid = strrchr(s, ' '))) {
		*old_name = strndup(s, (size_t)(mid - s));
		*new_name = strdup(mid + 1);
	}
	return *old_name && *new_name && **old_name && **new_name ? 0 : -EINVAL;
}

static bool is_dev_null(const char *name)
{
	return name && !strcmp(name, "/dev/null");
}

/* ---- entries -------------------------------------------------------------- */

static struct km_patch_file *add_file(struct parser *p)
{
	struct km_patch *patch = p->patch;
	size_t n = patch->nr_files + 1;
	struct km_patch_file *files;
	char **olds, **news;

	files = realloc(patch->files, n * sizeof(*files));
	if (files)
		patch->files = files;
	olds = realloc(p->old_raw, n * sizeof(*olds));
	if (olds)
		p->old_raw = olds;
	news = realloc(p->new_raw, n * sizeof(*news));
	if (news)
		p->new_raw = news;
	if (!files || !olds || !news)
		return NULL;
	memset(&files[n - 1], 0, sizeof(files[0]));
	files[n - 1].line = p->lineno;
	olds[n - 1] = news[n - 1] = NULL;
	patch->nr_files = n;
	p->cur = &files[n - 1];
	p->cur_has_headers = false;
	return p->cur;
}

static size_t cur_index(const struct parser *p)
{
	return (size_t)(p->cur - p->patch->files);
}

static void set_raw_names(struct parser *p, char *old_name, char *new_name)
{
	size_t i = cur_index(p);

	free(p->old_raw[i]);
	free(p->new_raw[i]);
	p->old_raw[i] = old_name;
	p->new_raw[i] = new_name;
}

static int start_git_file(struct parser *p, const char *rest)
{
	char *old_name, *new_name;

	if (!add_file(p))
		return -ENOMEM;
	if (split_git_names(rest, &old_name, &new_name)) {
		free(old_name);
		free(new_name);
		km_err(p->ctx, "'%s' line %u: cannot read the file names of "
		       "'diff --git %s'", p->name, p->lineno, rest);
		return -EINVAL;
	}
	set_raw_names(p, old_name, new_name);
	return 0;
}

static int binary_error(struct parser *p)
{
	size_t i = p->cur ? cur_index(p) : 0;
	const char *name = p->cur && p->new_raw[i] ? p->new_raw[i] : "?";

	km_err(p->ctx, "'%s' line %u changes the binary file '%s': kmend "
	       "cannot apply binary patches", p->name, p->lineno, name);
	return -EINVAL;
}

/* git's extended header lines between "diff --git" and "---". */
static bool read_git_header(struct parser *p, const char *line)
{
	if (!p->cur || p->cur_has_headers)
		return false;
	if (km_starts_with(line, "new file mode "))
		p->cur->flags |= KM_PATCH_NEW;
	else if (km_starts_with(line, "deleted file mode "))
		p->cur->flags |= KM_PATCH_DELETED;
	else if (km_starts_with(line, "rename from ") ||
		 km_starts_with(line, "rename to "))
		p->cur->flags |= KM_PATCH_RENAMED;
	else if (km_starts_with(line, "copy from ") ||
		 km_starts_with(line, "copy to "))
		p->cur->flags |= KM_PATCH_COPIED;
	else if (!km_starts_with(line, "index ") &&
		 !km_starts_with(line, "old mode ") &&
		 !km_starts_with(line, "new mode ") &&
		 !km_starts_with(line, "similarity index ") &&
		 !km_starts_with(line, "dissimilarity index "))
		return false;
	return true;
}

/* "--- old" (line) and "+++ new" (next): a file header. */
static int read_file_header(struct parser *p, const char *line,
			    const char *next)
{
	char *old_name = header_name(line + 4);
	char *new_name = header_name(next + 4);

	if (!old_name || !new_name) {
		free(old_name);
		free(new_name);
		return -ENOMEM;
	}
	/* A git entry takes its names from here; a plain diff starts one. */
	if (!p->cur || p->cur_has_headers) {
		if (!add_file(p)) {
			free(old_name);
			free(new_name);
			return -ENOMEM;
		}
	}
	set_raw_names(p, old_name, new_name);
	p->cur_has_headers = true;
	return 0;
}

/* "12,7" of a hunk header: the count (1 when omitted), or -1 if bad. */
static long parse_hunk_range(const char *s, const char **end)
{
	char *e;
	long count = 1;

	if (*s < '0' || *s > '9')
		return -1;
	strtol(s, &e, 10);
	if (*e == ',') {
		if (e[1] < '0' || e[1] > '9')
			return -1;
		count = strtol(e + 1, &e, 10);
	}
	*end = e;
	return count;
}

/* "@@ -12,7 +12,8 @@": the number of old and new lines (1 when omitted). */
static int parse_hunk_header(const char *line, long *old_lines,
			     long *new_lines)
{
	const char *s = line + 3, *end;

	if (*s != '-')
		return -EINVAL;
	*old_lines = parse_hunk_range(s + 1, &end);
	if (*old_lines < 0)
		return -EINVAL;
	s = end + strspn(end, " ");
	if (*s != '+')
		return -EINVAL;
	*new_lines = parse_hunk_range(s + 1, &end);
	if (*new_lines < 0)
		return -EINVAL;
	return km_starts_with(end, " @@") ? 0 : -EINVAL;
}

/* Consumes the body of a hunk, counting its lines. */
static int read_hunk(struct parser *p, const char *header, char **pos)
{
	long old_left, new_left;
	unsigned int start = p->lineno;
	char *line;

	if (!p->cur) {
		km_err(p->ctx, "'%s' line %u: a hunk before any file header "
		       "('--- ' / '+++ ')", p->name, p->lineno);
		return -EINVAL;
	}
	if (parse_hunk_header(header, &old_left, &new_left)) {
		km_err(p->ctx, "'%s' line %u: malformed hunk header '%s'",
		       p->name, p->lineno, header);
		return -EINVAL;
	}
	p->cur->hunks++;
	while (old_left > 0 || new_left > 0) {
		char *before = *pos;

		line = next_line(pos);
		if (!line)
			break;
		p->lineno++;
		switch (line[0]) {
		case '\0':	/* a context line whose space was eaten */
		case ' ':
			old_left--;
			new_left--;
			break;
		case '-':
			old_left--;
			break;
		case '+':
			new_left--;
			break;
		case '\\':	/* \ No newline at end of file */
			break;
		default:
			*pos = before;
			p->lineno--;
			line = NULL;
			break;
		}
		if (!line)
			break;
	}
	if (old_left > 0 || new_left > 0) {
		km_err(p->ctx, "'%s': the hunk at line %u ends early (%ld old "
		       "and %ld new lines missing): the patch is truncated or "
		       "was edited by hand", p->name, start,
		       old_left > 0 ? old_left : 0,
		       new_left > 0 ? new_left : 0);
		return -EINVAL;
	}
	if (old_left < 0 || new_left < 0) {
		km_err(p->ctx, "'%s': the hunk at line %u has more lines than "
		       "its header says", p->name, start);
		return -EINVAL;
	}
	return 0;
}

static int parse_text(struct parser *p, char *text)
{
	char *pos = text, *line;
	int ret = 0;

	while (!ret && (line = next_line(&pos))) {
		p->lineno++;
		if (km_starts_with(line, "diff --git ")) {
			ret = start_git_file(p, line + 11);
		} else if (read_git_header(p, line)) {
			continue;
		} else if (km_starts_with(line, "GIT binary patch") ||
			   (km_starts_with(line, "Binary files ") &&
			    km_ends_with(line, " differ"))) {
			ret = binary_error(p);
		} else if (km_starts_with(line, "--- ") &&
			   km_starts_with(pos, "+++ ")) {
			char *next = next_line(&pos);

			ret = read_file_header(p, line, next);
			p->lineno++;
		} else if (km_starts_with(line, "@@ ")) {
			ret = read_hunk(p, line, &pos);
		}
	}
	return ret;
}

/* ---- paths ---------------------------------------------------------------- */

static bool is_kernel_top(const char *path)
{
	size_t n = strcspn(path, "/"), i;

	for (i = 0; i < sizeof(kernel_top_dirs) / sizeof(kernel_top_dirs[0]);
	     i++) {
		if (strlen(kernel_top_dirs[i]) == n &&
		    !strncmp(path, kernel_top_dirs[i], n))
			return true;
	}
	return false;
}

static const char *strip_one(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? slash + 1 : NULL;
}

static bool same_first_component(const char *a, const char *b)
{
	size_t n = strcspn(a, "/");

	return n == strcspn(b, "/") && !strncmp(a, b, n);
}

/* -1: no idea, 0 or 1: the -p level this entry's names suggest. */
static int vote_strip(const char *old_raw, const char *new_raw)
{
	const char *name = is_dev_null(new_raw) ? old_raw : new_raw;
	const char *stripped = strip_one(name);

	if (!is_dev_null(old_raw) && !is_dev_null(new_raw)) {
		if (km_starts_with(old_raw, "a/") && km_starts_with(new_raw, "b/"))
			return 1;
		if (!strchr(old_raw, '/') || !strchr(new_raw, '/'))
			return 0;
		return same_first_component(old_raw, new_raw) ? 0 : 1;
	}
	if (km_starts_with(name, "a/") || km_starts_with(name, "b/"))
		return 1;
	if (is_kernel_top(name) && !(stripped && is_kernel_top(stripped)))
		return 0;
	if (stripped && is_kernel_top(stripped))
		return 1;
	return -1;
}

static int decide_strip(struct parser *p)
{
	int level = -1;
	size_t i;

	for (i = 0; i < p->patch->nr_files; i++) {
		int vote = vote_strip(p->old_raw[i], p->new_raw[i]);

		if (vote < 0)
			continue;
		if (level >= 0 && vote != level) {
			km_err(p->ctx, "'%s' mixes path styles (with and without "
			       "a leading directory like a/): make it again "
			       "with git diff or diff -u from the top of the "
			       "tree", p->name);
			return -EINVAL;
		}
		level = vote;
	}
	if (level < 0) {
		km_err(p->ctx, "cannot tell how many leading directories to "
		       "strip from the paths of '%s' (like '%s'): make it with "
		       "git diff or diff -u from the top of the kernel tree",
		       p->name, p->new_raw[0]);
		return -EINVAL;
	}
	p->patch->strip = level;
	return 0;
}

static bool is_safe_path(const char *path)
{
	const char *s = path;

	if (!*path || *path == '/')
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && !strncmp(s, "..", 2))
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

static char *stripped_path(struct parser *p, const char *raw)
{
	const char *s = raw;
	int i;

	if (is_dev_null(raw))
		return NULL;
	for (i = 0; s && i < p->patch->strip; i++)
		s = strip_one(s);
	if (!s || !is_safe_path(s)) {
		km_err(p->ctx, "'%s' names the file '%s', which is not inside "
		       "the kernel tree", p->name, raw);
		errno = EINVAL;
		return NULL;
	}
	return strdup(s);
}

static int finish_file(struct parser *p, size_t i)
{
	struct km_patch_file *f = &p->patch->files[i];
	const char *old_raw = p->old_raw[i], *new_raw = p->new_raw[i];

	if (is_dev_null(old_raw))
		f->flags |= KM_PATCH_NEW;
	if (is_dev_null(new_raw))
		f->flags |= KM_PATCH_DELETED;
	if (!is_dev_null(old_raw)) {
		f->old_path = stripped_path(p, old_raw);
		if (!f->old_path)
			return -EINVAL;
	}
	if (is_dev_null(old_raw) && is_dev_null(new_raw)) {
		km_err(p->ctx, "'%s' line %u: both names of the entry are "
		       "/dev/null", p->name, f->line);
		return -EINVAL;
	}
	f->path = is_dev_null(new_raw) ? strdup(f->old_path) :
		  stripped_path(p, new_raw);
	if (!f->path)
		return -EINVAL;
	if (f->flags & KM_PATCH_NEW) {
		free(f->old_path);
		f->old_path = NULL;
	}
	if (!km_ends_with(f->path, ".c"))
		f->flags |= KM_PATCH_NOT_C;
	if (!f->hunks && !(f->flags & (KM_PATCH_NEW | KM_PATCH_DELETED |
				       KM_PATCH_RENAMED | KM_PATCH_COPIED)) &&
	    p->cur_has_headers) {
		km_debug(p->ctx, "'%s': %s changes only its mode", p->name,
			 f->path);
	}
	return 0;
}

static int finish_files(struct parser *p)
{
	size_t i;
	int ret;

	if (!p->patch->nr_files) {
		km_err(p->ctx, "'%s' is not a unified diff: no '--- ' / '+++ ' "
		       "file headers (make it with git diff, git format-patch "
		       "or diff -u)", p->name);
		return -EINVAL;
	}
	ret = decide_strip(p);
	for (i = 0; !ret && i < p->patch->nr_files; i++)
		ret = finish_file(p, i);
	return ret;
}

static int read_patch_text(struct km_ctx *ctx, const char *path,
			   struct km_buf *text)
{
	int ret = km_read_file(path, text);

	if (ret) {
		km_err(ctx, "cannot read '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (memchr(text->buf, '\0', text->len)) {
		km_err(ctx, "'%s' is not a unified diff: it holds binary data",
		       path);
		return -EINVAL;
	}
	return 0;
}

int km_patch_read(struct km_ctx *ctx, const char *path,
		  struct km_patch *patch)
{
	struct parser p = { .ctx = ctx, .patch = patch, .name = path };
	struct km_buf text = KM_BUF_INIT;
	int ret;

	memset(patch, 0, sizeof(*patch));
	patch->path = strdup(path);
	patch->abspath = realpath(path, NULL);
	ret = read_patch_text(ctx, path, &text);
	if (!ret && (!patch->path || !patch->abspath))
		ret = -errno;
	if (!ret)
		ret = parse_text(&p, text.buf);
	if (!ret)
		ret = finish_files(&p);
	release_parser(&p);
	km_buf_release(&text);
	if (ret)
		km_patch_release(patch);
	return ret;
}

/* ---- touched paths ------------------------------------------------------- */

static bool has_path(char **paths, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(paths[i], path))
			return true;
	}
	return false;
}

static int add_path(char ***paths, size_t *n, const char *path)
{
	char **grown;

	if (!path || has_path(*paths, *n, path))
		return 0;
	grown = realloc(*paths, (*n + 2) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*paths = grown;
	grown[*n] = strdup(path);
	if (!grown[*n])
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

char **km_patch_touched_paths(const struct km_patch *patches, size_t n)
{
	char **paths = calloc(1, sizeof(*paths));
	size_t count = 0, i, j;
	int ret = paths ? 0 : -ENOMEM;

	for (i = 0; !ret && i < n; i++) {
		for (j = 0; !ret && j < patches[i].nr_files; j++) {
			const struct km_patch_file *f = &patches[i].files[j];

			ret = add_path(&paths, &count, f->path);
			if (!ret)
				ret = add_path(&paths, &count, f->old_path);
		}
	}
	if (ret) {
		km_patch_paths_free(paths);
		errno = -ret;
		return NULL;
	}
	return paths;
}

void km_patch_paths_free(char **paths)
{
	char **p;

	for (p = paths; p && *p; p++)
		free(*p);
	free(paths);
}

/* ---- applying --------------------------------------------------------- */

/* The first symlink on the way from dir to dir/path, or NULL. */
static char *first_symlink(const char *dir, const char *path)
{
	char *full = km_strfmt("%s/%s", dir, path), *s, *found = NULL;
	size_t skip = strlen(dir) + 1;
	struct stat st;

	if (!full)
		return NULL;
	for (s = strchr(full + skip, '/'); s && !found; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (lstat(full, &st) == 0 && S_ISLNK(st.st_mode))
			found = strdup(full + skip);
		*s = '/';
	}
	if (!found && lstat(full, &st) == 0 && S_ISLNK(st.st_mode))
		found = strdup(full + skip);
	free(full);
	return found;
}

static int check_real_files(struct km_ctx *ctx, const struct km_patch *patch,
			    const char *dir)
{
	size_t i;

	for (i = 0; i < patch->nr_files; i++) {
		const struct km_patch_file *f = &patch->files[i];
		const char *paths[] = { f->path, f->old_path };
		size_t j;

		for (j = 0; j < 2; j++) {
			char *link = paths[j] ? first_symlink(dir, paths[j]) :
				     NULL;

			if (!link)
				continue;
			km_err(ctx, "will not patch '%s' in '%s': '%s' is a "
			       "symlink (into a shared tree?); make the "
			       "touched files real copies first", paths[j],
			       dir, link);
			free(link);
			return -EINVAL;
		}
	}
	return 0;
}

/* What GNU patch said, read back into file, hunk and reason. */
struct patch_report {
	struct km_ctx *ctx;
	const struct km_patch *patch;
	bool dry_run;
	char *file;		/* the file patch is working on */
	int failures;
};

static void set_report_file(struct patch_report *r, const char *name)
{
	size_t n = strlen(name);

	free(r->file);
	if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
		r->file = strndup(name + 1, n - 2);
	else
		r->file = strdup(name);
}

/* The file whose header is the last before line lineno of the patch. */
static const char *file_at_line(const struct km_patch *patch,
				unsigned int lineno)
{
	const char *name = "?";
	size_t i;

	for (i = 0; i < patch->nr_files; i++) {
		if (patch->files[i].line <= lineno)
			name = patch->files[i].path;
	}
	return name;
}

static unsigned int hunks_of(const struct km_patch *patch, const char *file)
{
	size_t i;

	for (i = 0; file && i < patch->nr_files; i++) {
		if (!strcmp(patch->files[i].path, file))
			return patch->files[i].hunks;
	}
	return 0;
}

static void read_patch_line(struct patch_report *r, const char *line)
{
	const char *file = r->file ? r->file : "?";
	unsigned int hunk, at, fuzz;

	if (km_starts_with(line, "checking file "))
		set_report_file(r, line + 14);
	else if (km_starts_with(line, "patching file "))
		set_report_file(r, line + 14);
	else if (sscanf(line, "Hunk #%u FAILED at %u", &hunk, &at) == 2) {
		km_err(r->ctx, "%s: hunk #%u of %u does not apply (at line %u "
		       "of the original)", file, hunk,
		       hunks_of(r->patch, r->file), at);
		r->failures++;
	} else if (km_starts_with(line, "Reversed (or previously applied) "
				  "patch detected")) {
		km_err(r->ctx, "%s: the change is already in this source (or "
		       "the patch is reversed)", file);
		r->failures++;
	} else if (sscanf(line, "can't find file to patch at input line %u",
			  &at) == 1) {
		km_err(r->ctx, "%s: no such file in this source",
		       file_at_line(r->patch, at));
		r->failures++;
	} else if (km_starts_with(line, "The next patch would create the "
				  "file ")) {
		km_err(r->ctx, "%s: the patch creates it, but it exists already",
		       file);
		r->failures++;
	} else if (!r->dry_run &&
		   sscanf(line, "Hunk #%u succeeded at %u with fuzz %u", &hunk,
			  &at, &fuzz) == 3) {
		km_warn(r->ctx, "%s: hunk #%u applied with fuzz %u at line %u: "
			"check that the fix fits this source", file, hunk, fuzz,
			at);
	}
}

static int read_patch_output(struct patch_report *r, const char *out)
{
	char *copy = strdup(out ? out : ""), *pos = copy, *line;

	if (!copy)
		return -ENOMEM;
	while ((line = next_line(&pos)))
		read_patch_line(r, line);
	free(copy);
	return r->failures;
}

/*
 * GNU patch's environment: C messages (they are parsed), and none of what
 * would change what it does.  POSIXLY_CORRECT makes it patch the first
 * existing of a diff's old and new names, where kmend compiles the new
 * one; the others choose backups and version control.
 */
static char *const patch_env[] = {
	"LC_ALL=C", "POSIXLY_CORRECT", "PATCH_GET", "PATCH_VERSION_CONTROL",
	"VERSION_CONTROL", "SIMPLE_BACKUP_SUFFIX", "QUOTING_STYLE", NULL,
};

static int run_patch_fuzz(struct km_ctx *ctx, const struct km_patch *patch,
			  const char *dir, bool dry_run, bool reverse,
			  unsigned int fuzz, struct km_buf *out)
{
	char strip[16], fuzzarg[32];
	char *argv[16];
	int i = 0;

	snprintf(strip, sizeof(strip), "-p%d", patch->strip);
	snprintf(fuzzarg, sizeof(fuzzarg), "--fuzz=%u", fuzz);
	argv[i++] = "patch";
	argv[i++] = strip;
	argv[i++] = fuzzarg;
	argv[i++] = "--batch";
	argv[i++] = reverse ? "--reverse" : "--forward";
	argv[i++] = "--no-backup-if-mismatch";
	argv[i++] = "--reject-file=-";
	argv[i++] = "--quoting-style=literal";
	if (dry_run)
		argv[i++] = "--dry-run";
	argv[i++] = "-d";
	argv[i++] = (char *)dir;
	argv[i++] = "-i";
	argv[i++] = patch->abspath;
	argv[i] = NULL;
	return km_run(ctx, NULL, argv, patch_env, out);
}

static int run_patch(struct km_ctx *ctx, const struct km_patch *patch,
		     const char *dir, bool dry_run, bool reverse,
		     struct km_buf *out)
{
	return run_patch_fuzz(ctx, patch, dir, dry_run, reverse, patch->fuzz,
			      out);
}

/*
 * The least fuzz above the patch's with which it would apply to dir, or 0.
 * GNU patch's own default is 2; a context of 3 lines allows no more.
 */
static unsigned int fuzz_that_applies(struct km_ctx *ctx,
				      const struct km_patch *patch,
				      const char *dir)
{
	struct km_buf out = KM_BUF_INIT;
	unsigned int fuzz;
	int ret = -1;

	for (fuzz = patch->fuzz + 1; ret && fuzz <= KM_PATCH_MAX_FUZZ; fuzz++) {
		km_buf_reset(&out);
		ret = run_patch_fuzz(ctx, patch, dir, true, false, fuzz, &out);
	}
	km_buf_release(&out);
	return ret ? 0 : fuzz - 1;
}

static int report_patch_failure(struct km_ctx *ctx,
				const struct km_patch *patch, const char *dir,
				int status, const struct km_buf *out)
{
	struct patch_report r = { .ctx = ctx, .patch = patch, .dry_run = true };
	unsigned int fuzz;

	if (status < 0) {
		km_err(ctx, "cannot run GNU patch: %s: install patch",
		       strerror(-status));
		return status;
	}
	read_patch_output(&r, out->buf);
	free(r.file);
	if (!r.failures)
		km_err(ctx, "patch says: %s", out->buf ? out->buf : "");
	fuzz = fuzz_that_applies(ctx, patch, dir);
	if (fuzz) {
		km_err(ctx, "'%s' applies to the kernel source in '%s' only "
		       "with fuzz %u (up to %u context line%s at the ends of a "
		       "hunk ignored): this source is not the one the fix was "
		       "written for; read the hunks against it, then rebase the "
		       "fix or give --fuzz %u", patch->path, dir, fuzz, fuzz,
		       fuzz == 1 ? "" : "s", fuzz);
		return -EINVAL;
	}
	km_err(ctx, "'%s' does not apply to the kernel source in '%s': the "
	       "fix does not match this kernel's source; rebase it onto this "
	       "kernel's version", patch->path, dir);
	return -EINVAL;
}

int km_patch_apply(struct km_ctx *ctx, const struct km_patch *patch,
		   const char *dir)
{
	struct km_buf out = KM_BUF_INIT;
	struct patch_report r = { .ctx = ctx, .patch = patch };
	double start = km_now();
	int ret;

	ret = check_real_files(ctx, patch, dir);
	if (ret)
		return ret;
	ret = run_patch(ctx, patch, dir, true, false, &out);
	if (ret) {
		ret = report_patch_failure(ctx, patch, dir, ret, &out);
		km_buf_release(&out);
		return ret;
	}
	km_buf_reset(&out);
	ret = run_patch(ctx, patch, dir, false, false, &out);
	if (ret) {
		/* The dry run passed: only a changed tree gets here. */
		km_err(ctx, "applying '%s' in '%s' failed after a clean dry "
		       "run: %s", patch->path, dir, out.buf ? out.buf : "");
		km_buf_release(&out);
		return ret < 0 ? ret : -EIO;
	}
	read_patch_output(&r, out.buf);
	free(r.file);
	km_buf_release(&out);
	km_debug(ctx, "applying %s (%zu file%s) ... %.1f s", patch->path,
		patch->nr_files, patch->nr_files == 1 ? "" : "s",
		km_now() - start);
	return 0;
}

static void unapply(struct km_ctx *ctx, const struct km_patch *patch,
		    const char *dir)
{
	struct km_buf out = KM_BUF_INIT;

	if (run_patch(ctx, patch, dir, false, true, &out))
		km_warn(ctx, "could not undo '%s' in '%s': %s", patch->path,
			dir, out.buf ? out.buf : "");
	km_buf_release(&out);
}

int km_patch_apply_all(struct km_ctx *ctx, const struct km_patch *patches,
		       size_t n, const char *dir)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = km_patch_apply(ctx, &patches[i], dir);
		if (ret)
			break;
	}
	if (i == n)
		return 0;
	while (i-- > 0)
		unapply(ctx, &patches[i], dir);
	return ret;
}
