/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prove live patches on the target kernel in a throwaway VM: build an
 * initramfs holding busybox, a static kmend, the modules and a check
 * script; boot the target kernel under QEMU (TCG); for each module run the
 * check (must fail), load the patch, run the check (must pass), unload it,
 * run the check (must fail again); then read the kernel log for oopses,
 * warnings and livepatch errors.
 *
 * The init script reports each step on the serial console as
 *   @@kmend <step> <module index> <exit status>
 * after the step's own output, so everything between two markers belongs to
 * the later one.
 */
#ifndef KMEND_VM_H
#define KMEND_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "kmend.h"

#define KM_VM_TIMEOUT	300.0	/* seconds for the whole VM */
#define KM_VM_QEMU	"qemu-system-x86_64"
#define KM_VM_BUSYBOX	"/bin/busybox"

struct km_vm_opts {
	const char *krel;		/* kernel release the modules are for */
	const char *image;		/* /boot/vmlinuz-KREL */
	const char *modules_dir;	/* /lib/modules/KREL, for its metadata */
	const char *kmend_static;	/* a statically linked kmend */
	const char *busybox;		/* NULL: KM_VM_BUSYBOX */
	const char *qemu;		/* NULL: KM_VM_QEMU from PATH */
	const char *check;		/* NULL: only load and unload */
	/* instead of the steps per module: run this script in the VM, with
	 * the files of modules (any files) in its working directory */
	const char *script;
	const char *const *modules;	/* .ko files to test, in order */
	size_t nr_modules;
	/* modules of the kernel's own tree (names, as modprobe takes them)
	 * copied into the VM with what they depend on, for the check */
	const char *const *kernel_modules;
	size_t nr_kernel_modules;
	double timeout;			/* whole run; 0: KM_VM_TIMEOUT */
	double load_timeout;		/* kmend load/unload in the VM; 0: its own */
	const char *keep_dir;		/* NULL: a temporary directory, removed */
};

/* The steps of one module, in the order the init script runs them. */
enum km_vm_step {
	KM_VM_BEGIN,
	KM_VM_CHECK_BEFORE,
	KM_VM_LOAD,
	KM_VM_LIST,
	KM_VM_INFO,
	KM_VM_CHECK_LOADED,
	KM_VM_UNLOAD,
	KM_VM_CHECK_AFTER,
	KM_VM_END,
	KM_VM_NR_STEPS,
};

struct km_vm_module {
	char *path;
	char *name;			/* the patch's name (modinfo) */
	int rc[KM_VM_NR_STEPS];		/* exit status, -1: not reached */
	char *output[KM_VM_NR_STEPS];	/* what the step printed, or NULL */
	bool passed;
	char *verdict;			/* why it passed or failed */
	enum km_vm_step failed_step;	/* when !passed */
};

struct km_vm_report {
	struct km_vm_module *modules;
	size_t nr_modules;
	char *console;		/* everything on the serial console */
	char *kernel_log;	/* dmesg since the tests began */
	char *problems;		/* offending kernel log lines, or NULL */
	bool scripted;		/* opts->script ran instead of the steps */
	int script_rc;		/* opts->script's exit status, -1: not reached */
	char *script_output;	/* what it printed */
	bool finished;		/* the init script reached its end */
	bool timed_out;
	double seconds;		/* the VM's run, wall clock */
};

/*
 * Everything that can be checked on the host: the files exist, each module
 * is a livepatch module for opts->krel, the check script is executable.
 */
int km_vm_check_inputs(struct km_ctx *ctx, const struct km_vm_opts *opts);

/*
 * Run the whole test; fills report (release it in any case).  0 when the
 * VM ran to its end, whatever the verdicts (see km_vm_report_passed());
 * -ETIMEDOUT past the deadline (the report holds what was seen); another
 * negative errno when the VM could not be run at all.
 */
int km_vm_test(struct km_ctx *ctx, const struct km_vm_opts *opts,
	       struct km_vm_report *report);
bool km_vm_report_passed(const struct km_vm_report *report);
void km_vm_report_release(struct km_vm_report *report);

const char *km_vm_step_name(enum km_vm_step step);

#endif
