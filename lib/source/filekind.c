// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "filekind.h"
#include "util.h"

static const char *const not_code_dirs[] = {
	"Documentation/", "tools/", "samples/", "LICENSES/",
};

static const char *const not_code_files[] = {
	"MAINTAINERS", "CREDITS", "README", ".mailmap", ".gitignore",
};

static const char *const machinery[] = {
	"kernel/livepatch/", "kernel/trace/ftrace.c", "kernel/trace/fgraph.c",
	"kernel/trace/ftrace_internal.h", "arch/x86/kernel/ftrace.c",
	"arch/x86/kernel/ftrace_64.S", "include/linux/livepatch.h",
	"include/linux/ftrace.h",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool is_not_code(const char *path)
{
	const char *base = base_of(path);
	size_t i;

	for (i = 0; i < ARRAY_LEN(not_code_dirs); i++)
		if (km_starts_with(path, not_code_dirs[i]))
			return true;
	for (i = 0; i < ARRAY_LEN(not_code_files); i++)
		if (!strcmp(base, not_code_files[i]))
			return true;
	return km_ends_with(path, ".rst") || km_ends_with(path, ".txt") ||
	       km_ends_with(path, ".md") || km_ends_with(path, ".yaml");
}

enum km_file_kind km_file_kind(const char *path)
{
	const char *base = base_of(path);

	if (is_not_code(path))
		return KM_FILE_NOT_CODE;
	if (km_ends_with(path, ".c"))
		return KM_FILE_C;
	if (km_ends_with(path, ".h"))
		return KM_FILE_HEADER;
	if (km_ends_with(path, ".S"))
		return KM_FILE_ASM;
	if (!strcmp(base, "Makefile") || !strcmp(base, "Kbuild") ||
	    km_starts_with(base, "Kconfig") || km_starts_with(base, "Makefile."))
		return KM_FILE_BUILD;
	return KM_FILE_OTHER;
}

bool km_is_patch_machinery(const char *path)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(machinery); i++)
		if (km_starts_with(path, machinery[i]))
			return true;
	return false;
}
