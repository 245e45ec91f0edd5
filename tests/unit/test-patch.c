// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/source/patch: reading unified diffs of every style kmend
 * accepts, the errors for those it does not, and applying them to a small
 * tree (including a hunk that does not apply, and a symlinked file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "patch.h"
#include "unit.h"
#include "util.h"

static char *write_patch(struct suite *s, const char *name, const char *text)
{
	char *path = km_strfmt("%s/%s", s->dir, name);

	if (path && km_write_file_atomic(path, text, strlen(text))) {
		free(path);
		return NULL;
	}
	return path;
}

/* Reads text as a patch; the log of the attempt is in s->log. */
static int read_text(struct suite *s, struct km_ctx *ctx, const char *text,
		     struct km_patch *patch)
{
	char *path = write_patch(s, "test.patch", text);
	int ret;

	km_buf_reset(&s->log);
	ret = path ? km_patch_read(ctx, path, patch) : -ENOMEM;
	free(path);
	return ret;
}

static const char git_patch[] =
	"From 1234 Mon Sep 17 00:00:00 2001\n"
	"Subject: [PATCH] proc: say hello\n"
	"\n"
	"---\n"
	" fs/proc/cmdline.c | 2 +-\n"
	"\n"
	"diff --git a/fs/proc/cmdline.c b/fs/proc/cmdline.c\n"
	"index 1111111..2222222 100644\n"
	"--- a/fs/proc/cmdline.c\n"
	"+++ b/fs/proc/cmdline.c\n"
	"@@ -1,4 +1,4 @@\n"
	" static int show(void)\n"
	" {\n"
	"-\treturn 0;\n"
	"+\treturn 1;\n"
	" }\n"
	"diff --git a/include/linux/x.h b/include/linux/x.h\n"
	"new file mode 100644\n"
	"index 0000000..3333333\n"
	"--- /dev/null\n"
	"+++ b/include/linux/x.h\n"
	"@@ -0,0 +1,2 @@\n"
	"+-- a line that looks like a header\n"
	"+#define X 1\n"
	"diff --git a/kernel/old.c b/kernel/new.c\n"
	"similarity index 100%\n"
	"rename from kernel/old.c\n"
	"rename to kernel/new.c\n"
	"diff --git a/mm/gone.c b/mm/gone.c\n"
	"deleted file mode 100644\n"
	"index 4444444..0000000\n"
	"--- a/mm/gone.c\n"
	"+++ /dev/null\n"
	"@@ -1 +0,0 @@\n"
	"-int gone;\n"
	"-- \n"
	"2.39.2\n";

static void test_git_patch(struct suite *s, struct km_ctx *ctx)
{
	struct km_patch p;
	int ret = read_text(s, ctx, git_patch, &p);
	char **paths;

	check(s, ret == 0 && p.nr_files == 4 && p.strip == 1,
	      "git format-patch: four files, -p1");
	if (ret)
		return;
	check(s, !strcmp(p.files[0].path, "fs/proc/cmdline.c") &&
	      !strcmp(p.files[0].old_path, "fs/proc/cmdline.c") &&
	      p.files[0].flags == 0 && p.files[0].hunks == 1,
	      "git: a changed .c file, one hunk");
	check(s, !strcmp(p.files[1].path, "include/linux/x.h") &&
	      !p.files[1].old_path &&
	      p.files[1].flags == (KM_PATCH_NEW | KM_PATCH_NOT_C),
	      "git: a new header, a '+--' line inside the hunk is no header");
	check(s, !strcmp(p.files[2].path, "kernel/new.c") &&
	      !strcmp(p.files[2].old_path, "kernel/old.c") &&
	      p.files[2].flags == KM_PATCH_RENAMED && p.files[2].hunks == 0,
	      "git: a pure rename without hunks");
	check(s, !strcmp(p.files[3].path, "mm/gone.c") &&
	      p.files[3].flags == KM_PATCH_DELETED,
	      "git: a deleted file; the '-- ' signature is no header");
	paths = km_patch_touched_paths(&p, 1);
	check(s, paths && paths[4] && !strcmp(paths[3], "kernel/old.c") &&
	      !paths[5], "touched paths: five, the rename's both names");
	km_patch_paths_free(paths);
	km_patch_release(&p);
}

static const char plain_p1[] =
	"diff -ur linux.orig/fs/proc/cmdline.c linux/fs/proc/cmdline.c\n"
	"--- linux.orig/fs/proc/cmdline.c\t2024-01-01 00:00:00.000000000 +0000\n"
	"+++ linux/fs/proc/cmdline.c\t2024-01-02 00:00:00.000000000 +0000\n"
	"@@ -3 +3 @@\n"
	"-\treturn 0;\n"
	"+\treturn 1;\n";

static const char plain_p0[] =
	"--- fs/proc/cmdline.c.orig\t2024-01-01 00:00:00.000000000 +0000\n"
	"+++ fs/proc/cmdline.c\t2024-01-02 00:00:00.000000000 +0000\n"
	"@@ -1,2 +1,2 @@\n"
	" {\n"
	"-\treturn 0;\n"
	"+\treturn 1;\n"
	"\\ No newline at end of file\n";

static void test_plain_patches(struct suite *s, struct km_ctx *ctx)
{
	struct km_patch p;
	int ret;

	ret = read_text(s, ctx, plain_p1, &p);
	check(s, ret == 0 && p.nr_files == 1 && p.strip == 1 &&
	      !strcmp(p.files[0].path, "fs/proc/cmdline.c"),
	      "diff -ur between two trees: -p1, timestamps dropped");
	if (!ret)
		km_patch_release(&p);
	ret = read_text(s, ctx, plain_p0, &p);
	check(s, ret == 0 && p.nr_files == 1 && p.strip == 0 &&
	      !strcmp(p.files[0].path, "fs/proc/cmdline.c") &&
	      !strcmp(p.files[0].old_path, "fs/proc/cmdline.c.orig"),
	      "diff -u from the top of the tree: -p0");
	if (!ret)
		km_patch_release(&p);
}

static void test_errors(struct suite *s, struct km_ctx *ctx)
{
	struct km_patch p;
	int ret;

	km_buf_reset(&s->log);
	ret = km_patch_read(ctx, "/nonexistent/fix.patch", &p);
	check(s, ret == -ENOENT &&
	      logged(s, "cannot read '/nonexistent/fix.patch'"),
	      "an unreadable patch: -ENOENT, named");
	ret = read_text(s, ctx, "just some text\nnot a diff\n", &p);
	check(s, ret == -EINVAL && logged(s, "is not a unified diff: no '--- ' "
					  "/ '+++ ' file headers"),
	      "text without file headers is not a unified diff");
	ret = read_text(s, ctx, "", &p);
	check(s, ret == -EINVAL && logged(s, "is not a unified diff"),
	      "an empty file is not a unified diff");
	ret = read_text(s, ctx,
			"diff --git a/fw.bin b/fw.bin\n"
			"index 1..2 100644\n"
			"GIT binary patch\nliteral 3\nabc\n", &p);
	check(s, ret == -EINVAL && logged(s, "binary file 'b/fw.bin'") &&
	      logged(s, "cannot apply binary patches"),
	      "a git binary patch is refused, naming the file");
	ret = read_text(s, ctx,
			"Binary files a/x.bin and b/x.bin differ\n", &p);
	check(s, ret == -EINVAL && logged(s, "binary"),
	      "diff's 'Binary files differ' is refused");
	ret = read_text(s, ctx,
			"--- a/fs/x.c\n+++ b/fs/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n",
			&p);
	check(s, ret == -EINVAL && logged(s, "ends early"),
	      "a truncated hunk is reported");
	ret = read_text(s, ctx,
			"--- a/../../etc/passwd\n+++ b/../../etc/passwd\n"
			"@@ -1 +1 @@\n-a\n+b\n", &p);
	check(s, ret == -EINVAL && logged(s, "not inside the kernel tree"),
	      "a path outside the tree is refused");
	ret = read_text(s, ctx,
			"--- foo.c\n+++ foo.c\n@@ -1 +1 @@\n-a\n+b\n", &p);
	check(s, ret == 0 && p.strip == 0,
	      "a -p0 file at the top (same names) is read as -p0");
	if (!ret)
		km_patch_release(&p);
	ret = read_text(s, ctx,
			"--- /dev/null\n+++ foo/bar.c\n@@ -0,0 +1 @@\n+a\n", &p);
	check(s, ret == -EINVAL && logged(s, "cannot tell how many leading"),
	      "a new file under an unknown directory is ambiguous");
}

static const char source_text[] =
	"static int show(void)\n{\n\treturn 0;\n}\n"
	"\n/* padding */\n/* padding */\n/* padding */\n/* padding */\n"
	"static int other(void)\n{\n\treturn 2;\n}\n";

static const char good_fix[] =
	"--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n"
	"@@ -1,5 +1,5 @@\n static int show(void)\n {\n-\treturn 0;\n"
	"+\treturn 1;\n }\n \n";

static const char bad_fix[] =
	"--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n"
	"@@ -1,5 +1,5 @@\n static int show(void)\n {\n-\treturn 0;\n"
	"+\treturn 1;\n }\n \n"
	"@@ -10,4 +10,4 @@\n static int other(void)\n {\n-\treturn 7;\n"
	"+\treturn 8;\n }\n";

static bool file_is(const char *path, const char *text)
{
	struct km_buf b = KM_BUF_INIT;
	bool same = km_read_file(path, &b) == 0 && !strcmp(b.buf, text);

	km_buf_release(&b);
	return same;
}

static int read_fix(struct suite *s, struct km_ctx *ctx, const char *name,
		    const char *text, struct km_patch *p)
{
	char *path = write_patch(s, name, text);
	int ret = path ? km_patch_read(ctx, path, p) : -ENOMEM;

	free(path);
	return ret;
}

static void test_apply(struct suite *s, struct km_ctx *ctx)
{
	char *tree = km_strfmt("%s/tree", s->dir);
	char *file = km_strfmt("%s/tree/fs/proc/cmdline.c", s->dir);
	struct km_patch good, bad, both[2];
	int ret;

	if (put_file(s->dir, "tree/fs/proc/cmdline.c", source_text) ||
	    read_fix(s, ctx, "good.patch", good_fix, &good) ||
	    read_fix(s, ctx, "bad.patch", bad_fix, &bad)) {
		check(s, false, "set up the apply tests");
		goto out;
	}
	km_buf_reset(&s->log);
	ret = km_patch_apply(ctx, &bad, tree);
	check(s, ret == -EINVAL &&
	      logged(s, "fs/proc/cmdline.c: hunk #2 of 2 does not apply") &&
	      logged(s, "does not match this kernel's source"),
	      "a hunk that does not apply: file and hunk named");
	check(s, file_is(file, source_text),
	      "a patch that does not apply changes nothing (dry run first)");
	both[0] = good;
	both[1] = bad;
	km_buf_reset(&s->log);
	ret = km_patch_apply_all(ctx, both, 2, tree);
	check(s, ret == -EINVAL && file_is(file, source_text),
	      "of two patches, the second fails: the first is undone");
	km_buf_reset(&s->log);
	ret = km_patch_apply(ctx, &good, tree);
	check(s, ret == 0 && !file_is(file, source_text) &&
	      logged(s, "applying"), "a matching patch applies");
	km_buf_reset(&s->log);
	ret = km_patch_apply(ctx, &good, tree);
	check(s, ret == -EINVAL && logged(s, "already in this source"),
	      "applying it twice: the change is already there");
	km_buf_reset(&s->log);
	{
		/* top/fs -> tree/fs: what a scratch view looks like untouched */
		char *top = km_strfmt("%s/top", s->dir);
		char *fs = km_strfmt("%s/top/fs", s->dir);
		char *fs_target = km_strfmt("%s/tree/fs", s->dir);

		ret = top && fs && fs_target && !mkdir(top, 0755) &&
		      !symlink(fs_target, fs) ? 0 : -1;
		if (!ret)
			ret = km_patch_apply(ctx, &good, top);
		check(s, ret == -EINVAL && logged(s, "is a symlink"),
		      "a file reached through a symlink is not patched");
		free(top);
		free(fs);
		free(fs_target);
	}
	km_patch_release(&good);
	km_patch_release(&bad);
out:
	free(tree);
	free(file);
}

/* ---- driver for tests/cli/t1500-patch.sh ------------------------------- */

static void log_to_stderr(void *data, enum km_level level, const char *msg)
{
	fprintf(stderr, "%s%s\n", level == KM_ERROR ? "error: " : "", msg);
}

static void print_patch(const struct km_patch *p)
{
	static const char *const names[] = {
		"new", "deleted", "renamed", "copied", "not-c",
	};
	size_t i, b;

	printf("strip %d\n", p->strip);
	for (i = 0; i < p->nr_files; i++) {
		printf("%s hunks=%u", p->files[i].path, p->files[i].hunks);
		for (b = 0; b < 5; b++) {
			if (p->files[i].flags & (1u << b))
				printf(" %s", names[b]);
		}
		printf("\n");
	}
}

/* test-patch --read PATCH | --apply DIR PATCH... */
static int run_driver(int argc, char **argv)
{
	bool apply = !strcmp(argv[0], "--apply");
	int first = apply ? 2 : 1, i, ret = 0, n = 0;
	struct km_patch *patches;
	struct km_ctx ctx;

	if (argc <= first || (!apply && strcmp(argv[0], "--read"))) {
		fprintf(stderr, "usage: test-patch --read PATCH... | "
			"[KM_TEST_FUZZ=N] --apply DIR PATCH...\n");
		return 1;
	}
	km_ctx_init(&ctx, log_to_stderr, NULL);
	patches = calloc((size_t)argc, sizeof(*patches));
	for (i = first; patches && !ret && i < argc; i++) {
		ret = km_patch_read(&ctx, argv[i], &patches[n]);
		if (!ret && getenv("KM_TEST_FUZZ"))
			patches[n].fuzz = (unsigned int)atoi(getenv("KM_TEST_FUZZ"));
		if (!ret && !apply)
			print_patch(&patches[n]);
		n += !ret;
	}
	if (!ret && apply)
		ret = km_patch_apply_all(&ctx, patches, (size_t)n, argv[1]);
	for (i = 0; i < n; i++)
		km_patch_release(&patches[i]);
	free(patches);
	return ret || !patches ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct suite s;

	if (argc > 1)
		return run_driver(argc - 1, argv + 1);

	if (suite_init(&s, "kmend-test-patch"))
		return 1;
	s.ctx.verbose = 1;	/* progress lines are debug lines */
	test_git_patch(&s, &s.ctx);
	test_plain_patches(&s, &s.ctx);
	test_errors(&s, &s.ctx);
	test_apply(&s, &s.ctx);
	return suite_finish(&s);
}
