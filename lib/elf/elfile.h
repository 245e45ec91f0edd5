/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ELF file as libelf reads it, plain or compressed.  Kernels since 5.13
 * may install their modules compressed (CONFIG_MODULE_COMPRESS): Debian's
 * 6.12 ships every module as .ko.xz.  Such a file is decompressed in memory
 * (never next to the system's modules) and libelf reads the bytes there.
 * xz (liblzma) and gzip (zlib) are read; zstd is refused with a message
 * saying what to do.  The kind is told by the file's first bytes, not by its
 * name.
 */
#ifndef KMEND_ELFILE_H
#define KMEND_ELFILE_H

#include <libelf.h>
#include <stddef.h>

#include "kmend.h"
#include "util.h"

struct km_elf_file {
	int fd;			/* -1 when decompressed */
	void *image;		/* the decompressed bytes; NULL: mapped from fd */
	size_t size;
	Elf *elf;
};

/*
 * Begins libelf's reading of fd, the open file path (ELF_C_READ_MMAP for a
 * plain file), which f owns from then on, also on failure (closed).
 * Whether it is an ELF file of the right kind is the caller's to check
 * (f->elf may be NULL).  0, or -errno, logged, naming the file: -EBADMSG when its compressed data is truncated or
 * corrupt, -EFBIG when it decompresses to more than KM_ELF_FILE_MAX,
 * -EPROTONOSUPPORT for zstd.
 */
int km_elf_file_begin(struct km_ctx *ctx, const char *path, int fd,
		      struct km_elf_file *f);
void km_elf_file_close(struct km_elf_file *f);

/*
 * The contents of path, decompressed when it is xz or gzip; errors as
 * km_elf_file_begin()'s, and those of opening and reading, logged.
 */
int km_read_decompressed(struct km_ctx *ctx, const char *path,
			 struct km_buf *out);

/* "a/b.ko" of "a/b.ko.xz" ("a/b.ko.gz", "a/b.ko.zst"): its length. */
size_t km_ko_name_len(const char *path, size_t len);

/* The largest decompressed module kmend takes (the largest is ~100 MB). */
#define KM_ELF_FILE_MAX	(1ULL << 30)

#endif
