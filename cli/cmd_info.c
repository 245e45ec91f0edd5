// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_info(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'info' is not written yet");
	return KM_EXIT_ERROR;
}
