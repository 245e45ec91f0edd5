/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: one cmd_<name>() per subcommand, one file each. */
#ifndef KMEND_CLI_H
#define KMEND_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "kmend.h"

struct km_buf;
struct km_json;
struct km_loader;

/* Exit codes, documented in README.md and docs/kmend.md. */
enum km_exit {
	KM_EXIT_OK = 0,
	KM_EXIT_ERROR = 1,		/* the tool or its input failed */
	KM_EXIT_UNPATCHABLE = 2,	/* the change cannot be live patched */
	KM_EXIT_NOCHANGE = 3,		/* no functional change */
	KM_EXIT_USAGE = 4,		/* wrong command line */
	KM_EXIT_TESTFAIL = 5,		/* kmend test: a check failed */
	KM_EXIT_TIMEOUT = 6,		/* a deadline passed (transition, VM) */
	KM_EXIT_SOME = 7,		/* many kernels: some succeeded, not all */
	KM_EXIT_FORCED = 8,		/* a transition was completed by force */
};

struct km_cli {
	struct km_ctx ctx;
	const char *prog;
	int quiet;
};

struct km_cmd {
	const char *name;
	int (*fn)(struct km_cli *cli, int argc, char **argv);
	const char *summary;
};

int cmd_build(struct km_cli *cli, int argc, char **argv);
int cmd_fetch(struct km_cli *cli, int argc, char **argv);
int cmd_diff(struct km_cli *cli, int argc, char **argv);
int cmd_load(struct km_cli *cli, int argc, char **argv);
int cmd_unload(struct km_cli *cli, int argc, char **argv);
int cmd_list(struct km_cli *cli, int argc, char **argv);
int cmd_info(struct km_cli *cli, int argc, char **argv);
int cmd_test(struct km_cli *cli, int argc, char **argv);
int cmd_verify(struct km_cli *cli, int argc, char **argv);
int cmd_blocking(struct km_cli *cli, int argc, char **argv);
int cmd_status(struct km_cli *cli, int argc, char **argv);
int cmd_install(struct km_cli *cli, int argc, char **argv);
int cmd_uninstall(struct km_cli *cli, int argc, char **argv);
int cmd_package(struct km_cli *cli, int argc, char **argv);

/* load's and unload's options: --timeout, --grace, --no-signal, --force */
extern const struct option cli_transition_options[];
/* 1: c was one of them (applied to l), 0: it was not, -1: a bad value */
int cli_transition_option(struct km_cli *cli, int c, const char *arg,
			  struct km_loader *l);
/* Where 'kmend install' keeps modules: $KMEND_INSTALL_DIR or /var/lib/kmend */
const char *cli_install_root(void);
/* km_exit_code(), and KM_EXIT_FORCED for KM_LP_FORCED */
int cli_transition_exit(int ret);

/* Maps a library error to an exit code (KM_EUNPATCHABLE -> 2 ...). */
int km_exit_code(int err);
/* "kmend build: " prefixed error on stderr, for the CLI's own errors. */
__attribute__((format(printf, 2, 3)))
void cli_error(struct km_cli *cli, const char *fmt, ...);
/* The directory this program is in (malloc'd), or NULL. */
char *cli_dir_of_self(void);
/* Prints "usage: ..." to stderr and returns KM_EXIT_USAGE. */
int cli_usage(struct km_cli *cli, const char *usage);
/*
 * The options of a reading command that has only --json and --help:
 * -1 to go on (optind at the first operand, *json set), else the exit
 * code (--help printed usage: 0; a bad option: KM_EXIT_USAGE).
 */
int cli_json_options(struct km_cli *cli, int argc, char **argv,
		     const char *usage, bool *json);
/*
 * A number of seconds > 0 from arg, the value of option (e.g. "--timeout"),
 * into *out; false, after saying so with cli_error(), when it is not one.
 */
bool cli_parse_seconds(struct km_cli *cli, const char *option, const char *arg,
		       double *out);
/* A count >= 1 from arg, the value of option; false, said, if not one. */
bool cli_parse_count(struct km_cli *cli, const char *option, const char *arg,
		     size_t *out);
/* km_loader_init(), honouring KMEND_LIVEPATCH_SYSFS (a fake tree, for tests). */
void cli_loader_init(struct km_cli *cli, struct km_loader *l);
/*
 * Finishes j, prints what it wrote into out on stdout and releases out;
 * 0, or the writer's error (then nothing is printed).
 */
int cli_print_json(struct km_json *j, struct km_buf *out);

#endif
