// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_test(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'test' is not written yet");
	return KM_EXIT_ERROR;
}
