/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets share: the input as a file (the library reads
 * paths), and a log hook that formats every message but prints nothing.
 * Each target is one binary (make fuzz), so these are static functions.
 */
#ifndef KMEND_TESTS_FUZZ_H
#define KMEND_TESTS_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmend.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void quiet_log(void *data, enum km_level level, const char *msg)
{
	(void)data;
	(void)level;
	(void)msg;
}

static inline void print_log(void *data, enum km_level level,
			     const char *msg)
{
	(void)data;
	fprintf(stderr, "%s%s\n", level == KM_ERROR ? "error: " : "", msg);
}

/* KMEND_FUZZ_LOG=1 prints the messages, to see why an input failed. */
static inline struct km_ctx *fuzz_ctx(void)
{
	static struct km_ctx ctx;

	km_ctx_init(&ctx, getenv("KMEND_FUZZ_LOG") ? print_log : quiet_log,
		    NULL);
	ctx.verbose = 1;	/* debug messages are formatted too */
	return &ctx;
}

/* Written, then cut: ext4 flushes a file cut to 0 bytes on close. */
static inline int put_input(int fd, const uint8_t *data, size_t size)
{
	if ((size && pwrite(fd, data, size, 0) != (ssize_t)size) ||
	    ftruncate(fd, (off_t)size))
		return -1;
	return 0;
}

/* The input in a memory file, as /proc/self/fd/N; NULL on failure. */
static inline const char *input_in_memfd(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("kmend-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	return put_input(fd, data, size) ? NULL : path;
}

static char *fuzz_dir;

static inline void remove_fuzz_dir(void)
{
	km_rm_rf(fuzz_dir);
	free(fuzz_dir);
}

/* A directory of this process under $TMPDIR, removed at exit. */
static inline const char *fuzz_tempdir(void)
{
	if (!fuzz_dir) {
		fuzz_dir = km_make_tempdir(fuzz_ctx(), "kmend-fuzz");
		if (!fuzz_dir)
			abort();
		atexit(remove_fuzz_dir);
	}
	return fuzz_dir;
}

/* The input in a real file of fuzz_tempdir() (realpath() must find it). */
static inline const char *input_in_file(const char *name, const uint8_t *data,
				 size_t size)
{
	static char *path;
	static int fd = -1;

	if (fd < 0) {
		path = km_strfmt("%s/%s", fuzz_tempdir(), name);
		fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
		if (fd < 0)
			abort();
	}
	return put_input(fd, data, size) ? NULL : path;
}

#endif
