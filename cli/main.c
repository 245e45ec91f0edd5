// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "loader.h"
#include "util.h"

#ifndef KMEND_VERSION
#define KMEND_VERSION "0.1"
#endif

static const struct km_cmd commands[] = {
	{ "build",  cmd_build,  "build a livepatch module from a diff" },
	{ "fetch",  cmd_fetch,  "bring a Debian kernel into kmend's cache" },
	{ "diff",   cmd_diff,   "compare two object files function by function" },
	{ "test",   cmd_test,   "prove live patches on the target kernel in a VM" },
	{ "load",   cmd_load,   "apply a livepatch module to the running kernel" },
	{ "unload", cmd_unload, "disable and remove a live patch" },
	{ "list",   cmd_list,   "show the live patches of the running kernel" },
	{ "info",   cmd_info,   "tell what a live patch module patches" },
	{ "verify", cmd_verify, "check a module against the running kernel, without loading it" },
	{ "status", cmd_status, "the machine's live patch state at a glance" },
	{ "blocking", cmd_blocking, "the tasks that hold up a transition" },
	{ "install", cmd_install, "keep a live patch to load at every boot" },
	{ "uninstall", cmd_uninstall, "stop loading a live patch at boot" },
	{ "package", cmd_package, "write a Debian package of a live patch" },
};

static void print_log(void *data, enum km_level level, const char *msg)
{
	struct km_cli *cli = data;

	switch (level) {
	case KM_ERROR:
		fprintf(stderr, "%s: error: %s\n", cli->prog, msg);
		break;
	case KM_WARN:
		fprintf(stderr, "%s: warning: %s\n", cli->prog, msg);
		break;
	case KM_INFO:
		if (!cli->quiet)
			fprintf(stderr, "%s\n", msg);
		break;
	case KM_DEBUG:
		fprintf(stderr, "debug: %s\n", msg);
		break;
	}
}

void cli_error(struct km_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *cli_dir_of_self(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return strdup(self);
}

int cli_usage(struct km_cli *cli, const char *usage)
{
	(void)cli;
	fprintf(stderr, "usage: %s\n", usage);
	return KM_EXIT_USAGE;
}

int cli_json_options(struct km_cli *cli, int argc, char **argv,
		     const char *usage, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*json = false;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return KM_EXIT_OK;
		default:
			return cli_usage(cli, usage);
		}
	}
	return -1;
}

bool cli_parse_seconds(struct km_cli *cli, const char *option, const char *arg,
		       double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v > 0)) {
		cli_error(cli, "invalid %s '%s': give a number of seconds",
			  option, arg);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_count(struct km_cli *cli, const char *option, const char *arg,
		     size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (end == arg || *end || !v || errno || arg[0] == '-') {
		cli_error(cli, "invalid %s '%s': give a number above 0",
			  option, arg);
		return false;
	}
	*out = (size_t)v;
	return true;
}

void cli_loader_init(struct km_cli *cli, struct km_loader *l)
{
	const char *sysfs = getenv("KMEND_LIVEPATCH_SYSFS");

	const char *proc = getenv("KMEND_PROC");
	const char *run = getenv("KMEND_RUN_DIR");
	const char *notes = getenv("KMEND_KERNEL_NOTES");

	km_loader_init(l, &cli->ctx);
	if (sysfs && *sysfs)
		l->sysfs = sysfs;
	if (proc && *proc)
		l->proc = proc;
	if (run && *run)
		l->run_dir = run;
	if (notes && *notes)
		l->kernel_notes = notes;
}

int cli_print_json(struct km_json *j, struct km_buf *out)
{
	int ret = km_json_finish(j);

	if (!ret)
		fputs(out->buf, stdout);
	km_buf_release(out);
	return ret;
}

int km_exit_code(int err)
{
	if (err >= 0)
		return KM_EXIT_OK;
	switch (-err) {
	case KM_EUNPATCHABLE:
		return KM_EXIT_UNPATCHABLE;
	case ETIMEDOUT:
		return KM_EXIT_TIMEOUT;
	default:
		return KM_EXIT_ERROR;
	}
}

/* A killed kmend leaves no temporary file (km_tmp_register()) behind. */
static void on_fatal_signal(int sig)
{
	km_tmp_remove();
	raise(sig);	/* the default action, once this handler returns */
}

static void catch_fatal_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void print_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kmend [-v] [-q] <command> [<args>]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'kmend <command> -h' shows the options of a command.\n");
}

static const struct km_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct km_cli cli = { .prog = "kmend" };
	const struct km_cmd *cmd;
	int i;

	km_ctx_init(&cli.ctx, print_log, &cli);
	catch_fatal_signals();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			cli.ctx.verbose++;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			cli.quiet = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_help(stdout);
			return KM_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("kmend %s\n", KMEND_VERSION);
			return KM_EXIT_OK;
		} else {
			cli_error(&cli, "unknown option '%s'", argv[i]);
			print_help(stderr);
			return KM_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_help(stderr);
		return KM_EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		cli_error(&cli, "'%s' is not a kmend command", argv[i]);
		print_help(stderr);
		return KM_EXIT_USAGE;
	}
	/* getopt() in the subcommand starts again at its own argv[0]. */
	optind = 1;
	return cmd->fn(&cli, argc - i, argv + i);
}
