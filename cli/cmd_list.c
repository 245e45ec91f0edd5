// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"
#include "loader.h"

static const char list_usage[] =
	"kmend list [--json]\n"
	"\n"
	"    -j, --json   print JSON instead of text\n"
	"    -h, --help   show this help";

static const char *patch_state(const struct km_lp_patch *p)
{
	if (p->transition)
		return p->enabled ? "enabled, patching in transition" :
				    "disabled, unpatching in transition";
	return p->enabled ? "enabled" : "disabled";
}

static void print_list_plain(const struct km_lp_list *list)
{
	size_t i, k;

	for (i = 0; i < list->nr_patches; i++) {
		const struct km_lp_patch *p = &list->patches[i];

		printf("%s: %s\n", p->name, patch_state(p));
		for (k = 0; k < p->nr_funcs; k++)
			printf("  %s:%s,%lu\n", p->funcs[k].object,
			       p->funcs[k].name, p->funcs[k].sympos);
	}
}

static int print_list_json(const struct km_lp_list *list)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;
	size_t i;

	km_json_init(&j, &out);
	km_json_array_begin(&j, NULL);
	for (i = 0; i < list->nr_patches; i++)
		km_lp_patch_json(&j, NULL, &list->patches[i]);
	km_json_array_end(&j);
	return cli_print_json(&j, &out);
}

int cmd_list(struct km_cli *cli, int argc, char **argv)
{
	struct km_lp_list list;
	struct km_loader l;
	bool json = false;
	int c, ret;

	cli_loader_init(cli, &l);
	c = cli_json_options(cli, argc, argv, list_usage, &json);
	if (c >= 0)
		return c;
	if (optind != argc) {
		cli_error(cli, "list takes no arguments");
		return cli_usage(cli, list_usage);
	}
	ret = km_lp_list(&l, &list);
	if (ret)
		return km_exit_code(ret);
	if (json)
		ret = print_list_json(&list);
	else if (list.nr_patches)
		print_list_plain(&list);
	else
		km_info(&cli->ctx, "no live patches are loaded");
	km_lp_list_release(&list);
	return km_exit_code(ret);
}
