// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "loader.h"
#include "precheck.h"

static const char load_usage[] =
	"kmend load [--timeout S] MODULE.ko\n"
	"\n"
	"    -t, --timeout S   give the patching transition S seconds (default 60)\n"
	"    -h, --help        show this help";

int cmd_load(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_loader l;
	char *name = NULL;
	int c, ret;

	cli_loader_init(cli, &l);
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!cli_parse_seconds(cli, "--timeout", optarg,
					       &l.timeout))
				return cli_usage(cli, load_usage);
			break;
		case 'h':
			printf("usage: %s\n", load_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, load_usage);
		}
	}
	if (argc - optind != 1) {
		cli_error(cli, "load takes exactly one module file");
		return cli_usage(cli, load_usage);
	}
	ret = km_preload_checks(&cli->ctx, argv[optind]);
	if (!ret)
		ret = km_lp_load(&l, argv[optind], &name);
	if (ret)
		return km_exit_code(ret);
	printf("%s\n", name);
	free(name);
	return KM_EXIT_OK;
}
