// SPDX-License-Identifier: GPL-2.0
/*
 * #line directives that keep __LINE__ of untouched code, see linedir.h.
 *
 * A directive must start a logical line of its own: not inside a comment
 * that spans lines, not after a backslash that continues a line (a macro,
 * a string), and kmend also keeps it out of parentheses (the arguments of
 * a macro call, an asm statement), where GCC would take it but its effect
 * on the line of the expansion is the compiler's business.  A line that
 * starts at depth 0 in plain code is "safe"; the directive for a change
 * goes before the first safe line after it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linedir.h"
#include "util.h"

enum lex_state { LEX_CODE, LEX_BLOCK_COMMENT, LEX_LINE_COMMENT, LEX_STRING,
		 LEX_CHAR };

struct lexer {
	enum lex_state state;
	bool continued;		/* the line before ended in backslash-newline */
	bool directive;		/* inside a preprocessor directive */
	int parens;		/* depth of parentheses in plain code */
	int groups;		/* depth of #if groups */
};

struct line_info {
	bool safe;		/* a directive may go right before the line */
	bool conditional;	/* #if, #ifdef, #ifndef, #elif, #else, #endif */
	int groups;		/* depth of #if groups where the line starts */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static bool is_name(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && !strncmp(p, name, n);
}

/* 1: opens a group (#if...), -1: closes one, 0: #else, #elif...; or 2. */
static int conditional_kind(const char *p, size_t n)
{
	static const char *const others[] = { "elif", "else", "elifdef",
					      "elifndef" };
	size_t i;

	if (is_name(p, n, "if") || is_name(p, n, "ifdef") ||
	    is_name(p, n, "ifndef"))
		return 1;
	if (is_name(p, n, "endif"))
		return -1;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (is_name(p, n, others[i]))
			return 0;
	return 2;
}

/* A line that starts a logical line: a directive? a conditional? */
static void start_line(struct lexer *lx, const char *p, const char *end,
		       struct line_info *info)
{
	const char *name;
	int kind;

	/* a brace in column 0 opens or closes a function: depth 0 again */
	if (p < end && (*p == '{' || *p == '}'))
		lx->parens = 0;
	info->safe = lx->parens == 0;
	info->groups = lx->groups;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p != '#')
		return;
	lx->directive = true;
	for (p++; p < end && is_blank(*p); p++)
		;
	for (name = p; p < end && ((*p >= 'a' && *p <= 'z')); p++)
		;
	kind = conditional_kind(name, (size_t)(p - name));
	info->conditional = kind != 2;
	if (kind == 1 || (kind == -1 && lx->groups > 0))
		lx->groups += kind;
}

/* The characters of one physical line, without its newline. */
static void lex_line(struct lexer *lx, const char *p, const char *end)
{
	for (; p < end; p++) {
		char next = p + 1 < end ? p[1] : '\0';

		switch (lx->state) {
		case LEX_CODE:
			if (*p == '/' && next == '*') {
				lx->state = LEX_BLOCK_COMMENT;
				p++;
			} else if (*p == '/' && next == '/') {
				lx->state = LEX_LINE_COMMENT;
				p++;
			} else if (*p == '"') {
				lx->state = LEX_STRING;
			} else if (*p == '\'') {
				lx->state = LEX_CHAR;
			} else if (!lx->directive && *p == '(') {
				lx->parens++;
			} else if (!lx->directive && *p == ')' && lx->parens) {
				lx->parens--;
			}
			break;
		case LEX_BLOCK_COMMENT:
			if (*p == '*' && next == '/') {
				lx->state = LEX_CODE;
				p++;
			}
			break;
		case LEX_LINE_COMMENT:
			break;
		case LEX_STRING:
		case LEX_CHAR:
			if (*p == '\\')
				p++;
			else if (*p == (lx->state == LEX_STRING ? '"' : '\''))
				lx->state = LEX_CODE;
			break;
		}
	}
}

/* Splices come first (translation phase 2): any backslash before '\n'. */
static bool ends_continued(const char *start, const char *end)
{
	if (end > start && end[-1] == '\r')
		end--;
	return end > start && end[-1] == '\\';
}

static void end_line(struct lexer *lx, bool continued)
{
	lx->continued = continued;
	if (continued)
		return;
	lx->directive = false;
	if (lx->state != LEX_BLOCK_COMMENT)
		lx->state = LEX_CODE;
}

/* info[1..nr_lines]: where a directive may go, which lines are #if ... */
static void scan_lines(const char *text, size_t len, struct line_info *info,
		       size_t nr_lines)
{
	struct lexer lx = { LEX_CODE, false, false, 0, 0 };
	const char *p = text, *end = text + len;
	size_t line;

	for (line = 1; line <= nr_lines && p <= end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (lx.state == LEX_CODE && !lx.continued)
			start_line(&lx, p, eol, &info[line]);
		lex_line(&lx, p, eol);
		end_line(&lx, ends_continued(p, eol));
		p = eol + 1;
	}
}

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	return n + (len && text[len - 1] != '\n');
}

/* The first line of the patched file after hunk h. */
static long hunk_end(const struct km_line_hunk *h)
{
	return h->new_count ? h->new_start + h->new_count : h->new_start + 1;
}

static bool is_in_hunk(const struct km_line_hunk *h, long line)
{
	return h->new_count && line >= h->new_start &&
	       line < h->new_start + h->new_count;
}

struct rewrite {
	const char *text;
	size_t len;
	const char *name;
	struct line_info *info;
	size_t nr_lines;
	struct km_linemap *map;
	struct km_buf out;
	int directives;
};

static int emit_directive(struct rewrite *rw, long line)
{
	rw->directives++;
	if (km_buf_addf(&rw->out, "#line %ld \"%s\"\n", line, rw->name))
		return -ENOMEM;
	return km_linemap_add_reset(rw->map, line);
}

/*
 * The patched lines, each unchanged one preceded by a directive where its
 * number as compiled (cur) is not its old number and a directive may go.
 * A directive inside an #if group may be skipped: after the conditionals
 * that follow it, the next safe unchanged line gets one anyway, until one
 * goes outside every group.
 */
static int write_lines(struct rewrite *rw)
{
	const struct km_linemap *map = rw->map;
	const char *p = rw->text, *end = rw->text + rw->len;
	long line, cur = 1, delta = 0;
	bool resync = false, maybe_skipped = false;
	size_t h = 0;
	int ret = 0;

	for (line = 1; !ret && (size_t)line <= rw->nr_lines; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);

		while (h < map->nr_hunks && hunk_end(&map->hunks[h]) <= line) {
			delta += map->hunks[h].new_count - map->hunks[h].old_count;
			h++;
		}
		if (!(h < map->nr_hunks && is_in_hunk(&map->hunks[h], line)) &&
		    (cur != line - delta || resync) && rw->info[line].safe) {
			cur = line - delta;
			resync = false;
			maybe_skipped = rw->info[line].groups > 0;
			ret = emit_directive(rw, cur);
		}
		if (!ret)
			ret = km_buf_add(&rw->out, p, n);
		cur++;
		if (rw->info[line].conditional && maybe_skipped)
			resync = true;
		p += n;
	}
	return ret;
}

static int write_results(struct km_ctx *ctx, const char *patched_path,
			 const struct rewrite *rw)
{
	char *copy = km_strfmt("%s.patched", patched_path);
	int ret = copy ? km_copy_scratch_file(patched_path, copy) : -ENOMEM;

	if (!ret)
		ret = km_write_scratch_file(patched_path, rw->out.buf,
					   rw->out.len);
	if (ret)
		km_err(ctx, "cannot write '%s': %s", patched_path,
		       strerror(-ret));
	free(copy);
	return ret;
}

int km_linedir_rewrite(struct km_ctx *ctx, const char *orig_path,
		       const char *patched_path, const char *name,
		       struct km_linemap *map)
{
	struct km_buf text = KM_BUF_INIT;
	struct rewrite rw = { .name = name, .map = map, .out = KM_BUF_INIT };
	int ret;

	if (strpbrk(name, "\"\\\n")) {
		memset(map, 0, sizeof(*map));
		km_err(ctx, "cannot write a #line directive for '%s'", name);
		return -EINVAL;
	}
	ret = km_linemap_from_files(ctx, orig_path, patched_path, map);
	if (ret) {
		km_err(ctx, "cannot compare '%s' with '%s' (diff): %s",
		       orig_path, patched_path, strerror(-ret));
		return ret;
	}
	ret = km_read_file(patched_path, &text);
	rw.text = text.buf ? text.buf : "";
	rw.len = text.len;
	rw.nr_lines = count_lines(rw.text, rw.len);
	rw.info = calloc(rw.nr_lines + 2, sizeof(*rw.info));
	if (!ret && !rw.info)
		ret = -ENOMEM;
	if (!ret) {
		scan_lines(rw.text, rw.len, rw.info, rw.nr_lines);
		ret = write_lines(&rw);
	}
	if (!ret && rw.directives)
		ret = write_results(ctx, patched_path, &rw);
	if (!ret)
		km_debug(ctx, "%s: %d #line directive%s", patched_path,
			 rw.directives, rw.directives == 1 ? "" : "s");
	free(rw.info);
	km_buf_release(&text);
	km_buf_release(&rw.out);
	if (ret) {
		km_linemap_release(map);
		return ret;
	}
	return rw.directives;
}
