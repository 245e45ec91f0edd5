// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fetch.h"

static const char fetch_usage[] =
	"kmend fetch [--cache DIR] [--force] KREL...\n"
	"\n"
	"Brings Debian kernels into kmend's cache, not into the system: image,\n"
	"headers, source and debug vmlinux, all of one Debian version.\n"
	"      --cache DIR      cache directory (default $XDG_CACHE_HOME/kmend)\n"
	"      --force          fetch again what the cache already has\n"
	"exit: 0 all fetched, 1 one or more failed";

int cmd_fetch(struct km_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, 'C' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_fetch_opts o = { 0 };
	int c, i, failed = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			o.cache_dir = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'h':
			printf("usage: %s\n", fetch_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, fetch_usage);
		}
	}
	if (optind >= argc) {
		cli_error(cli, "fetch needs at least one kernel release");
		return cli_usage(cli, fetch_usage);
	}
	/* One after the other: apt and the disk are shared anyway. */
	for (i = optind; i < argc; i++)
		if (km_fetch_kernel(&cli->ctx, &o, argv[i]))
			failed++;
	return failed ? KM_EXIT_ERROR : KM_EXIT_OK;
}
