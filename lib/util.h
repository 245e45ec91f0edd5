/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the library: growing buffers, files, processes. */
#ifndef KMEND_UTIL_H
#define KMEND_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kmend.h"

struct km_buf {
	char *buf;	/* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

#define KM_BUF_INIT { NULL, 0, 0 }

int km_buf_add(struct km_buf *b, const void *data, size_t len);
int km_buf_adds(struct km_buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
int km_buf_addf(struct km_buf *b, const char *fmt, ...);
void km_buf_reset(struct km_buf *b);
void km_buf_release(struct km_buf *b);
/* Hand the string over to the caller (never NULL on success). */
char *km_buf_detach(struct km_buf *b);

/* asprintf() that returns NULL on failure. */
__attribute__((format(printf, 1, 2)))
char *km_strfmt(const char *fmt, ...);
bool km_starts_with(const char *s, const char *prefix);

/* a + b, saturated: offsets read from a file must not overflow */
static inline long long km_add_sat(long long a, long long b)
{
	long long r;

	if (__builtin_add_overflow(a, b, &r))
		return a < 0 ? -__LONG_LONG_MAX__ - 1 : __LONG_LONG_MAX__;
	return r;
}
bool km_ends_with(const char *s, const char *suffix);
/* Does text hold word, between blanks (or its ends)? */
bool km_has_word(const char *text, const char *word);
/*
 * Does the module path ("kernel/fs/fat/vfat.ko", len bytes) name module
 * `name` ("vfat")?  '-' and '_' are one, as for modprobe and the kernel.
 */
bool km_path_names_module(const char *path, size_t len, const char *name);

double km_now(void);
/*
 * flock(fd, op), waiting while another process holds it: then "WHO<fmt>
 * ..." before, "WHOwaited N s" after, as info lines.  0, or -errno.
 */
__attribute__((format(printf, 5, 6)))
int km_flock_wait(struct km_ctx *ctx, int fd, int op, const char *who,
		  const char *fmt, ...);
/* Frees a NULL-terminated list of strings and the list. */
void km_free_list(char **list);

int km_read_file(const char *path, struct km_buf *out);
/* Write through a temporary file and rename(): never a partial file. */
int km_write_file_atomic(const char *path, const void *data, size_t len);
int km_copy_file(const char *src, const char *dst);
/*
 * The same for a file in kmend's own temporary directories (scratch views,
 * work files): whole or absent, but not synced to disk, as nothing there
 * outlives the run (a build writes some 80 of them; each fsync() is a
 * journal commit that concurrent builds wait on).
 */
int km_write_scratch_file(const char *path, const void *data, size_t len);
int km_copy_scratch_file(const char *src, const char *dst);
/*
 * The temporary file being written (by km_write_file_atomic() and
 * kelf_out_write()), for the command line's SIGINT/SIGTERM handler: a
 * killed kmend leaves no temporary behind.  The one global of the library,
 * as a signal handler has no other way to it; the library installs no
 * handler.  One file at a time; path must live until km_tmp_forget().
 */
void km_tmp_register(const char *path);
void km_tmp_forget(void);
/* Removes the registered file, if any; async-signal-safe. */
void km_tmp_remove(void);
int km_mkdir_p(const char *path, mode_t mode);
int km_rm_rf(const char *path);
bool km_is_file(const char *path);
bool km_is_dir(const char *path);
/*
 * prog can be run: an executable file in a directory of $PATH (or of
 * /usr/bin:/bin when it is unset), or at that path when it has a '/'.
 */
bool km_is_in_path(const char *prog);
/*
 * mkdtemp() under $TMPDIR (or /tmp) with the given prefix; NULL with errno
 * set, and an error line naming the directory and what to do.
 */
char *km_make_tempdir(struct km_ctx *ctx, const char *prefix);

/*
 * Run argv[0] (looked up in PATH) in directory cwd (NULL: current), with
 * env (NULL-terminated "NAME=value" strings, may be NULL) added to the
 * environment.  stdout and stderr both go to out when it is not NULL, to
 * /dev/null otherwise.  Returns the exit status (0..255), 128+signal when
 * killed, or a negative errno when the program could not be run at all.
 */
int km_run(struct km_ctx *ctx, const char *cwd, char *const argv[],
	   char *const env[], struct km_buf *out);
/*
 * The environment changes for running Kbuild (env of km_run): C messages,
 * and nothing of an outer make (kmend may run under "make check -j") or of
 * what the builder's shell sets for Kbuild, Kconfig, make or gcc.
 */
char *const *km_kbuild_env(void);
/* The same, with a deadline in seconds (0: none); -ETIMEDOUT past it. */
int km_run_timeout(struct km_ctx *ctx, const char *cwd, char *const argv[],
		   char *const env[], struct km_buf *out, double timeout);

/*
 * Gets the program's output as it comes, in pieces of any size; anything
 * but 0 stops the reading and is what km_run_stream() returns.
 */
typedef int (*km_output_fn)(void *data, const char *chunk, size_t len);

/*
 * Run argv like km_run(), handing its stdout and stderr to on_output (NULL:
 * dropped) as they come.  At deadline, a km_now() time (0: none), the
 * program's process group is killed and -ETIMEDOUT returned.  Otherwise
 * the exit status (0..255; 127 also when argv[0] could not be run),
 * 128+signal, or a negative errno.  Logs nothing.
 */
int km_run_stream(const char *cwd, char *const argv[], char *const env[],
		  km_output_fn on_output, void *data, double deadline);

#endif
