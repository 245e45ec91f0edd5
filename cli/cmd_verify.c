// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "json.h"
#include "util.h"
#include "verify.h"

static const char verify_usage[] =
	"kmend verify [--json] MODULE.ko\n"
	"\n"
	"    -j, --json   print JSON instead of text\n"
	"    -h, --help   show this help";

static void print_text(const struct km_checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		printf("%-7s %-40s %s\n", km_check_status_name(c->v[i].status),
		       c->v[i].name, c->v[i].detail);
}

static int print_json(const char *path, const struct km_checks *c, int verdict)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;
	size_t i;

	km_json_init(&j, &out);
	km_json_object_begin(&j, NULL);
	km_json_string(&j, "module", path);
	km_json_bool(&j, "ok", !verdict);
	km_json_array_begin(&j, "checks");
	for (i = 0; i < c->n; i++) {
		km_json_object_begin(&j, NULL);
		km_json_string(&j, "name", c->v[i].name);
		km_json_string(&j, "status",
			       c->v[i].status == KM_CHECK_FAIL ? "fail" :
			       km_check_status_name(c->v[i].status));
		km_json_string(&j, "detail", c->v[i].detail);
		km_json_object_end(&j);
	}
	km_json_array_end(&j);
	km_json_object_end(&j);
	return cli_print_json(&j, &out);
}

int cmd_verify(struct km_cli *cli, int argc, char **argv)
{
	struct km_runtime_paths rp = { getenv("KMEND_RUNTIME_ROOT"),
				       getenv("KMEND_RUNTIME_RELEASE") };
	struct km_checks c = { 0 };
	int ch, ret, verdict;
	bool json = false;

	ch = cli_json_options(cli, argc, argv, verify_usage, &json);
	if (ch >= 0)
		return ch;
	if (argc - optind != 1) {
		cli_error(cli, "verify takes exactly one module file");
		return cli_usage(cli, verify_usage);
	}
	ret = km_verify(&cli->ctx, &rp, argv[optind], &c);
	if (ret) {
		km_checks_release(&c);
		return km_exit_code(ret);
	}
	verdict = km_checks_verdict(&c);
	if (json)
		ret = print_json(argv[optind], &c, verdict);
	else
		print_text(&c);
	if (!json && verdict)
		cli_error(cli, "'%s' must not be loaded on this kernel: see the "
			  "FAIL lines", argv[optind]);
	km_checks_release(&c);
	return ret ? KM_EXIT_ERROR : km_exit_code(verdict);
}
