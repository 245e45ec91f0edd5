/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proof before touching the kernel, at build time: the functions a patch
 * replaces, the ones whose callers it replaces instead, and the unchanged
 * ones its new code calls in the kernel must be, in the pristine build,
 * the code of the target kernel (vmlinux of the debug package, or the
 * module's .ko): runpre.h compares them.  The compiler that built the
 * kernel is compared with the one at hand.
 *
 * What was proven is carried in the module, in the section
 * KM_PROOF_SECTION (not SHF_ALLOC: the kernel never loads it), so that
 * `kmend verify` can check the running kernel's memory against it:
 *
 *   kmend-proof 1
 *   func OBJECT NAME SYMPOS ROLE SIZE HEXCODE    the target's code
 *   mask OFFSET LENGTH KIND                      after its func line
 */
#ifndef KMEND_PROOF_H
#define KMEND_PROOF_H

#include <stdbool.h>

#include "hash.h"
#include "kelf.h"
#include "kmend.h"
#include "kmodule.h"
#include "ksym.h"

#define KM_PROOF_SECTION ".kmend.proof"

struct km_proof_func {
	char *object;		/* "vmlinux" or a module's name */
	char *name;
	unsigned long sympos;
	const char *role;	/* "replaced", "carried", "called" */
	unsigned char *code;	/* the target's code */
	unsigned char *mask;	/* enum km_mask_kind per byte */
	size_t size;
};

struct km_proof {
	struct km_ctx *ctx;
	const struct km_ksyms *ks;
	const char *krel;
	struct km_proof_func *funcs;
	size_t nr_funcs;
	struct km_hash seen;	/* "object:name,pos" */
	char *kernel_cc;	/* vmlinux's .comment */
	char *host_cc;		/* gcc --version */
	int nr_refused;
};

int km_proof_init(struct km_proof *p, struct km_ctx *ctx,
		  const struct km_ksyms *ks, const char *krel);
void km_proof_release(struct km_proof *p);

/*
 * Compares the compiler that built the kernel (vmlinux's .comment and the
 * config's CONFIG_CC_VERSION_TEXT) with gcc here, and says so.  0, or a
 * negative errno when they cannot be read.
 */
int km_proof_compilers(struct km_proof *p, const char *config);

/*
 * Run-pre of function sym of the pristine object e (source file `file`),
 * in vmlinux, or in module m when not NULL.  0 when it is the kernel's
 * code (recorded); -KM_EUNPATCHABLE, logged with the function, the offset,
 * both instructions and the likely cause, when not.
 */
int km_proof_check(struct km_proof *p, const struct kelf *e,
		   const struct kelf_sym *sym, const char *file,
		   const struct km_module *m, const char *role);

/* Writes an object holding the proof section, to link into the module. */
int km_proof_write_object(struct km_proof *p, const struct kelf *like,
			  const char *path);

#endif
