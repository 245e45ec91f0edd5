/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A livepatch transition as a user watches it: the kernel switches each
 * task to the new state when that task runs none of the functions being
 * replaced; the tasks not switched yet hold the transition up.  They are
 * found by their /proc/PID/task/TID/patch_state, shown with their kernel
 * stacks, and nudged: through the patch's 'signal' attribute when the
 * kernel has one (it went away in 5.x; 6.1 sends fake signals itself
 * every 15 s), else with SIGSTOP and SIGCONT to the user tasks, which
 * wakes an interruptible sleep so that the task switches on its way back
 * to user space.
 */
#ifndef KMEND_TRANSITION_H
#define KMEND_TRANSITION_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "loader.h"

/* /proc/PID/patch_state values (KLP_UNDEFINED, KLP_UNPATCHED, KLP_PATCHED) */
#define KM_KLP_UNDEFINED	(-1)
#define KM_KLP_UNPATCHED	0
#define KM_KLP_PATCHED		1

/* A task that has not switched to the transition's target state yet. */
struct km_lp_task {
	int pid;		/* thread id */
	int tgid;		/* its process */
	char *comm;
	int patch_state;
	bool kthread;
	char *stack;		/* /proc/PID/stack, NULL when unreadable */
	char *holds;		/* a replaced function on its stack, or NULL */
};

struct km_lp_tasks {
	struct km_lp_task *tasks;	/* by pid */
	size_t nr;
};

/*
 * The tasks whose patch_state is not target (KM_KLP_PATCHED while
 * patching, KM_KLP_UNPATCHED while unpatching).  funcs (may be NULL) are
 * the patch's functions: a task with one on its stack gets ->holds.
 */
int km_lp_find_blocking(const struct km_loader *l, int target,
			const struct km_lp_patch *patch,
			struct km_lp_tasks *out);
void km_lp_tasks_release(struct km_lp_tasks *t);

/* The patch in transition: 0 and its name (to free), or -ENOENT. */
int km_lp_transition_patch(const struct km_loader *l, char **name);

/*
 * Nudge the blocking tasks: the 'signal' attribute when there is one,
 * else SIGSTOP and SIGCONT to each user task.  The number of tasks
 * signalled, or -errno.
 */
int km_lp_signal_tasks(const struct km_loader *l, const char *name,
		       const struct km_lp_tasks *t);

/* Write 1 to the patch's 'force' attribute: every task is switched. */
int km_lp_force(const struct km_loader *l, const char *name);

/*
 * Wait for name's transition towards target: progress and the blocking
 * tasks every l->progress_every, signals after each l->grace, the deadline
 * l->timeout.  0 when done; KM_LP_FORCED when l->force had to force it;
 * -ETIMEDOUT at the deadline (nothing reverted here).
 */
int km_lp_wait_transition(const struct km_loader *l, const char *name,
			  int target);

/* "do_nanosleep < hrtimer_nanosleep < ..." from a /proc/PID/stack text. */
char *km_lp_stack_summary(const char *stack, size_t frames);

/*
 * {"pid":..,"tgid":..,"comm":..,"patch_state":..,"kthread":..,
 *  "holds":..|null,"stack":[".."]}
 */
void km_lp_task_json(struct km_json *j, const char *key,
		     const struct km_lp_task *t);

#endif
