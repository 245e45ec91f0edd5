// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "build.h"
#include "cli.h"

#ifndef KMEND_LIBDIR
#define KMEND_LIBDIR "/usr/local/lib/kmend"
#endif

static const char build_usage[] =
	"kmend build [-k KREL] [-s DIR|TARBALL] [--vmlinux FILE] [--cache DIR]\n"
	"                   [-n NAME] [-o OUT.ko] [--keep] [--max-units N]\n"
	"                   FIX.patch...\n"
	"\n"
	"Builds a livepatch module from unified diffs against the target\n"
	"kernel's source, compiling only the files they touch.\n"
	"  -k, --kernel KREL    target kernel release (default: running kernel,\n"
	"                       else the newest installed)\n"
	"  -s, --source PATH    kernel source tree or tarball\n"
	"      --vmlinux FILE   the target's vmlinux with symbols\n"
	"      --cache DIR      cache directory (default $XDG_CACHE_HOME/kmend)\n"
	"  -n, --name NAME      module and patch name (default kmend_<patch>)\n"
	"  -o, --output FILE    the module to write (default NAME.ko)\n"
	"      --keep           keep the scratch tree and work files\n"
	"exit: 0 built, 2 cannot be live patched, 3 no functional change";

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
		{ "max-units", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct km_build_opts o = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, "k:s:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.target.krel = optarg;
			break;
		case 's':
			o.target.source = optarg;
			break;
		case 'V':
			o.target.vmlinux = optarg;
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
		case 'M':
			if (!cli_parse_count(cli, "--max-units", optarg,
					     &o.max_units))
				return KM_EXIT_USAGE;
			break;
		case 'h':
			printf("usage: %s\n", build_usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, build_usage);
		}
	}
	if (optind >= argc)
		return cli_usage(cli, build_usage);
	o.patches = (const char *const *)argv + optind;
	o.nr_patches = (size_t)(argc - optind);
	include = find_author_include();
	o.author_include = include;
	ret = km_build(&cli->ctx, &o);
	free(include);
	if (ret == KM_BUILD_NOCHANGE)
		return KM_EXIT_NOCHANGE;
	return km_exit_code(ret);
}
