// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transition.h"
#include "util.h"

#define POLL_INTERVAL_NS	(100 * 1000 * 1000)
#define PF_KTHREAD		0x00200000	/* include/linux/sched.h */
#define SHOWN_TASKS		5	/* in a progress line */
#define SHOWN_FRAMES		4
#define FORCE_GRACE		10.0	/* seconds for a forced transition */

static void sleep_a_little(void)
{
	struct timespec ts = { 0, POLL_INTERVAL_NS };

	nanosleep(&ts, NULL);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A small /proc file, its trailing newline dropped; NULL when unreadable. */
static char *read_proc(const char *dir, const char *file)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s", dir, file);
	char *text = NULL;

	if (path && km_read_file(path, &b) == 0) {
		while (b.len && b.buf[b.len - 1] == '\n')
			b.buf[--b.len] = '\0';
		text = km_buf_detach(&b);
	}
	km_buf_release(&b);
	free(path);
	return text;
}

/* The flags field of /proc/PID/stat: the ninth, counted after "(comm)". */
static bool is_kthread(const char *task_dir)
{
	char *stat = read_proc(task_dir, "stat");
	char *p = stat ? strrchr(stat, ')') : NULL;
	unsigned long flags = 0;
	int field;

	for (field = 2; p && field < 9; field++)
		p = strchr(p + 1, ' ');
	if (p)
		flags = strtoul(p + 1, NULL, 10);
	free(stat);
	return flags & PF_KTHREAD;
}

/* "[<0>] do_nanosleep+0x6d/0x160" -> "do_nanosleep" */
static int add_frame_name(struct km_buf *b, const char *line, size_t len)
{
	const char *p = memchr(line, ']', len);
	size_t n;

	p = p ? p + 1 : line;
	while (p < line + len && *p == ' ')
		p++;
	n = strcspn(p, "+ \n");
	if (n > (size_t)(line + len - p))
		n = (size_t)(line + len - p);
	if (!n)
		return 0;
	if (b->len && km_buf_adds(b, " < "))
		return -ENOMEM;
	return km_buf_add(b, p, n);
}

char *km_lp_stack_summary(const char *stack, size_t frames)
{
	struct km_buf b = KM_BUF_INIT;
	const char *p = stack;
	size_t seen = 0;
	int ret = 0;

	while (p && *p && seen < frames && !ret) {
		size_t n = strcspn(p, "\n");

		ret = add_frame_name(&b, p, n);
		seen++;
		p += n + (p[n] == '\n');
	}
	if (!ret && p && *p)
		ret = km_buf_adds(&b, " < ...");
	if (!ret && !b.len)
		ret = km_buf_adds(&b, "(empty stack)");
	if (ret) {
		km_buf_release(&b);
		return NULL;
	}
	return km_buf_detach(&b);
}

/* The first of the patch's functions named by a frame of stack. */
static char *replaced_on_stack(const char *stack,
			       const struct km_lp_patch *patch)
{
	size_t i;

	for (i = 0; stack && patch && i < patch->nr_funcs; i++) {
		const char *name = patch->funcs[i].name;
		size_t n = strlen(name);
		const char *p = stack;

		while ((p = strstr(p, name))) {
			bool starts = p == stack || p[-1] == ' ';

			if (starts && p[n] == '+')
				return strdup(name);
			p += n;
		}
	}
	return NULL;
}

static void task_release(struct km_lp_task *t)
{
	free(t->comm);
	free(t->stack);
	free(t->holds);
}

static int read_task(const char *dir, int tgid, int pid, int state,
		     const struct km_lp_patch *patch, struct km_lp_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tgid = tgid;
	t->patch_state = state;
	t->comm = read_proc(dir, "comm");
	if (!t->comm)
		t->comm = strdup("?");
	if (!t->comm)
		return -ENOMEM;
	t->kthread = is_kthread(dir);
	t->stack = read_proc(dir, "stack");
	t->holds = replaced_on_stack(t->stack, patch);
	return 0;
}

struct task_walk {
	const struct km_loader *l;
	int target;
	const struct km_lp_patch *patch;
	struct km_lp_tasks *out;
};

static int add_task(struct task_walk *w, const char *dir, int tgid, int pid)
{
	char *state_text = read_proc(dir, "patch_state");
	struct km_lp_task *tasks;
	int state, ret;

	if (!state_text)
		return 0;	/* gone, or no livepatch: not blocking */
	state = atoi(state_text);
	free(state_text);
	if (state == w->target || state == KM_KLP_UNDEFINED)
		return 0;
	tasks = realloc(w->out->tasks, (w->out->nr + 1) * sizeof(*tasks));
	if (!tasks)
		return -ENOMEM;
	w->out->tasks = tasks;
	ret = read_task(dir, tgid, pid, state, w->patch, &tasks[w->out->nr]);
	if (!ret)
		w->out->nr++;
	return ret;
}

/* Each thread of process tgid. */
static int add_process(struct task_walk *w, const char *name)
{
	char *task_dir = km_strfmt("%s/%s/task", w->l->proc, name);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!task_dir)
		return -ENOMEM;
	d = opendir(task_dir);
	while (d && !ret && (de = readdir(d))) {
		char *dir;

		if (!is_number(de->d_name))
			continue;
		dir = km_strfmt("%s/%s", task_dir, de->d_name);
		ret = dir ? add_task(w, dir, atoi(name), atoi(de->d_name)) :
			    -ENOMEM;
		free(dir);
	}
	if (d)
		closedir(d);
	free(task_dir);
	return ret;
}

static int compare_tasks(const void *a, const void *b)
{
	const struct km_lp_task *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int km_lp_find_blocking(const struct km_loader *l, int target,
			const struct km_lp_patch *patch,
			struct km_lp_tasks *out)
{
	struct task_walk w = { l, target, patch, out };
	struct dirent *de;
	DIR *d;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	d = opendir(l->proc);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d)))
		if (is_number(de->d_name))
			ret = add_process(&w, de->d_name);
	closedir(d);
	if (ret) {
		km_lp_tasks_release(out);
		return ret;
	}
	if (out->nr)
		qsort(out->tasks, out->nr, sizeof(*out->tasks), compare_tasks);
	return 0;
}

void km_lp_tasks_release(struct km_lp_tasks *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		task_release(&t->tasks[i]);
	free(t->tasks);
	memset(t, 0, sizeof(*t));
}

static bool is_in_transition(const struct km_loader *l, const char *name)
{
	char *dir = km_strfmt("%s/%s", l->sysfs, name);
	char *flag = dir ? read_proc(dir, "transition") : NULL;
	bool busy = flag && flag[0] == '1';

	free(flag);
	free(dir);
	return busy;
}

int km_lp_transition_patch(const struct km_loader *l, char **name)
{
	struct dirent *de;
	DIR *d = opendir(l->sysfs);
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while (ret == -ENOENT && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !is_in_transition(l, de->d_name))
			continue;
		*name = strdup(de->d_name);
		ret = *name ? 0 : -ENOMEM;
	}
	closedir(d);
	return ret;
}

static int write_attr(const struct km_loader *l, const char *name,
		      const char *attr)
{
	char *path = km_strfmt("%s/%s/%s", l->sysfs, name, attr);
	int fd, ret = 0;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else {
		if (write(fd, "1\n", 2) != 2)
			ret = -errno;
		if (close(fd) && !ret)
			ret = -errno;
	}
	free(path);
	return ret;
}

static bool has_attr(const struct km_loader *l, const char *name,
		     const char *attr)
{
	char *path = km_strfmt("%s/%s/%s", l->sysfs, name, attr);
	bool ret = path && access(path, F_OK) == 0;

	free(path);
	return ret;
}

/*
 * SIGSTOP makes an interruptible sleep return; the task switches on its
 * way to user space, stops, and SIGCONT lets it go on (a restartable
 * system call starts again, in the new code).
 */
static int stop_and_continue(const struct km_lp_task *t)
{
	if (kill(t->tgid, SIGSTOP))
		return -errno;
	if (kill(t->tgid, SIGCONT))
		return -errno;
	return 0;
}

int km_lp_signal_tasks(const struct km_loader *l, const char *name,
		       const struct km_lp_tasks *t)
{
	size_t i;
	int n = 0;

	if (has_attr(l, name, "signal")) {
		int ret = write_attr(l, name, "signal");

		return ret ? ret : (int)t->nr;
	}
	for (i = 0; i < t->nr; i++) {
		const struct km_lp_task *task = &t->tasks[i];

		if (task->kthread || task->tgid == getpid())
			continue;
		/* one signal per process is enough for all its threads */
		if (i && t->tasks[i - 1].tgid == task->tgid)
			continue;
		if (stop_and_continue(task) == 0)
			n++;
	}
	return n;
}

int km_lp_force(const struct km_loader *l, const char *name)
{
	return write_attr(l, name, "force");
}

static void log_task(const struct km_loader *l, enum km_level level,
		     const struct km_lp_task *t)
{
	char *summary = t->stack ? km_lp_stack_summary(t->stack, SHOWN_FRAMES)
				 : NULL;

	km_log(l->ctx, level, "  pid %d (%s%s) patch_state %d%s%s: %s",
	       t->pid, t->comm, t->kthread ? ", kernel thread" : "",
	       t->patch_state, t->holds ? ", runs " : "",
	       t->holds ? t->holds : "",
	       summary ? summary : "(stack unreadable)");
	free(summary);
}

static void log_blocking(const struct km_loader *l, enum km_level level,
			 const struct km_lp_tasks *t)
{
	size_t i;

	for (i = 0; i < t->nr && i < SHOWN_TASKS; i++)
		log_task(l, level, &t->tasks[i]);
	if (t->nr > SHOWN_TASKS)
		km_log(l->ctx, level, "  ... and %zu more; see 'kmend blocking'",
		       t->nr - SHOWN_TASKS);
}

/* What one wait has seen and done so far. */
struct watch {
	const struct km_loader *l;
	const char *name;
	const char *doing;	/* "patching", "unpatching" */
	int target;
	struct km_lp_patch patch;	/* its functions, for ->holds */
	double start;
	double next_report;
	double next_signal;
	bool forced;
};

static int find_blocking(struct watch *w, struct km_lp_tasks *t)
{
	int ret = km_lp_find_blocking(w->l, w->target, &w->patch, t);

	if (ret)
		km_warn(w->l->ctx, "cannot read the tasks' patch_state in %s",
			w->l->proc);
	return ret;
}

static void report_progress(struct watch *w, double now)
{
	struct km_lp_tasks t;

	if (find_blocking(w, &t))
		return;
	km_info(w->l->ctx, "'%s': %s transition: %zu task%s left to switch "
		"after %.0f s", w->name, w->doing, t.nr, t.nr == 1 ? "" : "s",
		now - w->start);
	log_blocking(w->l, KM_INFO, &t);
	km_lp_tasks_release(&t);
}

static void signal_blocking(struct watch *w)
{
	struct km_lp_tasks t;
	int n;

	if (find_blocking(w, &t))
		return;
	if (!t.nr) {
		km_lp_tasks_release(&t);
		return;
	}
	km_info(w->l->ctx, "'%s': %zu task%s still to switch after %.0f s, "
		"signalling:", w->name, t.nr, t.nr == 1 ? "" : "s",
		km_now() - w->start);
	log_blocking(w->l, KM_INFO, &t);
	n = km_lp_signal_tasks(w->l, w->name, &t);
	if (n < 0)
		km_warn(w->l->ctx, "'%s': cannot signal the blocking tasks: %s",
			w->name, strerror(-n));
	else if (has_attr(w->l, w->name, "signal"))
		km_info(w->l->ctx, "'%s': signalled the blocking tasks "
			"(%zu) through the kernel", w->name, t.nr);
	else if (n)
		km_info(w->l->ctx, "'%s': signalled %d blocking process%s "
			"(SIGSTOP, SIGCONT)", w->name, n, n == 1 ? "" : "es");
	km_lp_tasks_release(&t);
}

static int force_transition(struct watch *w)
{
	int ret;

	km_warn(w->l->ctx, "'%s': forcing the %s transition: the tasks above "
		"are switched while they may run replaced code; the kernel "
		"keeps the module loaded for good (--force)", w->name,
		w->doing);
	ret = km_lp_force(w->l, w->name);
	if (ret) {
		km_err(w->l->ctx, "cannot force '%s': %s", w->name,
		       strerror(-ret));
		return ret;
	}
	w->forced = true;
	return 0;
}

static int at_deadline(struct watch *w)
{
	struct km_lp_tasks t;

	if (find_blocking(w, &t) == 0) {
		km_err(w->l->ctx, "'%s': the %s transition did not finish "
		       "within %g s; %zu task%s did not switch:", w->name,
		       w->doing, w->l->timeout, t.nr, t.nr == 1 ? "" : "s");
		log_blocking(w->l, KM_ERROR, &t);
		km_lp_tasks_release(&t);
	}
	if (!w->l->force || w->forced)
		return -ETIMEDOUT;
	return force_transition(w);
}

/* 1: still in transition, 0: done, -errno */
static int transition_state(const struct watch *w)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s/transition", w->l->sysfs, w->name);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = km_read_file(path, &b);
	/* a disabled patch is freed when done: gone, or going (ENODEV) */
	if (ret == -ENOENT || ret == -ENODEV)
		ret = 0;
	else if (!ret)
		ret = b.buf[0] == '1' ? 1 : b.buf[0] == '0' ? 0 : -EINVAL;
	km_buf_release(&b);
	free(path);
	return ret;
}

static int watch_step(struct watch *w)
{
	double now = km_now(), limit = w->l->timeout;
	int ret = transition_state(w);

	if (ret <= 0)
		return ret;
	if (w->forced)
		limit += FORCE_GRACE;
	if (now - w->start >= limit) {
		ret = at_deadline(w);
		return ret ? ret : 1;
	}
	if (w->l->signal && w->l->grace > 0 && now >= w->next_signal) {
		signal_blocking(w);
		w->next_signal = now + w->l->grace;
	}
	if (now >= w->next_report) {
		report_progress(w, now);
		w->next_report += w->l->progress_every;
	}
	return 1;
}

int km_lp_wait_transition(const struct km_loader *l, const char *name,
			  int target)
{
	struct watch w = {
		.l = l, .name = name, .target = target,
		.doing = target == KM_KLP_PATCHED ? "patching" : "unpatching",
		.start = km_now(),
	};
	int ret;

	w.next_report = w.start + l->progress_every;
	w.next_signal = w.start + l->grace;
	if (km_lp_get(l, name, &w.patch))
		memset(&w.patch, 0, sizeof(w.patch));
	while ((ret = watch_step(&w)) == 1)
		sleep_a_little();
	km_lp_patch_release(&w.patch);
	if (!ret && w.forced)
		return KM_LP_FORCED;
	return ret;
}

void km_lp_task_json(struct km_json *j, const char *key,
		     const struct km_lp_task *t)
{
	const char *p = t->stack;

	km_json_object_begin(j, key);
	km_json_int(j, "pid", t->pid);
	km_json_int(j, "tgid", t->tgid);
	km_json_string(j, "comm", t->comm);
	km_json_int(j, "patch_state", t->patch_state);
	km_json_bool(j, "kthread", t->kthread);
	if (t->holds)
		km_json_string(j, "holds", t->holds);
	else
		km_json_null(j, "holds");
	if (!t->stack) {
		km_json_null(j, "stack");
	} else {
		km_json_array_begin(j, "stack");
		while (*p) {
			size_t n = strcspn(p, "\n");
			char *line = strndup(p, n);

			if (line)
				km_json_string(j, NULL, line);
			free(line);
			p += n + (p[n] == '\n');
		}
		km_json_array_end(j);
	}
	km_json_object_end(j);
}
