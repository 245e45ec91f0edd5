// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_build(struct km_cli *cli, int argc, char **argv)
{
	cli_error(cli, "'build' is not written yet");
	return KM_EXIT_ERROR;
}
