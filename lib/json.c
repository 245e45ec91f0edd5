// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>

#include "json.h"

void km_json_init(struct km_json *j, struct km_buf *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
	j->err = 0;
}

static void json_put(struct km_json *j, const char *s)
{
	if (!j->err)
		j->err = km_buf_adds(j->out, s);
}

static void json_put_quoted(struct km_json *j, const char *s)
{
	const unsigned char *p;

	json_put(j, "\"");
	for (p = (const unsigned char *)s; *p && !j->err; p++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p == '\n') {
			snprintf(esc, sizeof(esc), "\\n");
		} else if (*p == '\t') {
			snprintf(esc, sizeof(esc), "\\t");
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		json_put(j, esc);
	}
	json_put(j, "\"");
}

/* The comma and key that come before any value. */
static void json_value_prefix(struct km_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		json_put(j, ",");
	j->need_comma[j->depth] = true;
	if (key) {
		json_put_quoted(j, key);
		json_put(j, ":");
	}
}

static void json_open(struct km_json *j, const char *key, const char *brace)
{
	json_value_prefix(j, key);
	json_put(j, brace);
	if (j->depth + 1 >= KM_JSON_MAX_DEPTH) {
		if (!j->err)
			j->err = -EINVAL;
		return;
	}
	j->need_comma[++j->depth] = false;
}

static void json_close(struct km_json *j, const char *brace)
{
	if (j->depth == 0) {
		if (!j->err)
			j->err = -EINVAL;
		return;
	}
	j->depth--;
	json_put(j, brace);
}

void km_json_object_begin(struct km_json *j, const char *key)
{
	json_open(j, key, "{");
}

void km_json_object_end(struct km_json *j)
{
	json_close(j, "}");
}

void km_json_array_begin(struct km_json *j, const char *key)
{
	json_open(j, key, "[");
}

void km_json_array_end(struct km_json *j)
{
	json_close(j, "]");
}

void km_json_string(struct km_json *j, const char *key, const char *value)
{
	if (!value) {
		km_json_null(j, key);
		return;
	}
	json_value_prefix(j, key);
	json_put_quoted(j, value);
}

void km_json_bool(struct km_json *j, const char *key, bool value)
{
	json_value_prefix(j, key);
	json_put(j, value ? "true" : "false");
}

void km_json_int(struct km_json *j, const char *key, long long value)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", value);
	json_value_prefix(j, key);
	json_put(j, num);
}

void km_json_null(struct km_json *j, const char *key)
{
	json_value_prefix(j, key);
	json_put(j, "null");
}

int km_json_finish(struct km_json *j)
{
	if (!j->err && j->depth != 0)
		j->err = -EINVAL;
	json_put(j, "\n");
	return j->err;
}
