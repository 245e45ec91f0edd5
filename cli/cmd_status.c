// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "loader.h"
#include "state.h"

static const char status_usage[] =
	"kmend status [--json]\n"
	"\n"
	"    -j, --json   print JSON instead of text (see kmend-status(1))\n"
	"    -h, --help   show this help";

static const char *patch_state(const struct km_lp_patch *p)
{
	if (p->transition)
		return p->enabled ? "patching (in transition)" :
				    "unpatching (in transition)";
	return p->enabled ? "enabled" : "disabled";
}

static void print_time(const char *label, time_t t)
{
	char when[64];
	struct tm tm;

	if (t && localtime_r(&t, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm))
		printf("    %-11s%s\n", label, when);
	else
		printf("    %-11sunknown (not loaded by kmend this boot)\n",
		       label);
}

static void print_patch(const struct km_lp_status_patch *p)
{
	size_t i;

	printf("  %s: %s%s\n", p->patch.name, patch_state(&p->patch),
	       km_lp_status_replace(p) ? ", atomic replace" : "");
	print_time("loaded:", p->has_record ? p->record.loaded : 0);
	if (p->has_record && p->record.path)
		printf("    %-11s%s\n", "from:", p->record.path);
	for (i = 0; i < p->record.nr_fixes; i++)
		printf("    %-11s%s\n", i ? "" : "fixes:", p->record.fixes[i]);
	for (i = 0; i < p->patch.nr_funcs; i++)
		printf("    %-11s%s:%s,%lu\n", i ? "" : "replaces:",
		       p->patch.funcs[i].object, p->patch.funcs[i].name,
		       p->patch.funcs[i].sympos);
	for (i = 0; i < p->nr_stacked_on; i++)
		printf("    %-11s%s\n", i ? "" : "above:", p->stacked_on[i]);
}

static void print_status_plain(const struct km_status *st)
{
	size_t i;

	printf("kernel:     %s\n", st->krel);
	printf("build-id:   %s\n", st->build_id ? st->build_id : "unknown");
	printf("livepatch:  %s\n", st->livepatch ? "supported" :
	       "not supported by this kernel (no /sys/kernel/livepatch)");
	printf("taint:      %lu%s%s%s\n", st->taint,
	       st->taint_flags[0] ? " (" : "", st->taint_flags,
	       st->taint_flags[0] ? ")" : "");
	printf("transition: %s\n", st->in_transition ? st->in_transition :
	       "none");
	printf("patches:    %zu%s\n", st->nr_patches,
	       st->nr_patches > 1 ? " (in load order, oldest first)" : "");
	for (i = 0; i < st->nr_patches; i++)
		print_patch(&st->patches[i]);
}

static int print_status_json(const struct km_status *st)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;

	km_json_init(&j, &out);
	km_status_json(&j, st);
	return cli_print_json(&j, &out);
}

int cmd_status(struct km_cli *cli, int argc, char **argv)
{
	struct km_status st;
	struct km_loader l;
	bool json = false;
	int c, ret;

	cli_loader_init(cli, &l);
	c = cli_json_options(cli, argc, argv, status_usage, &json);
	if (c >= 0)
		return c;
	if (optind != argc) {
		cli_error(cli, "status takes no arguments");
		return cli_usage(cli, status_usage);
	}
	ret = km_status_read(&l, &st);
	if (ret) {
		cli_error(cli, "cannot read the live patch state: %s",
			  strerror(-ret));
		return km_exit_code(ret);
	}
	if (json)
		ret = print_status_json(&st);
	else
		print_status_plain(&st);
	km_status_release(&st);
	return km_exit_code(ret);
}
