// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "author.h"
#include "cli.h"
#include "diff.h"
#include "emit.h"

static const char diff_usage[] =
	"kmend diff [-o OUT.o] ORIG.o PATCHED.o\n"
	"\n"
	"Compares a pristine and a patched object function by function and\n"
	"prints one line per function the live patch replaces or adds, and\n"
	"one per callback the patch registers.\n"
	"  -o, --output OUT.o   write the patch object (the functions and what\n"
	"                       they need; references to the kernel by name)\n"
	"exit: 0 changes, 3 no functional change, 2 cannot be live patched";

static void print_functions(const struct km_diff *d)
{
	size_t i;

	for (i = 0; i < d->nr_funcs; i++) {
		const struct km_diff_func *f = &d->funcs[i];

		printf("%-8s %s\n", km_func_role(f), f->sym->name);
	}
	for (i = 0; i < d->nr_callbacks; i++) {
		const struct km_diff_callback *cb = &d->callbacks[i];

		printf("callback %s %s%s%s%s\n", km_callback_kind_name(cb->kind),
		       cb->sym->name, cb->object ? " (" : "",
		       cb->object ? cb->object : "", cb->object ? ")" : "");
	}
}

int cmd_diff(struct km_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_resolver res = { km_resolve_from_object, NULL };
	const char *out = NULL;
	struct km_diff d;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: %s\n", diff_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, diff_usage);
		}
	}
	if (argc - optind != 2)
		return cli_usage(cli, diff_usage);
	ret = km_diff_open(&cli->ctx, &d, argv[optind], argv[optind + 1]);
	if (ret)
		return KM_EXIT_ERROR;
	ret = km_diff_objects(&d);
	if (ret == KM_DIFF_NOCHANGE) {
		km_info(&cli->ctx, "no functional change between '%s' and '%s'",
			argv[optind], argv[optind + 1]);
		km_diff_release(&d);
		return KM_EXIT_NOCHANGE;
	}
	/* one verdict: the listing runs every check that writing does */
	if (!ret)
		ret = km_emit_object(&d, &res, KM_NEW_FUNC_PREFIX, out);
	if (!ret)
		print_functions(&d);
	km_diff_release(&d);
	return km_exit_code(ret);
}
