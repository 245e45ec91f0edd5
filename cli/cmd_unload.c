// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "loader.h"

static const char unload_usage[] =
	"kmend unload [--timeout S] NAME|MODULE.ko\n"
	"\n"
	"    -t, --timeout S   give the unpatching transition S seconds (default 60)\n"
	"    -h, --help        show this help";

int cmd_unload(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_loader l;
	int c;

	cli_loader_init(cli, &l);
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!cli_parse_seconds(cli, "--timeout", optarg,
					       &l.timeout))
				return cli_usage(cli, unload_usage);
			break;
		case 'h':
			printf("usage: %s\n", unload_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, unload_usage);
		}
	}
	if (argc - optind != 1) {
		cli_error(cli, "unload takes exactly one live patch name");
		return cli_usage(cli, unload_usage);
	}
	return km_exit_code(km_lp_unload(&l, argv[optind]));
}
