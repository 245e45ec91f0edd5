// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "loader.h"
#include "modinfo.h"
#include "util.h"

static const char info_usage[] =
	"kmend info [--json] NAME|MODULE.ko\n"
	"\n"
	"    -j, --json   print JSON instead of text\n"
	"    -h, --help   show this help";

/* A module file rather than the name of a loaded patch. */
static bool is_module_file_arg(const char *arg)
{
	return km_is_file(arg) || km_ends_with(arg, ".ko") || strchr(arg, '/');
}

static void print_funcs_plain(const struct km_modinfo *mi)
{
	const char *value;
	size_t pos;

	km_modinfo_for_each(mi, "kmend_func", pos, value)
		printf("function:   %s\n", value);
}

static void print_file_plain(const struct km_modinfo *mi, const char *name,
			     const char *krel)
{
	const char *value;
	size_t pos;

	printf("file:       %s\n", mi->path);
	printf("name:       %s\n", name);
	printf("livepatch:  %s\n", km_modinfo_is_livepatch(mi) ? "yes" : "no");
	printf("vermagic:   %s\n", km_modinfo_get(mi, "vermagic") ?: "(none)");
	printf("kernel:     %s\n", krel ? krel : "(unknown)");
	if (!km_modinfo_is_kmend(mi)) {
		printf("built by:   not kmend (no kmend_* modinfo keys); the "
		       "functions it replaces show in 'kmend info %s' once "
		       "loaded\n", name);
		return;
	}
	printf("built by:   kmend %s\n",
	       km_modinfo_get(mi, "kmend_version") ?: "(unknown version)");
	km_modinfo_for_each(mi, "kmend_patch", pos, value)
		printf("patch:      %s\n", value);
	print_funcs_plain(mi);
}

static void json_file_funcs(struct km_json *j, const struct km_modinfo *mi)
{
	const char *value;
	size_t pos;

	km_json_array_begin(j, "functions");
	km_modinfo_for_each(mi, "kmend_func", pos, value) {
		struct km_func_ref f;

		if (km_func_ref_parse(value, &f) == 0) {
			km_func_ref_json(j, NULL, &f);
			km_func_ref_release(&f);
		}
	}
	km_json_array_end(j);
}

static void json_file(struct km_json *j, const struct km_modinfo *mi,
		      const char *name, const char *krel)
{
	const char *value;
	size_t pos;

	km_json_object_begin(j, NULL);
	km_json_string(j, "file", mi->path);
	km_json_string(j, "name", name);
	km_json_bool(j, "livepatch", km_modinfo_is_livepatch(mi));
	km_json_string(j, "vermagic", km_modinfo_get(mi, "vermagic"));
	km_json_string(j, "kernel", krel);
	km_json_bool(j, "kmend", km_modinfo_is_kmend(mi));
	km_json_string(j, "kmend_version", km_modinfo_get(mi, "kmend_version"));
	km_json_array_begin(j, "patches");
	km_modinfo_for_each(mi, "kmend_patch", pos, value)
		km_json_string(j, NULL, value);
	km_json_array_end(j);
	json_file_funcs(j, mi);
	km_json_object_end(j);
}

static int info_file(struct km_cli *cli, const char *path, bool json)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_modinfo mi;
	struct km_json j;
	char *name, *krel;
	const char *why;
	int ret;

	ret = km_modinfo_read(&cli->ctx, path, &mi);
	if (ret)
		return km_exit_code(ret);
	why = km_modinfo_not_livepatch_module(&mi);
	if (why) {
		cli_error(cli, "'%s' is not a live patch module: %s", path, why);
		km_modinfo_release(&mi);
		return KM_EXIT_ERROR;
	}
	name = km_modinfo_module_name(&mi);
	krel = km_modinfo_get(&mi, "kmend_kernel") ?
	       strdup(km_modinfo_get(&mi, "kmend_kernel")) :
	       km_modinfo_vermagic_krel(&mi);
	if (!name) {
		ret = -ENOMEM;
	} else if (json) {
		km_json_init(&j, &out);
		json_file(&j, &mi, name, krel);
		ret = cli_print_json(&j, &out);
	} else {
		print_file_plain(&mi, name, krel);
	}
	free(krel);
	free(name);
	km_modinfo_release(&mi);
	return km_exit_code(ret);
}

static void print_patch_plain(const struct km_lp_patch *p)
{
	size_t i;

	printf("name:       %s\n", p->name);
	printf("enabled:    %s\n", p->enabled ? "yes" : "no");
	printf("transition: %s\n", p->transition ? "in progress" : "done");
	for (i = 0; i < p->nr_funcs; i++)
		printf("function:   %s:%s,%lu\n", p->funcs[i].object,
		       p->funcs[i].name, p->funcs[i].sympos);
}

static int info_loaded(struct km_cli *cli, const char *name, bool json)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_lp_patch p;
	struct km_loader l;
	struct km_json j;
	char *what;
	int ret;

	cli_loader_init(cli, &l);
	what = km_strfmt("cannot show '%s'", name);
	ret = what ? km_lp_check_available(&l, what) : -ENOMEM;
	free(what);
	if (ret)
		return km_exit_code(ret);
	ret = km_lp_get(&l, name, &p);
	if (ret == -ENOENT)
		cli_error(cli, "no live patch named '%s' is loaded; see "
			  "'kmend list'", name);
	if (ret)
		return km_exit_code(ret);
	if (json) {
		km_json_init(&j, &out);
		km_lp_patch_json(&j, NULL, &p);
		ret = cli_print_json(&j, &out);
	} else {
		print_patch_plain(&p);
	}
	km_lp_patch_release(&p);
	return km_exit_code(ret);
}

int cmd_info(struct km_cli *cli, int argc, char **argv)
{
	bool json = false;
	int c;

	c = cli_json_options(cli, argc, argv, info_usage, &json);
	if (c >= 0)
		return c;
	if (argc - optind != 1) {
		cli_error(cli, "info takes exactly one live patch name or module "
			  "file");
		return cli_usage(cli, info_usage);
	}
	if (is_module_file_arg(argv[optind]))
		return info_file(cli, argv[optind], json);
	return info_loaded(cli, argv[optind], json);
}
