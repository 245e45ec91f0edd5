// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet.h"
#include "kmod.h"
#include "modinfo.h"
#include "util.h"

/* Exit statuses of a build process, mapped back to results. */
enum {
	CHILD_BUILT = 0,
	CHILD_NOCHANGE = 10,
	CHILD_REFUSED = 11,
	CHILD_FAILED = 12,
};

struct running {
	pid_t pid;
	size_t index;
	double t0;
};

const char *km_fleet_result_name(enum km_fleet_result r)
{
	switch (r) {
	case KM_FLEET_BUILT:
		return "built";
	case KM_FLEET_NOCHANGE:
		return "no change";
	case KM_FLEET_REFUSED:
		return "refused";
	case KM_FLEET_FAILED:
		return "failed";
	}
	return "?";
}

/* The log hook of a build process: every line into its build.log. */
static void log_to_file(void *data, enum km_level level, const char *msg)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	FILE *f = data;

	fprintf(f, "%s%s\n", prefix[level], msg);
	fflush(f);
}

/* In the build process: never returns. */
static void run_one(const struct km_ctx *parent, const struct km_fleet_opts *o,
		    const struct km_fleet_kernel *k)
{
	struct km_build_opts b = *o->build;
	struct km_ctx ctx;
	FILE *log = fopen(k->log, "w");
	int ret, fd;

	if (!log)
		_exit(CHILD_FAILED);
	/* Kbuild and the tools write nothing on the terminal either. */
	fd = fileno(log);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	km_ctx_init(&ctx, log_to_file, log);
	ctx.verbose = parent->verbose;
	b.target.krel = k->krel;
	b.output = k->output;
	ret = km_build(&ctx, &b);
	fclose(log);
	if (ret == KM_BUILD_NOCHANGE)
		_exit(CHILD_NOCHANGE);
	if (ret == -KM_EUNPATCHABLE)
		_exit(CHILD_REFUSED);
	_exit(ret ? CHILD_FAILED : CHILD_BUILT);
}

/* The first "error: " line of the log: what a table's reason shows. */
static char *first_error(const char *log)
{
	struct km_buf text = KM_BUF_INIT;
	const char *p;
	char *line = NULL;

	if (km_read_file(log, &text) == 0)
		for (p = text.buf; p && *p && !line;) {
			size_t n = strcspn(p, "\n");

			if (km_starts_with(p, "error: "))
				line = strndup(p + 7, n - 7);
			p += n + (p[n] == '\n');
		}
	km_buf_release(&text);
	return line;
}

static size_t count_funcs(struct km_ctx *ctx, const char *ko)
{
	struct km_modinfo mi;
	size_t n;

	if (km_modinfo_read(ctx, ko, &mi))
		return 0;
	n = km_modinfo_count(&mi, "kmend_func");
	km_modinfo_release(&mi);
	return n;
}

static void finish_one(struct km_ctx *ctx, struct km_fleet_kernel *k,
		       int status, double seconds)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : CHILD_FAILED;

	k->seconds = seconds;
	switch (code) {
	case CHILD_BUILT:
		k->result = KM_FLEET_BUILT;
		k->nr_funcs = count_funcs(ctx, k->output);
		break;
	case CHILD_NOCHANGE:
		k->result = KM_FLEET_NOCHANGE;
		k->reason = strdup("the fix changes nothing a live patch "
				   "would carry");
		break;
	case CHILD_REFUSED:
		k->result = KM_FLEET_REFUSED;
		break;
	default:
		k->result = KM_FLEET_FAILED;
		if (WIFSIGNALED(status))
			k->reason = km_strfmt("the build was killed by signal "
					      "%d", WTERMSIG(status));
		break;
	}
	if (!k->reason && k->result != KM_FLEET_BUILT)
		k->reason = first_error(k->log);
	if (k->result == KM_FLEET_BUILT)
		km_info(ctx, "kernel %s: built %s (%zu function%s) in %.1f s",
			k->krel, k->output, k->nr_funcs,
			k->nr_funcs == 1 ? "" : "s", seconds);
	else
		km_info(ctx, "kernel %s: %s in %.1f s: %s (log: %s)", k->krel,
			km_fleet_result_name(k->result), seconds,
			k->reason ? k->reason : "see the log", k->log);
}

static int prepare_paths(struct km_ctx *ctx, const struct km_fleet_opts *o,
			 const char *name, struct km_fleet_kernel *k)
{
	char *dir = km_strfmt("%s/%s", o->outdir, k->krel);
	int ret = dir ? km_mkdir_p(dir, 0755) : -ENOMEM;

	if (ret) {
		km_err(ctx, "cannot create '%s': %s", dir ? dir : o->outdir,
		       strerror(-ret));
		free(dir);
		return ret;
	}
	k->output = km_strfmt("%s/%s.ko", dir, name);
	k->log = km_strfmt("%s/build.log", dir);
	free(dir);
	if (!k->output || !k->log)
		return -ENOMEM;
	/* A module of an earlier run must not pass for this one's. */
	unlink(k->output);
	return 0;
}

static int start_one(struct km_ctx *ctx, const struct km_fleet_opts *o,
		     struct km_fleet_kernel *k, size_t i, struct running *r)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		run_one(ctx, o, k);
	r->pid = pid;
	r->index = i;
	r->t0 = km_now();
	km_info(ctx, "kernel %s: building", k->krel);
	return 0;
}

/*
 * CACHE/KREL/build-seconds: the processor time the kernel's last build in
 * a many-kernel build took (its wall time depends on what ran beside it;
 * this does not).  The longest start first (a core left idle at
 * the end, with one build still running, costs the most); a kernel with
 * no prepared tree (a cold build, 30 s and more) before all, one never
 * timed before the timed ones.
 */
#define EXPECT_COLD 1e9
#define EXPECT_UNKNOWN 1e6

static char *kernel_cache_file(const struct km_fleet_opts *o,
			       const char *krel, const char *name)
{
	char *root = km_cache_root(o->build->target.cache_dir);
	char *path = root ? km_strfmt("%s/%s/%s", root, krel, name) : NULL;

	free(root);
	return path;
}

static double expected_seconds(const struct km_fleet_opts *o,
			       const char *krel)
{
	char *stamp = kernel_cache_file(o, krel, "stamp");
	char *timed = kernel_cache_file(o, krel, "build-seconds");
	struct km_buf text = KM_BUF_INIT;
	double expect = EXPECT_UNKNOWN;
	char *end;

	if (!stamp || !km_is_file(stamp)) {
		expect = EXPECT_COLD;
	} else if (timed && !km_read_file(timed, &text) && text.buf) {
		double t = strtod(text.buf, &end);

		if (end != text.buf && t >= 0 && t < EXPECT_UNKNOWN)
			expect = t;
	}
	km_buf_release(&text);
	free(stamp);
	free(timed);
	return expect;
}

/* What the build process and the processes it ran took of the cores. */
static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* A cache: failing to keep the time only costs the next run its order. */
static void keep_seconds(const struct km_fleet_opts *o, const char *krel,
			 double seconds)
{
	char *path = kernel_cache_file(o, krel, "build-seconds");
	char *dir = kernel_cache_file(o, krel, "");
	char *text = km_strfmt("%.3f\n", seconds);

	if (path && dir && text && km_is_dir(dir))
		km_write_scratch_file(path, text, strlen(text));
	free(path);
	free(dir);
	free(text);
}

struct start_order {
	size_t index;
	double expect;
};

static int by_expected_time(const void *a, const void *b)
{
	const struct start_order *x = a, *y = b;

	if (x->expect != y->expect)
		return x->expect < y->expect ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The kernels' indexes, in the order their builds start. */
static size_t *start_order(const struct km_fleet_opts *o,
			   const struct km_fleet_kernel *kernels, size_t nr)
{
	struct start_order *ord = calloc(nr ? nr : 1, sizeof(*ord));
	size_t *index = calloc(nr ? nr : 1, sizeof(*index));
	size_t i;

	if (!ord || !index) {
		free(ord);
		free(index);
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		ord[i].index = i;
		ord[i].expect = expected_seconds(o, kernels[i].krel);
	}
	qsort(ord, nr, sizeof(*ord), by_expected_time);
	for (i = 0; i < nr; i++)
		index[i] = ord[i].index;
	free(ord);
	return index;
}

/* Waits for one of the running builds; returns its slot. */
static int reap_one(struct km_ctx *ctx, const struct km_fleet_opts *o,
		    struct km_fleet_kernel *kernels, struct running *run,
		    int nr_run)
{
	int status, s;
	pid_t pid;

	for (;;) {
		struct rusage ru;

		pid = wait4(-1, &status, 0, &ru);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return -errno;
		for (s = 0; s < nr_run; s++) {
			if (run[s].pid != pid)
				continue;
			finish_one(ctx, &kernels[run[s].index], status,
				   km_now() - run[s].t0);
			keep_seconds(o, kernels[run[s].index].krel,
				     cpu_seconds(&ru));
			return s;
		}
	}
}

static int nr_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/*
 * How many builds may run, with next of nr started, without -j: one a core
 * (sharing a core costs the builds up to 5% more processor time here),
 * but the last ones as soon as they are all that is left, two a core, so
 * that no core idles at the end while another finishes its queue.  Seven
 * kernels on two cores took 4.1 s always two at a time, 3.9 s always
 * four, 3.9 to 4.0 s so, with the least processor time of the three.
 */
static int jobs_allowed(const struct km_fleet_opts *o, size_t next, size_t nr)
{
	int cores = nr_cores();

	if (o->jobs > 0)
		return o->jobs;
	return nr - next <= (size_t)cores ? 2 * cores : cores;
}

int km_fleet_build(struct km_ctx *ctx, const struct km_fleet_opts *opts,
		   struct km_fleet_kernel *kernels, size_t nr)
{
	int most = opts->jobs > 0 ? opts->jobs : 2 * nr_cores();
	const struct km_build_opts *b = opts->build;
	char *name = b->name ? strdup(b->name) :
		     km_kmod_default_name(b->patches[0]);
	struct running *run = calloc((size_t)most, sizeof(*run));
	size_t next = 0, *order = start_order(opts, kernels, nr);
	int nr_run = 0, ret = name && run && order ? 0 : -ENOMEM;

	for (size_t i = 0; i < nr && !ret; i++)
		ret = prepare_paths(ctx, opts, name, &kernels[i]);
	while (!ret && (next < nr || nr_run > 0)) {
		if (next < nr && nr_run < jobs_allowed(opts, next, nr)) {
			ret = start_one(ctx, opts, &kernels[order[next]],
					order[next], &run[nr_run]);
			if (!ret) {
				next++;
				nr_run++;
			}
			continue;
		}
		ret = reap_one(ctx, opts, kernels, run, nr_run);
		if (ret >= 0) {
			run[ret] = run[--nr_run];
			ret = 0;
		}
	}
	/* On an error, the builds started still run to their end. */
	while (nr_run > 0) {
		int s = reap_one(ctx, opts, kernels, run, nr_run);

		if (s < 0)
			break;
		run[s] = run[--nr_run];
	}
	free(run);
	free(order);
	free(name);
	return ret;
}

void km_fleet_release(struct km_fleet_kernel *kernels, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(kernels[i].output);
		free(kernels[i].log);
		free(kernels[i].reason);
		kernels[i].output = kernels[i].log = kernels[i].reason = NULL;
	}
}
