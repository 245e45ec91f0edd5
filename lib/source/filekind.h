/* SPDX-License-Identifier: GPL-2.0 */
/* What a file a fix touches is, for a live patch. */
#ifndef KMEND_FILEKIND_H
#define KMEND_FILEKIND_H

#include <stdbool.h>

enum km_file_kind {
	KM_FILE_C,		/* a .c file: compiled into an object */
	KM_FILE_HEADER,		/* a .h file */
	KM_FILE_ASM,		/* a .S file: assembly */
	KM_FILE_BUILD,		/* Makefile, Kbuild, Kconfig: the build itself */
	KM_FILE_NOT_CODE,	/* documentation, tools, selftests, samples */
	KM_FILE_OTHER,
};

/* By its path in the tree (a/ and b/ stripped). */
enum km_file_kind km_file_kind(const char *path);

/*
 * Files of the machinery that applies a live patch (livepatch, ftrace):
 * changing them live would change the code doing the change.
 */
bool km_is_patch_machinery(const char *path);

#endif
