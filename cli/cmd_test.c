// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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
	"\n"
	"    -k, --kernel KREL    the kernel to boot (default: newest installed)\n"
	"    -c, --check SCRIPT   must fail without the patch, pass with it\n"
	"    -t, --timeout S      give the whole VM run S seconds (default 300)\n"
	"        --keep DIR       keep the initramfs and console log in DIR\n"
	"        --show-checks    print what the check printed at each step\n"
	"    -m, --with-module M  put the kernel's module M and what it depends\n"
	"                         on in the VM, for the check to modprobe\n"
	"    -h, --help           show this help";

struct test_opts {
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

	for (i = 0; i < rep->nr_modules; i++)
		print_module(&rep->modules[i], show_checks);
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
	km_info(&cli->ctx, "testing %zu module%s on kernel %s%s%s",
		o->vm.nr_modules, o->vm.nr_modules == 1 ? "" : "s", t.krel,
		o->vm.check ? " with check " : "",
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

int cmd_test(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "check", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", required_argument, NULL, 'K' },
		{ "show-checks", no_argument, NULL, 'S' },
		{ "with-module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **with = calloc((size_t)argc, sizeof(*with));
	struct test_opts o;
	int c, ret;

	if (!with) {
		cli_error(cli, "out of memory");
		return KM_EXIT_ERROR;
	}
	memset(&o, 0, sizeof(o));
	o.vm.timeout = KM_VM_TIMEOUT;
	o.vm.kernel_modules = with;
	while ((c = getopt_long(argc, argv, "+k:c:t:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.target.krel = optarg;
			break;
		case 'c':
			o.vm.check = optarg;
			break;
		case 't':
			if (!cli_parse_seconds(cli, "--timeout", optarg,
					       &o.vm.timeout)) {
				free(with);
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
			return KM_EXIT_OK;
		default:
			free(with);
			return cli_usage(cli, test_usage);
		}
	}
	if (optind >= argc) {
		cli_error(cli, "test needs at least one module file");
		free(with);
		return cli_usage(cli, test_usage);
	}
	o.vm.modules = (const char *const *)argv + optind;
	o.vm.nr_modules = (size_t)(argc - optind);
	ret = run_test(cli, &o);
	free(with);
	return ret;
}
