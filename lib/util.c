// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int buf_grow(struct km_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	char *p;

	if (want <= b->cap)
		return 0;
	if (want < 2 * b->cap)
		want = 2 * b->cap;
	if (want < 64)
		want = 64;
	p = realloc(b->buf, want);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = want;
	return 0;
}

int km_buf_add(struct km_buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len))
		return -ENOMEM;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int km_buf_adds(struct km_buf *b, const char *s)
{
	return km_buf_add(b, s, strlen(s));
}

int km_buf_addf(struct km_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (buf_grow(b, (size_t)n))
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void km_buf_reset(struct km_buf *b)
{
	b->len = 0;
	if (b->buf)
		b->buf[0] = '\0';
}

void km_buf_release(struct km_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

char *km_buf_detach(struct km_buf *b)
{
	char *s = b->buf ? b->buf : strdup("");

	b->buf = NULL;
	b->len = b->cap = 0;
	return s;
}

char *km_strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

bool km_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool km_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

double km_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int km_read_file(const char *path, struct km_buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		ret = km_buf_add(out, chunk, (size_t)n);
		if (ret)
			break;
	}
	close(fd);
	if (!ret && !out->buf)
		ret = km_buf_add(out, "", 0);
	return ret;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len,
		      bool sync)
{
	char *tmp = km_strfmt("%s.tmp.%d", path, (int)getpid());
	int fd, ret;

	if (!tmp)
		return -ENOMEM;
	km_tmp_register(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		km_tmp_forget();
		free(tmp);
		return ret;
	}
	ret = write_all(fd, data, len);
	if (!ret && sync && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	km_tmp_forget();
	free(tmp);
	return ret;
}

static const char *volatile registered_tmp;

void km_tmp_register(const char *path)
{
	registered_tmp = path;
}

void km_tmp_forget(void)
{
	registered_tmp = NULL;
}

void km_tmp_remove(void)
{
	const char *path = registered_tmp;

	if (path)
		unlink(path);
}

int km_write_file_atomic(const char *path, const void *data, size_t len)
{
	return write_file(path, data, len, true);
}

int km_write_scratch_file(const char *path, const void *data, size_t len)
{
	return write_file(path, data, len, false);
}

static int copy_file(const char *src, const char *dst, bool sync)
{
	struct km_buf b = KM_BUF_INIT;
	int ret = km_read_file(src, &b);

	if (!ret)
		ret = write_file(dst, b.buf, b.len, sync);
	km_buf_release(&b);
	return ret;
}

int km_copy_file(const char *src, const char *dst)
{
	return copy_file(src, dst, true);
}

int km_copy_scratch_file(const char *src, const char *dst)
{
	return copy_file(src, dst, false);
}

int km_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path), *s;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	if (!ret && !km_is_dir(path))
		ret = -ENOTDIR;
	return ret;
}

int km_rm_rf(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = km_strfmt("%s/%s", path, de->d_name);
		if (!sub) {
			ret = -ENOMEM;
			break;
		}
		ret = km_rm_rf(sub);
		free(sub);
		if (ret)
			break;
	}
	closedir(d);
	if (!ret && rmdir(path))
		ret = -errno;
	return ret;
}

bool km_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool km_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool km_is_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	copy = strdup(path && *path ? path : "/usr/bin:/bin");
	if (!copy)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *full = km_strfmt("%s/%s", dir, prog);

		found = full && access(full, X_OK) == 0;
		free(full);
	}
	free(copy);
	return found;
}

int km_flock_wait(struct km_ctx *ctx, int fd, int op, const char *who,
		  const char *fmt, ...)
{
	double start;
	va_list ap;
	char *what;

	if (!flock(fd, op | LOCK_NB))
		return 0;
	if (errno != EWOULDBLOCK)
		return -errno;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	km_info(ctx, "%s%s ...", who, what ? what : "waiting for a lock");
	free(what);
	start = km_now();
	while (flock(fd, op))
		if (errno != EINTR)
			return -errno;
	km_info(ctx, "%swaited %.1f s", who, km_now() - start);
	return 0;
}

char *km_make_tempdir(struct km_ctx *ctx, const char *prefix)
{
	const char *env = getenv("TMPDIR");
	const char *base = env && *env ? env : "/tmp";
	char *dir = km_strfmt("%s/%s.XXXXXX", base, prefix);
	int err;

	if (dir && mkdtemp(dir))
		return dir;
	err = dir ? errno : ENOMEM;
	km_err(ctx, "cannot create a temporary directory in '%s'%s: %s; %s",
	       base, base == env ? " ($TMPDIR)" : "", strerror(err),
	       base == env ? "set TMPDIR to a writable directory"
			   : "set TMPDIR to a writable directory, or make "
			     "/tmp one");
	free(dir);
	errno = err;
	return NULL;
}

static void child_exec(const char *cwd, char *const argv[], char *const env[],
		       int outfd)
{
	int devnull = open("/dev/null", O_RDWR);

	if (devnull >= 0)
		dup2(devnull, 0);
	if (outfd < 0)
		outfd = devnull;
	if (outfd >= 0) {
		dup2(outfd, 1);
		dup2(outfd, 2);
	}
	if (cwd && chdir(cwd))
		_exit(127);
	for (; env && *env; env++)
		putenv(*env);
	/* Our own process group, so a deadline can stop the whole tree. */
	setpgid(0, 0);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static int read_output(int fd, km_output_fn on_output, void *data,
		       double deadline)
{
	char chunk[8192];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait_ms = -1, n;
		ssize_t got;

		if (deadline > 0) {
			double left = deadline - km_now();

			if (left <= 0)
				return -ETIMEDOUT;
			wait_ms = (int)(left * 1000) + 1;
		}
		n = poll(&p, 1, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			continue;
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		if (on_output) {
			int ret = on_output(data, chunk, (size_t)got);

			if (ret)
				return ret;
		}
	}
}

int km_run_stream(const char *cwd, char *const argv[], char *const env[],
		  km_output_fn on_output, void *data, double deadline)
{
	int pipefd[2], status, ret;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return ret;
	}
	if (pid == 0)
		child_exec(cwd, argv, env, pipefd[1]);
	close(pipefd[1]);
	ret = read_output(pipefd[0], on_output, data, deadline);
	close(pipefd[0]);
	if (ret == -ETIMEDOUT) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return ret ? ret : wait_status(status);
}

static int add_output(void *data, const char *chunk, size_t len)
{
	return km_buf_add(data, chunk, len);
}

int km_run_timeout(struct km_ctx *ctx, const char *cwd, char *const argv[],
		   char *const env[], struct km_buf *out, double timeout)
{
	double deadline = timeout > 0 ? km_now() + timeout : 0;
	int ret;

	km_debug(ctx, "run: %s%s%s", argv[0], argv[1] ? " " : "",
		 argv[1] ? argv[1] : "");
	ret = km_run_stream(cwd, argv, env, out ? add_output : NULL, out,
			    deadline);
	if (ret == 127 && out && out->len == 0)
		return -ENOENT;
	return ret;
}

/*
 * The environment of every make kmend runs: what the builder's shell has,
 * less what would make the target kernel's build another one.  A name
 * without '=' removes the variable.  The kernel's Documentation/kbuild/
 * kbuild.rst and kconfig.rst list what Kbuild and Kconfig read; GNU make
 * reads MAKEFILES and its flags, gcc its search paths and dependency
 * outputs.  kmend passes on the command line what it wants of them.
 */
char *const *km_kbuild_env(void)
{
	static char *const env[] = {
		"LC_ALL=C",
		/* GNU make */
		"MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKELEVEL",
		"MAKEOVERRIDES", "MAKEFILES",
		/* Kbuild: flags, tools, places */
		"KCFLAGS", "KCPPFLAGS", "KAFLAGS", "KRUSTFLAGS", "KDOCFLAGS",
		"CFLAGS_KERNEL", "CFLAGS_MODULE", "AFLAGS_KERNEL",
		"AFLAGS_MODULE", "LDFLAGS_MODULE", "RUSTFLAGS_KERNEL",
		"RUSTFLAGS_MODULE", "HOSTCFLAGS", "HOSTCXXFLAGS",
		"HOSTRUSTFLAGS", "HOSTLDFLAGS", "HOSTLDLIBS", "USERCFLAGS",
		"USERLDFLAGS", "ARCH", "CROSS_COMPILE", "LLVM", "LLVM_IAS", "CF",
		"KBUILD_OUTPUT", "KBUILD_EXTMOD", "KBUILD_KCONFIG",
		"KBUILD_VERBOSE", "KBUILD_EXTRA_WARN", "KBUILD_ABS_SRCTREE",
		"KBUILD_MODPOST_WARN", "KBUILD_MODPOST_NOFINAL",
		"KBUILD_EXTRA_SYMBOLS", "KBUILD_SIGN_PIN", "KBUILD_DEBARCH",
		"IGNORE_DIRS", "ALLSOURCE_ARCHS",
		/* Kconfig */
		"KCONFIG_CONFIG", "KCONFIG_AUTOCONFIG", "KCONFIG_AUTOHEADER",
		"KCONFIG_ALLCONFIG", "KCONFIG_DEFCONFIG_LIST",
		"KCONFIG_NOSILENTUPDATE", "KCONFIG_OVERWRITECONFIG",
		"KCONFIG_PROBABILITY", "KCONFIG_SEED",
		"KCONFIG_WARN_UNKNOWN_SYMBOLS", "KCONFIG_WERROR",
		/* gcc */
		"CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH",
		"OBJC_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH",
		"LIBRARY_PATH", "DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES",
		"GCC_COMPARE_DEBUG",
		NULL,
	};

	return env;
}

int km_run(struct km_ctx *ctx, const char *cwd, char *const argv[],
	   char *const env[], struct km_buf *out)
{
	return km_run_timeout(ctx, cwd, argv, env, out, 0);
}

bool km_has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(text, word); p; p = strstr(p + 1, word)) {
		bool starts = p == text || p[-1] == ' ' || p[-1] == '\t';
		bool ends = p[n] == '\0' || p[n] == ' ' || p[n] == '\t' ||
			    p[n] == '\n';

		if (starts && ends)
			return true;
	}
	return false;
}

void km_free_list(char **list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

bool km_path_names_module(const char *path, size_t len, const char *name)
{
	const char *base = path, *p;
	size_t n;

	for (p = path; p < path + len; p++)
		if (*p == '/')
			base = p + 1;
	n = (size_t)(path + len - base);
	p = memmem(base, n, ".ko", 3);
	if (p)
		n = (size_t)(p - base);
	if (n != strlen(name))
		return false;
	for (p = base; n; n--, p++, name++) {
		char a = *p == '-' ? '_' : *p, b = *name == '-' ? '_' : *name;

		if (a != b)
			return false;
	}
	return true;
}
