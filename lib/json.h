/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer, in the manner of bpftool's: values go into
 * a km_buf as they come, commas and nesting are tracked here.  Inside an
 * object every value has a key; inside an array keys are NULL.  Errors are
 * sticky: check km_json_finish() once at the end.
 */
#ifndef KMEND_JSON_H
#define KMEND_JSON_H

#include <stdbool.h>

#include "util.h"

#define KM_JSON_MAX_DEPTH 32

struct km_json {
	struct km_buf *out;
	int depth;
	bool need_comma[KM_JSON_MAX_DEPTH];
	int err;
};

void km_json_init(struct km_json *j, struct km_buf *out);
void km_json_object_begin(struct km_json *j, const char *key);
void km_json_object_end(struct km_json *j);
void km_json_array_begin(struct km_json *j, const char *key);
void km_json_array_end(struct km_json *j);
void km_json_string(struct km_json *j, const char *key, const char *value);
void km_json_bool(struct km_json *j, const char *key, bool value);
void km_json_int(struct km_json *j, const char *key, long long value);
void km_json_null(struct km_json *j, const char *key);
/* Adds the final newline; 0, or the first error (-ENOMEM, -EINVAL). */
int km_json_finish(struct km_json *j);

#endif
