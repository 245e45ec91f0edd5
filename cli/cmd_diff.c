// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_diff(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'diff' is not written yet");
	return KM_EXIT_ERROR;
}
