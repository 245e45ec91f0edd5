// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "util.h"

/* "@@ -12,3 +12,4 @@": a count omitted is 1; "-12,0" is an insertion. */
static int parse_header(const char *line, struct km_line_hunk *h)
{
	h->old_count = h->new_count = 1;
	if (sscanf(line, "@@ -%ld,%ld +%ld,%ld @@", &h->old_start, &h->old_count,
		   &h->new_start, &h->new_count) == 4)
		return 0;
	h->old_count = h->new_count = 1;
	if (sscanf(line, "@@ -%ld +%ld,%ld @@", &h->old_start, &h->new_start,
		   &h->new_count) == 3)
		return 0;
	h->new_count = 1;
	if (sscanf(line, "@@ -%ld,%ld +%ld @@", &h->old_start, &h->old_count,
		   &h->new_start) == 3)
		return 0;
	h->old_count = 1;
	if (sscanf(line, "@@ -%ld +%ld @@", &h->old_start, &h->new_start) == 2)
		return 0;
	return -EINVAL;
}

static int add_hunk(struct km_linemap *map, const struct km_line_hunk *h)
{
	void *n = realloc(map->hunks, (map->nr_hunks + 1) * sizeof(*map->hunks));

	if (!n)
		return -ENOMEM;
	map->hunks = n;
	map->hunks[map->nr_hunks++] = *h;
	return 0;
}

static int parse_diff(const char *text, struct km_linemap *map)
{
	const char *line = text;
	int ret = 0;

	while (line && *line && !ret) {
		struct km_line_hunk h;

		if (km_starts_with(line, "@@ ")) {
			ret = parse_header(line, &h);
			if (!ret)
				ret = add_hunk(map, &h);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return ret;
}

int km_linemap_from_files(struct km_ctx *ctx, const char *old_path,
			  const char *new_path, struct km_linemap *map)
{
	char *argv[] = { "diff", "-U0", (char *)old_path, (char *)new_path, NULL };
	struct km_buf out = KM_BUF_INIT;
	int ret;

	memset(map, 0, sizeof(*map));
	ret = km_run(ctx, NULL, argv, NULL, &out);
	if (ret == 0 || ret == 1)	/* same, different */
		ret = parse_diff(out.buf ? out.buf : "", map);
	else if (ret > 0)
		ret = -EIO;
	if (ret)
		km_debug(ctx, "no line map of %s: %s", new_path,
			 out.buf ? out.buf : strerror(-ret));
	km_buf_release(&out);
	if (ret)
		km_linemap_release(map);
	return ret;
}

int km_linemap_add_reset(struct km_linemap *map, long old_line)
{
	void *n;

	if (map->nr_resets && map->resets[map->nr_resets - 1] >= old_line)
		return map->resets[map->nr_resets - 1] == old_line ? 0 : -EINVAL;
	n = realloc(map->resets, (map->nr_resets + 1) * sizeof(*map->resets));
	if (!n)
		return -ENOMEM;
	map->resets = n;
	map->resets[map->nr_resets++] = old_line;
	return 0;
}

/* The last reset at or before old_line; 0 when there is none. */
static long last_reset(const struct km_linemap *map, long old_line)
{
	long reset = 0;
	size_t i;

	for (i = 0; i < map->nr_resets && map->resets[i] <= old_line; i++)
		reset = map->resets[i];
	return reset;
}

long km_linemap_new_line(const struct km_linemap *map, long old_line)
{
	long delta = 0, reset = last_reset(map, old_line);
	size_t i;

	for (i = 0; i < map->nr_hunks; i++) {
		const struct km_line_hunk *h = &map->hunks[i];
		/* for an insertion, old_start is the line before it */
		long first = h->old_count ? h->old_start : h->old_start + 1;

		if (old_line < first)
			break;
		if (h->old_count && old_line < h->old_start + h->old_count)
			return 0;
		/* a directive after the hunk gave the old numbers back */
		if (first > reset)
			delta += h->new_count - h->old_count;
	}
	return old_line + delta;
}

void km_linemap_release(struct km_linemap *map)
{
	free(map->hunks);
	free(map->resets);
	memset(map, 0, sizeof(*map));
}
