/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linking the livepatch module with Kbuild, as an external module of the
 * target's headers: "make -C HEADERS M=DIR modules".
 *
 * That make evaluates the headers' top-level Makefile whole (its
 * cc-option tests run the compiler some 30 times: 0.6 s of a 1 s link)
 * before it runs, in the headers' directory, the three makes that link:
 * scripts/Makefile.build obj=DIR, scripts/Makefile.modpost and
 * scripts/Makefile.modfinal, with what it exports.  Given a file to keep
 * that in (env), the first link goes the whole way and captures it
 * (kbenv.h); later links run the three makes directly.  Every command
 * Kbuild records in DIR (the .cmd files: the compiles of the generated
 * sources, modpost, the links) must then be the one the whole way
 * recorded, the directory and the module's name aside; when one is not,
 * or a direct make fails, the kept environment goes and the link is done
 * again the whole way.
 */
#ifndef KMEND_KBLINK_H
#define KMEND_KBLINK_H

#include "kmend.h"
#include "util.h"

struct km_kblink {
	const char *headers;	/* /lib/modules/KREL/build */
	const char *dir;	/* the module's directory (M=), with its Kbuild */
	const char *name;	/* the module's name: [A-Za-z0-9_]+ */
	const char *env;	/* where to keep the environment, or NULL */
};

/*
 * Links; Kbuild's output is appended to out.  0, make's exit status (> 0),
 * or a negative errno (make could not be run).
 */
int km_kblink_run(struct km_ctx *ctx, const struct km_kblink *l,
		  struct km_buf *out);

#endif
