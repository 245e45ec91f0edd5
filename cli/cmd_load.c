// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "cli.h"
#include "install.h"
#include "loader.h"
#include "precheck.h"

static const char load_usage[] =
	"kmend load [--timeout S] [--grace S] [--no-signal] [--force] MODULE.ko\n"
	"       kmend load [options] --installed\n"
	"\n"
	"    -i, --installed   load the patches installed for the running kernel\n"
	"                      ('kmend install'), in order; kmend.service does so at boot\n"
	"    -t, --timeout S   give the patching transition S seconds (default 60),\n"
	"                      then revert the patch and remove it (exit 6)\n"
	"    -g, --grace S     signal the tasks that hold the transition up every\n"
	"                      S seconds (default 5)\n"
	"        --no-signal   never signal them\n"
	"        --force       at the deadline, force the transition instead of\n"
	"                      reverting it (unsafe; exit 8)\n"
	"    -h, --help        show this help";

const struct option cli_transition_options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "grace", required_argument, NULL, 'g' },
	{ "no-signal", no_argument, NULL, 'N' },
	{ "force", no_argument, NULL, 'F' },
	{ "installed", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cli_transition_option(struct km_cli *cli, int c, const char *arg,
			  struct km_loader *l)
{
	switch (c) {
	case 't':
		return cli_parse_seconds(cli, "--timeout", arg, &l->timeout) ?
		       1 : -1;
	case 'g':
		return cli_parse_seconds(cli, "--grace", arg, &l->grace) ?
		       1 : -1;
	case 'N':
		l->signal = false;
		return 1;
	case 'F':
		l->force = true;
		return 1;
	default:
		return 0;
	}
}

int cli_transition_exit(int ret)
{
	return ret == KM_LP_FORCED ? KM_EXIT_FORCED : km_exit_code(ret);
}

static bool is_loaded(const struct km_loader *l, const char *name)
{
	struct km_lp_patch p;

	if (km_lp_get(l, name, &p))
		return false;
	km_lp_patch_release(&p);
	return true;
}

/* Every patch installed for the running kernel, in order; on past errors. */
static int load_installed(struct km_cli *cli, struct km_loader *l)
{
	struct km_installed in;
	struct utsname u;
	size_t i;
	int ret, worst = 0;

	if (uname(&u) || km_installed_read(cli_install_root(), u.release, &in)) {
		cli_error(cli, "cannot read the patches installed in %s",
			  cli_install_root());
		return KM_EXIT_ERROR;
	}
	if (!in.nr_names)
		km_info(&cli->ctx, "no live patch is installed for %s",
			u.release);
	for (i = 0; i < in.nr_names; i++) {
		char *ko = km_installed_path(cli_install_root(), u.release,
					     in.names[i]);

		if (!ko) {
			worst = -ENOMEM;
			break;
		}
		if (is_loaded(l, in.names[i]))
			km_info(&cli->ctx, "'%s' is loaded already", in.names[i]);
		else if ((ret = km_lp_load(l, ko, NULL)) != 0 && worst >= 0)
			worst = ret;
		free(ko);
	}
	km_installed_release(&in);
	return cli_transition_exit(worst);
}

int cmd_load(struct km_cli *cli, int argc, char **argv)
{
	struct km_loader l;
	bool installed = false;
	char *name = NULL;
	int c, ret;

	cli_loader_init(cli, &l);
	/* identity and conflicts (precheck.c), for a file and --installed */
	l.check = km_preload_checks;
	while ((c = getopt_long(argc, argv, "+t:g:ih", cli_transition_options,
				NULL)) != -1) {
		ret = cli_transition_option(cli, c, optarg, &l);
		if (ret > 0)
			continue;
		if (c == 'i' && !ret) {
			installed = true;
			continue;
		}
		if (c == 'h' && !ret) {
			printf("usage: %s\n", load_usage);
			return KM_EXIT_OK;
		}
		return cli_usage(cli, load_usage);
	}
	if (installed && optind == argc)
		return load_installed(cli, &l);
	if (installed || argc - optind != 1) {
		cli_error(cli, "load takes exactly one module file");
		return cli_usage(cli, load_usage);
	}
	if (l.force)
		km_warn(&cli->ctx, "--force: a transition that does not finish "
			"by its deadline is forced, not reverted; a task still "
			"running replaced code may then crash the kernel");
	ret = km_lp_load(&l, argv[optind], &name);
	if (ret < 0)
		return km_exit_code(ret);
	printf("%s\n", name);
	free(name);
	return cli_transition_exit(ret);
}
