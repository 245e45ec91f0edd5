/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the C unit tests: one "ok - WHAT" or "not ok - WHAT" line
 * per check (with what the library logged, when it fails), and a last line
 * "RESULT passed failed skipped" for tests/run.  The Makefile builds each
 * tests/unit/X.c into its own binary, so this is a header of static inline
 * functions rather than an object to link.
 */
#ifndef KMEND_TESTS_UNIT_H
#define KMEND_TESTS_UNIT_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmend.h"
#include "util.h"

struct suite {
	int passed, failed;
	struct km_buf log;	/* what the library logged since the last check */
	char *dir;		/* a temporary directory, removed at the end */
	struct km_ctx ctx;	/* logs into log */
};

static inline void capture_log(void *data, enum km_level level,
			       const char *msg)
{
	struct suite *s = data;

	km_buf_addf(&s->log, "%s%s\n", level == KM_ERROR ? "error: " : "",
		    msg);
}

/* Counts and prints one check; the log starts again for the next one. */
static inline void check(struct suite *s, bool ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok && s->log.buf)
		printf("#   log: %s\n", s->log.buf);
	if (ok)
		s->passed++;
	else
		s->failed++;
	km_buf_reset(&s->log);
}

/* The library logged text since the last check (or km_buf_reset()). */
static inline bool logged(const struct suite *s, const char *text)
{
	return s->log.buf && strstr(s->log.buf, text);
}

/* Writes text to root/name, making the directories on the way. */
static inline int put_file(const char *root, const char *name,
			   const char *text)
{
	char *path = km_strfmt("%s/%s", root, name);
	char *dir = path ? strdup(path) : NULL;
	int ret = -ENOMEM;

	if (path && dir) {
		*strrchr(dir, '/') = '\0';
		ret = km_mkdir_p(dir, 0755);
		if (!ret)
			ret = km_write_file_atomic(path, text, strlen(text));
	}
	free(path);
	free(dir);
	return ret;
}

/*
 * s->ctx logging into s->log, and s->dir, a new temporary directory named
 * after prefix.  0; or -1 after printing a failed run, when the directory
 * cannot be made.
 */
static inline int suite_init(struct suite *s, const char *prefix)
{
	memset(s, 0, sizeof(*s));
	km_ctx_init(&s->ctx, capture_log, s);
	s->dir = km_make_tempdir(&s->ctx, prefix);
	if (!s->dir) {
		printf("not ok - cannot create a temporary directory\n");
		printf("RESULT 0 1 0\n");
		return -1;
	}
	return 0;
}

/* Removes s->dir, prints the RESULT line; the exit code of the run. */
static inline int suite_finish(struct suite *s)
{
	km_rm_rf(s->dir);
	free(s->dir);
	km_buf_release(&s->log);
	printf("RESULT %d %d 0\n", s->passed, s->failed);
	return s->failed ? 1 : 0;
}

#endif
