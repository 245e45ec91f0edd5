// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "loader.h"

static const char unload_usage[] =
	"kmend unload [--timeout S] [--grace S] [--no-signal] [--force] "
	"NAME|MODULE.ko...\n"
	"\n"
	"    -t, --timeout S   give each unpatching transition S seconds (default\n"
	"                      60), then re-enable the patch (exit 6)\n"
	"    -g, --grace S     signal the tasks that hold the transition up every\n"
	"                      S seconds (default 5)\n"
	"        --no-signal   never signal them\n"
	"        --force       at the deadline, force the transition instead of\n"
	"                      re-enabling the patch (unsafe; exit 8)\n"
	"    -h, --help        show this help";

int cmd_unload(struct km_cli *cli, int argc, char **argv)
{
	struct km_loader l;
	int c, i, ret = 0;

	cli_loader_init(cli, &l);
	while ((c = getopt_long(argc, argv, "+t:g:h", cli_transition_options,
				NULL)) != -1) {
		ret = cli_transition_option(cli, c, optarg, &l);
		if (ret > 0)
			continue;
		if (c == 'h' && !ret) {
			printf("usage: %s\n", unload_usage);
			return KM_EXIT_OK;
		}
		return cli_usage(cli, unload_usage);
	}
	if (argc - optind < 1) {
		cli_error(cli, "unload takes one live patch name or more");
		return cli_usage(cli, unload_usage);
	}
	if (l.force)
		km_warn(&cli->ctx, "--force: a transition that does not finish "
			"by its deadline is forced; the patch's module then "
			"stays loaded until reboot");
	/* in the order given; each one is a transition of its own */
	for (i = optind, ret = 0; i < argc && ret >= 0; i++)
		ret = km_lp_unload(&l, argv[i]);
	return cli_transition_exit(ret);
}
