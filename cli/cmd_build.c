// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "build.h"
#include "cli.h"
#include "fleet.h"
#include "patch.h"
#include "json.h"

#ifndef KMEND_LIBDIR
#define KMEND_LIBDIR "/usr/local/lib/kmend"
#endif

static const char build_usage[] =
	"kmend build [-k KREL] [-s DIR|TARBALL] [--vmlinux FILE] [--cache DIR]\n"
	"                   [--config FILE] [--headers DIR]\n"
	"                   [-n NAME] [-o OUT.ko] [--keep] [--replace] [--fuzz N]\n"
	"                   [--max-units N] FIX.patch...\n"
	"       kmend build -k KREL -k KREL... | --kernels FILE [--outdir DIR]\n"
	"                   [-j N] [--json] [-n NAME] [--cache DIR] FIX.patch...\n"
	"\n"
	"Builds a livepatch module from unified diffs against the target\n"
	"kernel's source, compiling only the files they touch.\n"
	"  -k, --kernel KREL    target kernel release (default: running kernel,\n"
	"                       else the newest installed)\n"
	"  -s, --source PATH    kernel source tree or tarball\n"
	"      --vmlinux FILE   the target's vmlinux with symbols\n"
	"      --config FILE    the target's .config (default /boot/config-KREL)\n"
	"      --headers DIR    the target's headers, with Module.symvers\n"
	"                       (default /lib/modules/KREL/build)\n"
	"      --cache DIR      cache directory (default $XDG_CACHE_HOME/kmend)\n"
	"  -n, --name NAME      module and patch name (default kmend_<patch>)\n"
	"  -o, --output FILE    the module to write (default NAME.ko)\n"
	"      --keep           keep the scratch tree and work files\n"
	"      --replace        a cumulative patch: loading it retires every\n"
	"                       live patch loaded before it (atomic replace)\n"
	"      --fuzz N         let a hunk apply with up to N (at most 3)\n"
	"                       context lines at its ends not matching\n"
	"                       (default 0: every context line matches)\n"
	"Many kernels (-k more than once, or --kernels):\n"
	"      --kernels FILE   kernel releases, one a line ('#' comments)\n"
	"      --outdir DIR     writes DIR/KREL/NAME.ko and DIR/KREL/build.log\n"
	"                       (default kmend-out)\n"
	"  -j, --jobs N         kernels built at a time (default: the cores,\n"
	"                       twice the cores for the last ones)\n"
	"      --json           the table as JSON on stdout\n"
	"exit: 0 built, 2 cannot be live patched, 3 no functional change;\n"
	"many kernels: 0 all built, 7 some built, 2 all refused, 3 no change\n"
	"on any, 1 none built otherwise";

struct build_cli {
	struct km_build_opts o;
	const char **kernels;	/* -k, and the lines of --kernels */
	size_t nr_kernels;
	char *kernels_text;	/* --kernels FILE's text, kernels point in it */
	const char *outdir;
	int jobs;
	bool json;
};

static int add_kernel(struct build_cli *b, const char *krel)
{
	const char **k = realloc(b->kernels,
				 (b->nr_kernels + 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	b->kernels = k;
	b->kernels[b->nr_kernels++] = krel;
	return 0;
}

/* The kernels of a file, one a line; blank lines and '#' comments skipped. */
static int read_kernels_file(struct km_cli *cli, struct build_cli *b,
			     const char *path)
{
	struct km_buf text = KM_BUF_INIT;
	char *line, *save = NULL;
	int ret = km_read_file(path, &text);

	if (ret) {
		cli_error(cli, "cannot read the kernels file '%s': %s", path,
			  strerror(-ret));
		return ret;
	}
	free(b->kernels_text);
	b->kernels_text = km_buf_detach(&text);
	for (line = strtok_r(b->kernels_text, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "#")] = '\0';
		line += strspn(line, " \t");
		line[strcspn(line, " \t\r")] = '\0';
		if (*line)
			ret = add_kernel(b, line);
	}
	if (!ret && !b->nr_kernels) {
		cli_error(cli, "the kernels file '%s' names no kernel: give "
			  "one kernel release a line", path);
		ret = -EINVAL;
	}
	return ret;
}

static void print_table(const struct km_fleet_kernel *k, size_t nr)
{
	size_t i;

	printf("%-28s %-9s %5s %8s  %s\n", "KERNEL", "RESULT", "FUNCS",
	       "TIME", "REASON");
	for (i = 0; i < nr; i++)
		printf("%-28s %-9s %5zu %7.1fs  %s\n", k[i].krel,
		       km_fleet_result_name(k[i].result), k[i].nr_funcs,
		       k[i].seconds, k[i].reason ? k[i].reason :
		       k[i].result == KM_FLEET_BUILT ? k[i].output : "");
}

static int print_json(const struct km_fleet_kernel *k, size_t nr,
		      double seconds)
{
	struct km_buf out = KM_BUF_INIT;
	struct km_json j;
	size_t i, built = 0;

	km_json_init(&j, &out);
	km_json_object_begin(&j, NULL);
	km_json_array_begin(&j, "kernels");
	for (i = 0; i < nr; i++) {
		built += k[i].result == KM_FLEET_BUILT;
		km_json_object_begin(&j, NULL);
		km_json_string(&j, "kernel", k[i].krel);
		km_json_string(&j, "result", km_fleet_result_name(k[i].result));
		km_json_int(&j, "functions", (long long)k[i].nr_funcs);
		km_json_int(&j, "milliseconds", (long long)(k[i].seconds * 1000));
		if (k[i].result == KM_FLEET_BUILT)
			km_json_string(&j, "module", k[i].output);
		else
			km_json_null(&j, "module");
		km_json_string(&j, "log", k[i].log);
		if (k[i].reason)
			km_json_string(&j, "reason", k[i].reason);
		else
			km_json_null(&j, "reason");
		km_json_object_end(&j);
	}
	km_json_array_end(&j);
	km_json_int(&j, "built", (long long)built);
	km_json_int(&j, "total", (long long)nr);
	km_json_int(&j, "milliseconds", (long long)(seconds * 1000));
	km_json_object_end(&j);
	return cli_print_json(&j, &out);
}

/* 0 all built, 7 some; none: 2 all refused, 3 no change anywhere, else 1. */
static int fleet_exit_code(const struct km_fleet_kernel *k, size_t nr)
{
	size_t i, n[KM_FLEET_FAILED + 1] = { 0 };

	for (i = 0; i < nr; i++)
		n[k[i].result]++;
	if (n[KM_FLEET_BUILT] == nr)
		return KM_EXIT_OK;
	if (n[KM_FLEET_BUILT])
		return KM_EXIT_SOME;
	if (n[KM_FLEET_REFUSED] == nr)
		return KM_EXIT_UNPATCHABLE;
	if (n[KM_FLEET_NOCHANGE] == nr)
		return KM_EXIT_NOCHANGE;
	return KM_EXIT_ERROR;
}

static int build_fleet(struct km_cli *cli, struct build_cli *b)
{
	struct km_fleet_opts fo = {
		.build = &b->o,
		.outdir = b->outdir ? b->outdir : "kmend-out",
		.jobs = b->jobs,
	};
	struct km_fleet_kernel *k = calloc(b->nr_kernels, sizeof(*k));
	double t0 = km_now();
	size_t i;
	int ret;

	if (!k) {
		cli_error(cli, "out of memory");
		return KM_EXIT_ERROR;
	}
	for (i = 0; i < b->nr_kernels; i++)
		k[i].krel = b->kernels[i];
	km_info(&cli->ctx, "building for %zu kernels into %s/KREL/", 
		b->nr_kernels, fo.outdir);
	ret = km_fleet_build(&cli->ctx, &fo, k, b->nr_kernels);
	if (ret) {
		km_fleet_release(k, b->nr_kernels);
		free(k);
		return km_exit_code(ret);
	}
	if (b->json)
		ret = print_json(k, b->nr_kernels, km_now() - t0) ?
		      KM_EXIT_ERROR : fleet_exit_code(k, b->nr_kernels);
	else
		print_table(k, b->nr_kernels);
	if (!b->json) {
		km_info(&cli->ctx, "%zu kernels in %.1f s", b->nr_kernels,
			km_now() - t0);
		ret = fleet_exit_code(k, b->nr_kernels);
	}
	km_fleet_release(k, b->nr_kernels);
	free(k);
	return ret;
}

static char *existing_headers(char *dir)
{
	char *probe = dir ? km_strfmt("%s/kmend/livepatch.h", dir) : NULL;
	bool found = probe && km_is_file(probe);

	free(probe);
	if (found)
		return dir;
	free(dir);
	return NULL;
}

/*
 * The headers for patch authors: $KMEND_INCLUDE, else include/ of the
 * source tree this kmend was built in (build/kmend), else the install's
 * (BINDIR/../lib/kmend/include, whatever its prefix), else
 * KMEND_LIBDIR/include.  NULL when there are none: a patch that includes
 * them then fails to compile, saying which header is missing.
 */
static char *find_author_include(void)
{
	const char *env = getenv("KMEND_INCLUDE");
	char *self = cli_dir_of_self(), *dir = NULL;

	if (env && *env) {
		free(self);
		return strdup(env);
	}
	if (self)
		dir = existing_headers(km_strfmt("%s/../include", self));
	if (self && !dir)
		dir = existing_headers(km_strfmt("%s/../lib/kmend/include", self));
	if (!dir)
		dir = existing_headers(strdup(KMEND_LIBDIR "/include"));
	free(self);
	return dir;
}

int cmd_build(struct km_cli *cli, int argc, char **argv)
{
	char *include;
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "source", required_argument, NULL, 's' },
		{ "vmlinux", required_argument, NULL, 'V' },
		{ "cache", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'K' },
		{ "kernels", required_argument, NULL, 'F' },
		{ "outdir", required_argument, NULL, 'D' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "replace", no_argument, NULL, 'R' },
		{ "max-units", required_argument, NULL, 'M' },
		{ "fuzz", required_argument, NULL, 'Z' },
		{ "config", required_argument, NULL, 'G' },
		{ "headers", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct build_cli b = { 0 };
	struct km_build_opts o = { 0 };
	bool fleet = false;
	char *end;
	int c, ret;

	while ((c = getopt_long(argc, argv, "k:s:n:o:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.target.krel = optarg;
			if (add_kernel(&b, optarg)) {
				ret = KM_EXIT_ERROR;
				goto out;
			}
			break;
		case 'F':
			fleet = true;
			if (read_kernels_file(cli, &b, optarg)) {
				ret = KM_EXIT_ERROR;
				goto out;
			}
			break;
		case 'D':
			fleet = true;
			b.outdir = optarg;
			break;
		case 'j':
			b.jobs = (int)strtol(optarg, &end, 10);
			if (*end || b.jobs <= 0 || b.jobs > 256) {
				cli_error(cli, "invalid --jobs '%s': give a "
					  "number of builds at a time", optarg);
				ret = cli_usage(cli, build_usage);
				goto out;
			}
			break;
		case 'J':
			b.json = true;
			break;
		case 's':
			o.target.source = optarg;
			break;
		case 'V':
			o.target.vmlinux = optarg;
			break;
		case 'G':
			o.target.config = optarg;
			break;
		case 'H':
			o.target.headers = optarg;
			break;
		case 'C':
			o.target.cache_dir = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'K':
			o.keep = true;
			break;
		case 'R':
			o.replace = true;
			break;
		case 'M':
			if (!cli_parse_count(cli, "--max-units", optarg,
					     &o.max_units)) {
				ret = KM_EXIT_USAGE;
				goto out;
			}
			break;
		case 'Z':
			o.fuzz = (unsigned int)strtoul(optarg, &end, 10);
			if (!*optarg || *end || o.fuzz > KM_PATCH_MAX_FUZZ) {
				cli_error(cli, "invalid --fuzz '%s': give 0 to %d "
					  "context lines", optarg,
					  KM_PATCH_MAX_FUZZ);
				ret = cli_usage(cli, build_usage);
				goto out;
			}
			break;
		case 'h':
			printf("usage: %s\n", build_usage);
			ret = KM_EXIT_OK;
			goto out;
		default:
			ret = cli_usage(cli, build_usage);
			goto out;
		}
	}
	fleet = fleet || b.nr_kernels > 1;
	if (optind >= argc) {
		ret = cli_usage(cli, build_usage);
		goto out;
	}
	if (fleet && (o.output || o.target.source || o.target.vmlinux ||
		      o.target.config || o.target.headers)) {
		cli_error(cli, "-o, -s, --vmlinux, --config and --headers name "
			  "one kernel's files: "
			  "with many kernels, give --outdir DIR and let each "
			  "kernel's pieces be found (kmend fetch KREL)");
		ret = cli_usage(cli, build_usage);
		goto out;
	}
	if (!fleet && (b.json || b.jobs)) {
		cli_error(cli, "--json and --jobs are for many kernels "
			  "(-k KREL -k KREL, --kernels FILE)");
		ret = cli_usage(cli, build_usage);
		goto out;
	}
	o.patches = (const char *const *)argv + optind;
	o.nr_patches = (size_t)(argc - optind);
	include = find_author_include();
	o.author_include = include;
	if (fleet) {
		b.o = o;
		ret = build_fleet(cli, &b);
	} else {
		ret = km_build(&cli->ctx, &o);
		ret = ret == KM_BUILD_NOCHANGE ? KM_EXIT_NOCHANGE :
		      km_exit_code(ret);
	}
	free(include);
out:
	free(b.kernels);
	free(b.kernels_text);
	return ret;
}
