// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_list(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'list' is not written yet");
	return KM_EXIT_ERROR;
}
