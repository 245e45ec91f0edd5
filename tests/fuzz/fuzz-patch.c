// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the unified diff reader (km_patch_read). */
#include "fuzz.h"
#include "patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = input_in_file("fix.patch", data, size);
	struct km_patch patch;
	char **paths;

	if (!path || km_patch_read(fuzz_ctx(), path, &patch))
		return 0;
	paths = km_patch_touched_paths(&patch, 1);
	km_patch_paths_free(paths);
	km_patch_release(&patch);
	return 0;
}
