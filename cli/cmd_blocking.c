// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "loader.h"
#include "transition.h"

static const char blocking_usage[] =
	"kmend blocking [--json] [--signal]\n"
	"\n"
	"    -j, --json     print JSON instead of text (see kmend-blocking(1))\n"
	"    -s, --signal   also signal the tasks, as kmend load does\n"
	"    -h, --help     show this help";

static void print_task(const struct km_lp_task *t)
{
	const char *p = t->stack;

	printf("%d %s%s patch_state %d%s%s\n", t->pid, t->comm,
	       t->kthread ? " (kernel thread)" : "", t->patch_state,
	       t->holds ? " runs " : "", t->holds ? t->holds : "");
	if (!p) {
		printf("    (stack unreadable)\n");
		return;
	}
	while (*p) {
		size_t n = strcspn(p, "\n");

		printf("    %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static int print_blocking_json(const char *name, int target,
			       const struct km_lp_tasks *t)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;
	size_t i;

	km_json_init(&j, &out);
	km_json_object_begin(&j, NULL);
	if (name) {
		km_json_string(&j, "patch", name);
		km_json_string(&j, "target", target == KM_KLP_PATCHED ?
			       "patched" : "unpatched");
	} else {
		km_json_null(&j, "patch");
		km_json_null(&j, "target");
	}
	km_json_array_begin(&j, "tasks");
	for (i = 0; t && i < t->nr; i++)
		km_lp_task_json(&j, NULL, &t->tasks[i]);
	km_json_array_end(&j);
	km_json_object_end(&j);
	return cli_print_json(&j, &out);
}

static int show_blocking(struct km_cli *cli, struct km_loader *l, bool json,
			 bool sig)
{
	struct km_lp_patch patch;
	struct km_lp_tasks t;
	char *name = NULL;
	int target, ret;
	size_t i;

	ret = km_lp_transition_patch(l, &name);
	if (ret == -ENOENT) {
		if (json)
			return km_exit_code(print_blocking_json(NULL, 0, NULL));
		km_info(&cli->ctx, "no live patch is in transition");
		return KM_EXIT_OK;
	}
	if (ret)
		return km_exit_code(ret);
	ret = km_lp_get(l, name, &patch);
	if (ret) {
		free(name);
		return KM_EXIT_OK;	/* finished while we looked */
	}
	target = patch.enabled ? KM_KLP_PATCHED : KM_KLP_UNPATCHED;
	ret = km_lp_find_blocking(l, target, &patch, &t);
	if (ret) {
		cli_error(cli, "cannot read the tasks' patch_state in %s: %s",
			  l->proc, strerror(-ret));
	} else if (json) {
		ret = print_blocking_json(name, target, &t);
	} else {
		printf("%s: %s transition, %zu task%s left to switch\n", name,
		       patch.enabled ? "patching" : "unpatching", t.nr,
		       t.nr == 1 ? "" : "s");
		for (i = 0; i < t.nr; i++)
			print_task(&t.tasks[i]);
	}
	if (!ret && sig) {
		int n = km_lp_signal_tasks(l, name, &t);

		if (n < 0)
			cli_error(cli, "cannot signal the tasks: %s",
				  strerror(-n));
		else
			km_info(&cli->ctx, "signalled %d process%s", n,
				n == 1 ? "" : "es");
		ret = n < 0 ? n : 0;
	}
	km_lp_tasks_release(&t);
	km_lp_patch_release(&patch);
	free(name);
	return km_exit_code(ret);
}

int cmd_blocking(struct km_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "signal", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_loader l;
	bool json = false, sig = false;
	int c;

	cli_loader_init(cli, &l);
	while ((c = getopt_long(argc, argv, "+jsh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			sig = true;
			break;
		case 'h':
			printf("usage: %s\n", blocking_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, blocking_usage);
		}
	}
	if (optind != argc) {
		cli_error(cli, "blocking takes no arguments");
		return cli_usage(cli, blocking_usage);
	}
	if (km_lp_check_available(&l, "cannot show blocking tasks"))
		return KM_EXIT_ERROR;
	return show_blocking(cli, &l, json, sig);
}
