// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "kmend.h"

void km_ctx_init(struct km_ctx *ctx, km_log_fn fn, void *data)
{
	ctx->log = fn;
	ctx->log_data = data;
	ctx->verbose = 0;
}

void km_vlog(struct km_ctx *ctx, enum km_level level, const char *fmt,
	     va_list ap)
{
	char msg[4096];

	if (!ctx || !ctx->log)
		return;
	if (level == KM_DEBUG && ctx->verbose < 1)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	ctx->log(ctx->log_data, level, msg);
}

void km_log(struct km_ctx *ctx, enum km_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	km_vlog(ctx, level, fmt, ap);
	va_end(ap);
}
