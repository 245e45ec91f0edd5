// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "package.h"
#include "util.h"

static const char package_usage[] =
	"kmend package [-o DIR] [-V VERSION] [--kernel-version V] "
	"[--maintainer M] MODULE.ko\n"
	"       kmend package --tool --static KMEND --unit FILE [--man DIR] "
	"[-o DIR] [-V VERSION]\n"
	"\n"
	"    -o, --output DIR        write the .deb into DIR (default .)\n"
	"    -V, --version VERSION   the package's version (default 1)\n"
	"        --kernel-version V  depend on linux-image-KREL (= V) (default:\n"
	"                            the installed one's version)\n"
	"        --maintainer M      the Maintainer field\n"
	"        --tool              the kmend package itself: the static kmend\n"
	"                            (--static), kmend.service (--unit), and the\n"
	"                            man pages in DIR (--man)\n"
	"    -h, --help              show this help";

static int package(struct km_cli *cli, struct km_package_opts *o, bool tool)
{
	char *deb = NULL;
	int ret;

	ret = tool ? km_package_tool(&cli->ctx, o, &deb) :
		     km_package_patch(&cli->ctx, o, &deb);
	if (ret)
		return km_exit_code(ret);
	printf("%s\n", deb);
	free(deb);
	return KM_EXIT_OK;
}

int cmd_package(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "version", required_argument, NULL, 'V' },
		{ "kernel-version", required_argument, NULL, 'K' },
		{ "maintainer", required_argument, NULL, 'M' },
		{ "tool", no_argument, NULL, 'T' },
		{ "static", required_argument, NULL, 'S' },
		{ "unit", required_argument, NULL, 'U' },
		{ "man", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_package_opts o = {
		.out_dir = ".", .version = "1",
		.maintainer = KM_PACKAGE_MAINTAINER,
	};
	struct km_buf unit = KM_BUF_INIT;
	const char *unit_path = NULL;
	bool tool = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+o:V:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_dir = optarg;
			break;
		case 'V':
			o.version = optarg;
			break;
		case 'K':
			o.kernel_version = optarg;
			break;
		case 'M':
			o.maintainer = optarg;
			break;
		case 'T':
			tool = true;
			break;
		case 'S':
			o.kmend_static = optarg;
			break;
		case 'U':
			unit_path = optarg;
			break;
		case 'm':
			o.man_dir = optarg;
			break;
		case 'h':
			printf("usage: %s\n", package_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, package_usage);
		}
	}
	if (tool ? optind != argc || !o.kmend_static || !unit_path :
		   argc - optind != 1) {
		cli_error(cli, tool ? "--tool needs --static and --unit, and "
			  "no module" : "package takes exactly one module file");
		return cli_usage(cli, package_usage);
	}
	if (tool && km_read_file(unit_path, &unit)) {
		cli_error(cli, "cannot read the unit file '%s'", unit_path);
		return KM_EXIT_ERROR;
	}
	o.unit = unit.buf;
	o.module = tool ? NULL : argv[optind];
	ret = package(cli, &o, tool);
	km_buf_release(&unit);
	return ret;
}
