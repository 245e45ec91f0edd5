// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "install.h"
#include "json.h"
#include "loader.h"

static const char install_usage[] =
	"kmend install [--root DIR] [--now] MODULE.ko...\n"
	"       kmend install [--root DIR] --list [--json]\n"
	"\n"
	"    -n, --now        also load it when it is for the running kernel\n"
	"    -l, --list       show what is installed, for each kernel\n"
	"    -j, --json       with --list: print JSON\n"
	"    -r, --root DIR   keep modules in DIR/KREL (default /var/lib/kmend)\n"
	"    -h, --help       show this help";

static const char uninstall_usage[] =
	"kmend uninstall [--root DIR] [-k KREL] NAME|MODULE.ko...\n"
	"\n"
	"    -k, --kernel KREL   only for kernel KREL (default: every kernel)\n"
	"    -r, --root DIR      modules are in DIR/KREL (default /var/lib/kmend)\n"
	"    -h, --help          show this help";

/* $KMEND_INSTALL_DIR for tests, else KM_INSTALL_DIR */
const char *cli_install_root(void)
{
	const char *env = getenv("KMEND_INSTALL_DIR");

	return env && *env ? env : KM_INSTALL_DIR;
}

static bool is_running_kernel(const char *krel)
{
	struct utsname u;

	return uname(&u) == 0 && !strcmp(u.release, krel);
}

static void list_kernel_plain(const struct km_installed *in, bool running)
{
	size_t i;

	printf("%s%s:\n", in->krel, running ? " (running)" : "");
	for (i = 0; i < in->nr_names; i++)
		printf("  %s\n", in->names[i]);
}

static void list_kernel_json(struct km_json *j, const struct km_installed *in,
			     bool running)
{
	size_t i;

	km_json_object_begin(j, NULL);
	km_json_string(j, "kernel", in->krel);
	km_json_bool(j, "running", running);
	km_json_array_begin(j, "patches");
	for (i = 0; i < in->nr_names; i++)
		km_json_string(j, NULL, in->names[i]);
	km_json_array_end(j);
	km_json_object_end(j);
}

static int list_installed(struct km_cli *cli, const char *root, bool json)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;
	char **krels;
	size_t i, nr;
	int ret;

	ret = km_installed_kernels(root, &krels, &nr);
	if (ret) {
		cli_error(cli, "cannot read %s: %s", root, strerror(-ret));
		return KM_EXIT_ERROR;
	}
	km_json_init(&j, &out);
	km_json_array_begin(&j, NULL);
	for (i = 0; i < nr && !ret; i++) {
		struct km_installed in;

		ret = km_installed_read(root, krels[i], &in);
		if (ret)
			break;
		if (json)
			list_kernel_json(&j, &in, is_running_kernel(in.krel));
		else if (in.nr_names)
			list_kernel_plain(&in, is_running_kernel(in.krel));
		km_installed_release(&in);
	}
	km_json_array_end(&j);
	for (i = 0; i < nr; i++)
		free(krels[i]);
	free(krels);
	if (json && !ret)
		ret = cli_print_json(&j, &out);
	km_buf_release(&out);
	return km_exit_code(ret);
}

static int install_one(struct km_cli *cli, const char *root, const char *path,
		       bool now)
{
	struct km_loader l;
	char *name, *krel;
	int ret;

	ret = km_install(&cli->ctx, root, path, &name, &krel);
	if (ret)
		return ret;
	km_info(&cli->ctx, "'%s' installed for %s: it loads at each boot of "
		"that kernel (kmend.service)", name, krel);
	if (now && is_running_kernel(krel)) {
		cli_loader_init(cli, &l);
		ret = km_lp_load(&l, path, NULL);
		if (ret == -EEXIST)
			ret = 0;	/* already loaded: nothing to do */
	}
	free(name);
	free(krel);
	return ret;
}

int cmd_install(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "now", no_argument, NULL, 'n' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = cli_install_root();
	bool now = false, list = false, json = false;
	int c, i, ret = 0;

	while ((c = getopt_long(argc, argv, "+nljr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			now = true;
			break;
		case 'l':
			list = true;
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			printf("usage: %s\n", install_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, install_usage);
		}
	}
	if (list || json) {
		if (optind != argc || now || !list) {
			cli_error(cli, "--list takes no module, and --json "
				  "goes with --list");
			return cli_usage(cli, install_usage);
		}
		return list_installed(cli, root, json);
	}
	if (optind >= argc) {
		cli_error(cli, "install needs at least one module file");
		return cli_usage(cli, install_usage);
	}
	for (i = optind; i < argc && ret >= 0; i++)
		ret = install_one(cli, root, argv[i], now);
	return cli_transition_exit(ret);
}

int cmd_uninstall(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = cli_install_root(), *krel = NULL;
	int c, i, ret = 0;

	while ((c = getopt_long(argc, argv, "+k:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			krel = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			printf("usage: %s\n", uninstall_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, uninstall_usage);
		}
	}
	if (optind >= argc) {
		cli_error(cli, "uninstall needs at least one live patch name");
		return cli_usage(cli, uninstall_usage);
	}
	for (i = optind; i < argc && !ret; i++)
		ret = km_uninstall(&cli->ctx, root, argv[i], krel);
	return km_exit_code(ret);
}
