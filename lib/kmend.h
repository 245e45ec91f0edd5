/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkmend: the core of kmend.  Every function returns 0 (or a count) on
 * success and a negative errno on failure; functions returning pointers
 * return NULL and set errno.  The library never exits and never prints:
 * diagnostics go through the log hook of the context passed to it.
 */
#ifndef KMEND_H
#define KMEND_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum km_level {
	KM_ERROR,
	KM_WARN,
	KM_INFO,	/* progress lines a user wants to see */
	KM_DEBUG,	/* -v */
};

typedef void (*km_log_fn)(void *data, enum km_level level, const char *msg);

/* Carried through every library call instead of globals. */
struct km_ctx {
	km_log_fn log;
	void *log_data;
	int verbose;		/* 0: errors, warnings and progress; 1+: debug */
};

void km_ctx_init(struct km_ctx *ctx, km_log_fn fn, void *data);

__attribute__((format(printf, 3, 4)))
void km_log(struct km_ctx *ctx, enum km_level level, const char *fmt, ...);
void km_vlog(struct km_ctx *ctx, enum km_level level, const char *fmt,
	     va_list ap);

#define km_err(ctx, ...)   km_log(ctx, KM_ERROR, __VA_ARGS__)
#define km_warn(ctx, ...)  km_log(ctx, KM_WARN, __VA_ARGS__)
#define km_info(ctx, ...)  km_log(ctx, KM_INFO, __VA_ARGS__)
#define km_debug(ctx, ...) km_log(ctx, KM_DEBUG, __VA_ARGS__)

/*
 * Errors that mean "this change cannot be live patched" (as opposed to a
 * failure of the tool or of its input) are reported as -KM_EUNPATCHABLE so
 * that the command line can map them to their own exit code.
 */
#define KM_EUNPATCHABLE EOPNOTSUPP

#endif
