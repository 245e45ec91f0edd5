// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_load(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'load' is not written yet");
	return KM_EXIT_ERROR;
}
