// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "modinfo.h"
#include "target.h"
#include "util.h"
#include "vm.h"

/* Where 'make install' puts the static kmend the VM runs. */
#ifndef KMEND_LIBDIR
#define KMEND_LIBDIR "/usr/local/lib/kmend"
#endif

static const char test_usage[] =
	"kmend test [-k KREL] [--check SCRIPT] [--timeout S] [--keep DIR] "
	"MODULE.ko...\n"
	"       kmend test [-k KREL] --script SCRIPT [--timeout S] [--keep DIR] "
	"[FILE...]\n"
	"\n"
	"    -k, --kernel KREL    the kernel to boot (default: newest installed);\n"
	"                         more than once: each kernel boots with the\n"
	"                         modules built for it (their vermagic)\n"
	"    -c, --check SCRIPT   must fail without the patch, pass with it\n"
	"    -s, --script SCRIPT  run SCRIPT in the VM instead, in a directory\n"
	"                         holding the FILEs; it must exit 0\n"
	"    -t, --timeout S      give the whole VM run S seconds (default 300)\n"
	"        --keep DIR       keep the initramfs and console log in DIR\n"
	"        --show-checks    print what the check printed at each step\n"
	"    -m, --with-module M  put the kernel's module M and what it depends\n"
	"                         on in the VM, for the check to modprobe\n"
	"    -h, --help           show this help";

struct test_opts {
	const char **kernels;	/* -k, in order */
	size_t nr_kernels;
	struct km_target_opts target;
	struct km_vm_opts vm;
	bool show_checks;
};

static char *existing_file(char *path)
{
	if (path && km_is_file(path))
		return path;
	free(path);
	return NULL;
}

/*
 * The static kmend that runs inside the VM: $KMEND_STATIC, else
 * kmend-static next to this program (the build tree), else
 * BINDIR/../lib/kmend/kmend-static (an install, whatever its prefix), else
 * KMEND_LIBDIR/kmend-static.
 */
static char *find_kmend_static(struct km_cli *cli)
{
	const char *env = getenv("KMEND_STATIC");
	char *self = cli_dir_of_self(), *path = NULL;

	if (env && *env) {
		free(self);
		return strdup(env);
	}
	if (self)
		path = existing_file(km_strfmt("%s/kmend-static", self));
	if (self && !path)
		path = existing_file(km_strfmt("%s/../lib/kmend/kmend-static", self));
	if (!path)
		path = existing_file(strdup(KMEND_LIBDIR "/kmend-static"));
	free(self);
	if (path)
		return path;
	cli_error(cli, "static kmend not found (set $KMEND_STATIC, or put "
		  "kmend-static next to kmend or in %s): build it with "
		  "'make static'", KMEND_LIBDIR);
	return NULL;
}

static void print_indented(const char *text, const char *indent)
{
	const char *p = text;

	while (p && *p) {
		size_t n = strcspn(p, "\n");

		printf("%s%.*s\n", indent, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void print_check_outputs(const struct km_vm_module *m)
{
	static const struct {
		enum km_vm_step step;
		const char *when;
	} checks[] = {
		{ KM_VM_CHECK_BEFORE, "before loading" },
		{ KM_VM_CHECK_LOADED, "while loaded" },
		{ KM_VM_CHECK_AFTER, "after unloading" },
	};
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		enum km_vm_step s = checks[i].step;

		if (m->rc[s] < 0)
			continue;
		printf("  check %s (%s):\n", checks[i].when,
		       m->rc[s] ? "fails" : "passes");
		if (m->output[s] && *m->output[s])
			print_indented(m->output[s], "    ");
	}
}

static void print_module(const struct km_vm_module *m, bool show_checks)
{
	const char *mod = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 :
						   m->path;

	printf("%s %s: %s\n", m->passed ? "PASS" : "FAIL", mod, m->verdict);
	if (show_checks)
		print_check_outputs(m);
	if (m->rc[KM_VM_LIST] >= 0 && m->output[KM_VM_LIST]) {
		printf("  while loaded, 'kmend list' showed:\n");
		print_indented(m->output[KM_VM_LIST], "    ");
	}
	if (m->rc[KM_VM_INFO] >= 0 && m->output[KM_VM_INFO]) {
		printf("  while loaded, 'kmend info %s' showed:\n", m->name);
		print_indented(m->output[KM_VM_INFO], "    ");
	}
	if (!m->passed && m->output[m->failed_step] &&
	    *m->output[m->failed_step]) {
		printf("  output of step '%s':\n",
		       km_vm_step_name(m->failed_step));
		print_indented(m->output[m->failed_step], "    ");
	}
}

static void print_script(const struct km_vm_report *rep)
{
	if (rep->script_rc < 0) {
		printf("FAIL script: it did not finish\n");
		return;
	}
	if (rep->script_rc)
		printf("FAIL script: exit %d\n", rep->script_rc);
	else
		printf("PASS script\n");
	if (rep->script_output && *rep->script_output)
		print_indented(rep->script_output, "  ");
}

/* The last lines of the console, where a panic or a hang shows. */
static void print_console_tail(const char *console, int lines)
{
	const char *p = console + strlen(console);
	int seen = 0;

	while (p > console && seen <= lines)
		if (*--p == '\n')
			seen++;
	if (p > console)
		p++;
	printf("  last lines of the VM's console:\n");
	print_indented(p, "    ");
}

static int print_report(const struct km_vm_report *rep, const char *keep,
			bool show_checks)
{
	size_t i;

	for (i = 0; i < rep->nr_modules && !rep->scripted; i++)
		print_module(&rep->modules[i], show_checks);
	if (rep->scripted)
		print_script(rep);
	if (rep->problems) {
		printf("FAIL kernel log: problems while testing:\n");
		print_indented(rep->problems, "    ");
	}
	if (rep->timed_out)
		printf("TIMEOUT the VM did not finish in time\n");
	else if (!rep->finished)
		printf("FAIL the VM stopped before the end of the tests\n");
	if (!rep->finished && rep->console)
		print_console_tail(rep->console, 30);
	if (km_vm_report_passed(rep))
		return KM_EXIT_OK;
	if (!keep)
		printf("rerun with --keep DIR to keep the initramfs and the "
		       "console log\n");
	return rep->timed_out ? KM_EXIT_TIMEOUT : KM_EXIT_TESTFAIL;
}

static int run_test(struct km_cli *cli, struct test_opts *o)
{
	struct km_vm_report rep;
	struct km_target t;
	char *kstatic;
	int ret;

	ret = km_target_find(&cli->ctx, &o->target, &t);
	if (ret)
		return km_exit_code(ret);
	ret = km_target_require(&cli->ctx, &t, KM_NEED_IMAGE | KM_NEED_MODULES);
	kstatic = ret ? NULL : find_kmend_static(cli);
	if (ret || !kstatic) {
		km_target_release(&t);
		return KM_EXIT_ERROR;
	}
	o->vm.krel = t.krel;
	o->vm.image = t.image;
	o->vm.modules_dir = t.modules;
	o->vm.kmend_static = kstatic;
	if (o->vm.script)
		km_info(&cli->ctx, "running %s on kernel %s with %zu file%s",
			o->vm.script, t.krel, o->vm.nr_modules,
			o->vm.nr_modules == 1 ? "" : "s");
	else
		km_info(&cli->ctx, "testing %zu module%s on kernel %s%s%s",
			o->vm.nr_modules, o->vm.nr_modules == 1 ? "" : "s",
			t.krel, o->vm.check ? " with check " : "",
			o->vm.check ? o->vm.check : " (load and unload only)");
	ret = km_vm_test(&cli->ctx, &o->vm, &rep);
	if (ret == 0 || ret == -ETIMEDOUT)
		ret = print_report(&rep, o->vm.keep_dir, o->show_checks);
	else
		ret = km_exit_code(ret);
	km_vm_report_release(&rep);
	free(kstatic);
	km_target_release(&t);
	return ret;
}

/* The kernel release a module was built for, or NULL (said why). */
static char *module_krel(struct km_cli *cli, const char *path)
{
	struct km_modinfo mi;
	char *krel;

	if (km_modinfo_read(&cli->ctx, path, &mi)) {
		cli_error(cli, "cannot read the module '%s'", path);
		return NULL;
	}
	krel = km_modinfo_vermagic_krel(&mi);
	km_modinfo_release(&mi);
	if (!krel)
		cli_error(cli, "module '%s' has no vermagic: not a kernel "
			  "module built by Kbuild", path);
	return krel;
}

/* Which of all modules are for krel; -1 when one cannot be read. */
static int modules_for(struct km_cli *cli, const char *krel,
		       const char *const *all, size_t nr, const char **out)
{
	int n = 0;
	size_t i;

	for (i = 0; i < nr; i++) {
		char *m = module_krel(cli, all[i]);

		if (!m)
			return -1;
		if (!strcmp(m, krel))
			out[n++] = all[i];
		free(m);
	}
	return n;
}

/*
 * Each kernel boots with its own modules, one VM after the other (a TCG
 * guest takes a core whole).  The exit code is the worst of the runs.
 */
static int run_test_kernels(struct km_cli *cli, struct test_opts *o)
{
	const char *const *all = o->vm.modules;
	size_t nr_all = o->vm.nr_modules, k, i;
	const char **mine = calloc(nr_all, sizeof(*mine));
	bool *used = calloc(nr_all, sizeof(*used));
	int worst = KM_EXIT_OK, n, ret;

	if (!mine || !used) {
		free(mine);
		free(used);
		cli_error(cli, "out of memory");
		return KM_EXIT_ERROR;
	}
	for (k = 0; k < o->nr_kernels && worst != KM_EXIT_USAGE; k++) {
		n = modules_for(cli, o->kernels[k], all, nr_all, mine);
		if (n < 0) {
			worst = KM_EXIT_ERROR;
			break;
		}
		if (n == 0) {
			cli_error(cli, "no module given is built for kernel %s "
				  "(their vermagic names other kernels)",
				  o->kernels[k]);
			worst = worst ? worst : KM_EXIT_ERROR;
			continue;
		}
		for (i = 0; i < nr_all; i++)
			for (int j = 0; j < n; j++)
				used[i] = used[i] || all[i] == mine[j];
		printf("== kernel %s\n", o->kernels[k]);
		fflush(stdout);
		o->target.krel = o->kernels[k];
		o->vm.modules = mine;
		o->vm.nr_modules = (size_t)n;
		ret = run_test(cli, o);
		if (ret && (!worst || worst == KM_EXIT_OK))
			worst = ret;
	}
	for (i = 0; i < nr_all && worst == KM_EXIT_OK; i++)
		if (!used[i]) {
			cli_error(cli, "module '%s' is for none of the kernels "
				  "given with -k", all[i]);
			worst = KM_EXIT_ERROR;
		}
	o->vm.modules = all;
	o->vm.nr_modules = nr_all;
	free(mine);
	free(used);
	return worst;
}

int cmd_test(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "check", required_argument, NULL, 'c' },
		{ "script", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", required_argument, NULL, 'K' },
		{ "show-checks", no_argument, NULL, 'S' },
		{ "with-module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **with = calloc((size_t)argc, sizeof(*with));
	const char **kernels = calloc((size_t)argc, sizeof(*kernels));
	struct test_opts o;
	int c, ret;

	if (!with || !kernels) {
		free(kernels);
		cli_error(cli, "out of memory");
		return KM_EXIT_ERROR;
	}
	memset(&o, 0, sizeof(o));
	o.vm.timeout = KM_VM_TIMEOUT;
	o.vm.kernel_modules = with;
	o.kernels = kernels;
	while ((c = getopt_long(argc, argv, "+k:c:s:t:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.target.krel = optarg;
			kernels[o.nr_kernels++] = optarg;
			break;
		case 'c':
			o.vm.check = optarg;
			break;
		case 's':
			o.vm.script = optarg;
			break;
		case 't':
			if (!cli_parse_seconds(cli, "--timeout", optarg,
					       &o.vm.timeout)) {
				free(with);
				free(kernels);
				return cli_usage(cli, test_usage);
			}
			break;
		case 'S':
			o.show_checks = true;
			break;
		case 'm':
			with[o.vm.nr_kernel_modules++] = optarg;
			break;
		case 'K':
			o.vm.keep_dir = optarg;
			break;
		case 'h':
			printf("usage: %s\n", test_usage);
			free(with);
			free(kernels);
			return KM_EXIT_OK;
		default:
			free(with);
			free(kernels);
			return cli_usage(cli, test_usage);
		}
	}
	if (o.vm.script && o.vm.check) {
		cli_error(cli, "--script and --check do not go together");
		free(with);
		return cli_usage(cli, test_usage);
	}
	if (optind >= argc && !o.vm.script) {
		cli_error(cli, "test needs at least one module file");
		free(with);
		free(kernels);
		return cli_usage(cli, test_usage);
	}
	o.vm.modules = (const char *const *)argv + optind;
	o.vm.nr_modules = (size_t)(argc - optind);
	ret = o.nr_kernels > 1 ? run_test_kernels(cli, &o) : run_test(cli, &o);
	free(with);
	free(kernels);
	return ret;
}
