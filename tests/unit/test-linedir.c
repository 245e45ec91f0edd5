// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/source/linedir: #line directives that keep __LINE__ of the
 * lines a change does not touch.  Each original line N that matters reads
 * "int oN = __LINE__;"; the rewritten file is run through the real
 * preprocessor (gcc -E) and every oN must still be N, whatever the change
 * around it: at the top, in a comment, a macro, parentheses, a group that
 * #if 0 skips, a deletion.
 */
#include <unistd.h>

#include "linedir.h"
#include "unit.h"

#define NAME "../kernel/x.c"

struct result {
	int directives;		/* what km_linedir_rewrite() returned */
	char *text;		/* the rewritten file */
	bool kept_copy;		/* x.c.patched exists */
	struct km_linemap map;
};

static int rewrite(struct suite *s, const char *old, const char *new,
		   struct result *r)
{
	char *a = km_strfmt("%s/old.c", s->dir), *b = km_strfmt("%s/x.c", s->dir);
	char *copy = km_strfmt("%s/x.c.patched", s->dir);
	struct km_buf text = KM_BUF_INIT;
	int ret = a && b && copy ? 0 : -ENOMEM;

	memset(r, 0, sizeof(*r));
	if (copy)
		unlink(copy);
	if (!ret)
		ret = put_file(s->dir, "old.c", old);
	if (!ret)
		ret = put_file(s->dir, "x.c", new);
	if (!ret)
		ret = r->directives = km_linedir_rewrite(&s->ctx, a, b, NAME,
							 &r->map);
	if (ret >= 0)
		ret = km_read_file(b, &text);
	r->text = km_buf_detach(&text);
	r->kept_copy = copy && km_is_file(copy);
	free(a);
	free(b);
	free(copy);
	return ret < 0 ? ret : 0;
}

static void release(struct result *r)
{
	free(r->text);
	km_linemap_release(&r->map);
}

/*
 * gcc -E of the rewritten file: every "int oN = M;" has M == N, there are
 * want of them, and __FILE__ is the name given.
 */
static bool lines_kept(struct suite *s, int want)
{
	char *path = km_strfmt("%s/x.c", s->dir);
	char *argv[] = { "gcc", "-E", "-P", "-x", "c", path, NULL };
	struct km_buf out = KM_BUF_INIT;
	const char *line;
	int found = 0;
	bool ok;

	ok = path && km_run(&s->ctx, NULL, argv, NULL, &out) == 0 && out.buf;
	for (line = ok ? out.buf : NULL; line; line = strchr(line, '\n')) {
		int n, m;

		while (*line == '\n')
			line++;
		if (sscanf(line, "int o%d = %d;", &n, &m) != 2)
			continue;
		found++;
		if (n != m) {
			printf("#   o%d is on line %d\n", n, m);
			ok = false;
		}
	}
	if (found != want) {
		printf("#   %d lines oN, not %d:\n%s\n", found, want,
		       out.buf ? out.buf : "");
		ok = false;
	}
	km_buf_release(&out);
	free(path);
	return ok;
}

int main(void)
{
	struct suite s;
	struct result r;

	if (suite_init(&s, "kmend-test-linedir"))
		return 1;

	check(&s, !rewrite(&s, "int o1 = __LINE__;\nint o2 = __LINE__;\n",
			   "/* new */\n\nint o1 = __LINE__;\nint o2 = __LINE__;\n",
			   &r) && r.directives == 1 &&
	      !strcmp(r.text, "/* new */\n\n#line 1 \"" NAME "\"\n"
			      "int o1 = __LINE__;\nint o2 = __LINE__;\n") &&
	      r.kept_copy && lines_kept(&s, 2),
	      "lines added at the top: one directive, every line keeps its number");
	check(&s, km_linemap_new_line(&r.map, 1) == 1 &&
	      km_linemap_new_line(&r.map, 2) == 2,
	      "the line map says the lines did not move");
	release(&r);

	check(&s, !rewrite(&s, "int o1 = __LINE__;\nint o2 = __LINE__;\n",
			   "int o1 = __LINE__;\nint o2 = __LINE__ + 0;\n", &r) &&
	      r.directives == 0 && !r.kept_copy &&
	      km_linemap_new_line(&r.map, 1) == 1,
	      "a changed line that moves nothing: no directive, no copy");
	release(&r);

	check(&s, !rewrite(&s, "int o1 = __LINE__;\nint x;\nint o3 = __LINE__;\n",
			   "int o1 = __LINE__;\nint o3 = __LINE__;\n", &r) &&
	      r.directives == 1 && lines_kept(&s, 2),
	      "a deleted line: the lines after it keep their numbers");
	release(&r);

	/* a line added inside a comment: the directive waits for its end */
	check(&s, !rewrite(&s,
			   "int o1 = __LINE__;\n/* a comment\n   over lines */\n"
			   "int o4 = __LINE__;\n",
			   "int o1 = __LINE__;\n/* a comment\n   added\n"
			   "   over lines */\nint o4 = __LINE__;\n", &r) &&
	      r.directives == 1 && strstr(r.text, "*/\n#line 4 ") &&
	      lines_kept(&s, 2),
	      "not inside a comment that spans lines");
	release(&r);

	check(&s, !rewrite(&s,
			   "#define M(x) \\\n\t((x) + \\\n\t 1)\nint o4 = __LINE__;\n",
			   "#define M(x) \\\n\t0 + \\\n\t((x) + \\\n\t 1)\n"
			   "int o4 = __LINE__;\n", &r) &&
	      r.directives == 1 && strstr(r.text, " 1)\n#line 4 ") &&
	      lines_kept(&s, 1),
	      "not inside a macro continued over lines");
	release(&r);

	check(&s, !rewrite(&s,
			   "int o1 = f(1,\n\t2);\nint o3 = __LINE__;\n",
			   "int o1 = f(1,\n\t3,\n\t2);\nint o3 = __LINE__;\n", &r) &&
	      r.directives == 1 && strstr(r.text, "2);\n#line 3 ") &&
	      lines_kept(&s, 1),
	      "not inside parentheses (macro arguments, asm)");
	release(&r);

	check(&s, !rewrite(&s,
			   "char *s = \"/*\"; char c = '\"';\nint o2 = __LINE__;\n",
			   "char *s = \"/*\"; char c = '\"';\nint added;\n"
			   "int o2 = __LINE__;\n", &r) &&
	      r.directives == 1 && lines_kept(&s, 1),
	      "comment and quote characters inside literals are no comment");
	release(&r);

	/* the first directive lands in a group the preprocessor skips */
	check(&s, !rewrite(&s,
			   "int o1 = __LINE__;\n#if 0\nint o3 = __LINE__;\n"
			   "#endif\nint o5 = __LINE__;\n",
			   "int o1 = __LINE__;\n#if 0\nint o3 = __LINE__;\n"
			   "int added;\n#endif\nint o5 = __LINE__;\n", &r) &&
	      r.directives == 2 && lines_kept(&s, 2),
	      "after #endif the numbering is given again (#if 0 skipped the first)");
	release(&r);

	check(&s, !rewrite(&s,
			   "int o1 = __LINE__;\n#if 1\n#if 0\n#endif\n"
			   "int o5 = __LINE__;\n#endif\nint o7 = __LINE__;\n",
			   "int o1 = __LINE__;\n#if 1\n#if 0\nint added;\n#endif\n"
			   "int o5 = __LINE__;\n#endif\nint o7 = __LINE__;\n", &r) &&
	      lines_kept(&s, 3),
	      "nested groups: given again until a directive is outside them all");
	release(&r);

	check(&s, !rewrite(&s,
			   "int o1 = __LINE__;\n#ifdef X\nint o3 = __LINE__;\n"
			   "#endif\nint o5 = __LINE__;\n",
			   "/* new */\nint o1 = __LINE__;\n#ifdef X\n"
			   "int o3 = __LINE__;\n#endif\nint o5 = __LINE__;\n", &r) &&
	      r.directives == 1 && lines_kept(&s, 2),
	      "a directive outside any group needs no other after #endif");
	release(&r);

	check(&s, rewrite(&s, "a\n", "b\n", &r) == 0 && r.directives == 0,
	      "no line moved, nothing to do");
	release(&r);

	return suite_finish(&s);
}
