// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/source/linemap: where each unchanged line of a file went in
 * its patched version (insertions, deletions, changed lines, no change).
 */
#include "linemap.h"
#include "unit.h"

static int map_texts(struct suite *s, const char *old, const char *new,
		     struct km_linemap *map)
{
	char *a = km_strfmt("%s/old.c", s->dir), *b = km_strfmt("%s/new.c", s->dir);
	int ret = a && b ? 0 : -ENOMEM;

	if (!ret)
		ret = put_file(s->dir, "old.c", old);
	if (!ret)
		ret = put_file(s->dir, "new.c", new);
	if (!ret)
		ret = km_linemap_from_files(&s->ctx, a, b, map);
	free(a);
	free(b);
	return ret;
}

int main(void)
{
	struct suite s;
	struct km_linemap m;

	if (suite_init(&s, "kmend-test-linemap"))
		return 1;

	check(&s, !map_texts(&s, "a\nb\nc\n", "a\nb\nc\n", &m) && m.nr_hunks == 0 &&
	      km_linemap_new_line(&m, 2) == 2, "no change: every line stays");
	km_linemap_release(&m);

	/* two lines inserted after line 1 */
	check(&s, !map_texts(&s, "a\nb\nc\nd\n", "a\nx\ny\nb\nc\nd\n", &m) &&
	      km_linemap_new_line(&m, 1) == 1 && km_linemap_new_line(&m, 2) == 4 &&
	      km_linemap_new_line(&m, 4) == 6, "lines after an insertion move down");
	km_linemap_release(&m);

	/* line 2 changed, line 4 deleted */
	check(&s, !map_texts(&s, "a\nb\nc\nd\ne\n", "a\nB\nc\ne\n", &m) &&
	      km_linemap_new_line(&m, 1) == 1 && km_linemap_new_line(&m, 2) == 0 &&
	      km_linemap_new_line(&m, 3) == 3 && km_linemap_new_line(&m, 4) == 0 &&
	      km_linemap_new_line(&m, 5) == 4,
	      "changed and deleted lines have no new place; the rest move up");
	km_linemap_release(&m);

	/* an insertion before the first line */
	check(&s, !map_texts(&s, "a\nb\n", "/* new */\na\nb\n", &m) &&
	      km_linemap_new_line(&m, 1) == 2 && km_linemap_new_line(&m, 2) == 3,
	      "an insertion at the top moves every line");
	km_linemap_release(&m);

	/* two lines inserted after line 1, a #line directive before old line 3 */
	check(&s, !map_texts(&s, "a\nb\nc\nd\n", "a\nx\ny\nb\nc\nd\n", &m) &&
	      !km_linemap_add_reset(&m, 3) &&
	      km_linemap_new_line(&m, 2) == 4 && km_linemap_new_line(&m, 3) == 3 &&
	      km_linemap_new_line(&m, 4) == 4,
	      "a #line reset gives the lines after it their old numbers");
	check(&s, km_linemap_add_reset(&m, 2) == -EINVAL &&
	      km_linemap_add_reset(&m, 3) == 0 && m.nr_resets == 1,
	      "resets are kept in ascending order, once each");
	km_linemap_release(&m);

	/* a reset, then another insertion further down moves lines again */
	check(&s, !map_texts(&s, "a\nb\nc\nd\n", "x\na\nb\ny\nc\nd\n", &m) &&
	      !km_linemap_add_reset(&m, 1) &&
	      km_linemap_new_line(&m, 2) == 2 && km_linemap_new_line(&m, 3) == 4 &&
	      km_linemap_new_line(&m, 4) == 5,
	      "a hunk after the last reset still moves the lines after it");
	km_linemap_release(&m);

	check(&s, km_linemap_from_files(&s.ctx, "/nonexistent/a.c", "/nonexistent/b.c",
					&m) < 0 && m.nr_hunks == 0,
	      "missing files: an error and an empty map");
	return suite_finish(&s);
}
