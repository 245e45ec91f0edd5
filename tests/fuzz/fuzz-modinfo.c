// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: a module's .modinfo (km_modinfo_read and its readers). */
#include "fuzz.h"
#include "modinfo.h"

static void read_funcs(const struct km_modinfo *mi)
{
	const char *value;
	size_t pos;

	km_modinfo_for_each(mi, "kmend_func", pos, value) {
		struct km_func_ref f;

		if (!km_func_ref_parse(value, &f))
			km_func_ref_release(&f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = input_in_memfd(data, size);
	struct km_modinfo mi;

	if (!path || km_modinfo_read(fuzz_ctx(), path, &mi))
		return 0;
	km_modinfo_not_livepatch_module(&mi);
	km_modinfo_is_kmend(&mi);
	km_modinfo_count(&mi, "kmend_patch");
	free(km_modinfo_module_name(&mi));
	free(km_modinfo_vermagic_krel(&mi));
	read_funcs(&mi);
	km_modinfo_release(&mi);
	return 0;
}
