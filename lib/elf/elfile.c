// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elfile.h"
#include "util.h"

enum compression { PLAIN, XZ, GZIP, ZSTD };

static enum compression compression_of(const unsigned char *m, size_t n)
{
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char gz[] = { 0x1f, 0x8b };
	static const unsigned char zst[] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (n >= sizeof(xz) && !memcmp(m, xz, sizeof(xz)))
		return XZ;
	if (n >= sizeof(gz) && !memcmp(m, gz, sizeof(gz)))
		return GZIP;
	if (n >= sizeof(zst) && !memcmp(m, zst, sizeof(zst)))
		return ZSTD;
	return PLAIN;
}

/* The compressed file whole: modules are small, and libelf wants it all. */
static int read_all(int fd, struct km_buf *in)
{
	struct stat st;
	size_t off = 0;

	if (fstat(fd, &st))
		return -errno;
	in->buf = malloc((size_t)st.st_size + 1);
	if (!in->buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, in->buf + off, (size_t)st.st_size - off,
				  (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	in->len = off;
	return 0;
}

/* Room for at least `more` bytes after out->len, doubling. */
static int grow(struct km_buf *out, size_t more)
{
	size_t want = out->cap ? out->cap : 1 << 20;
	char *n;

	while (want - out->len < more)
		want *= 2;
	if (want == out->cap)
		return 0;
	if (want > KM_ELF_FILE_MAX + (1 << 20))
		return -EFBIG;
	n = realloc(out->buf, want);
	if (!n)
		return -ENOMEM;
	out->buf = n;
	out->cap = want;
	return 0;
}

#define KM_XZ_MEMLIMIT (256ULL << 20)

static const char *lzma_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_FORMAT_ERROR:
		return "not xz data";
	case LZMA_OPTIONS_ERROR:
		return "xz options this liblzma does not support";
	case LZMA_DATA_ERROR:
		return "corrupt xz data";
	case LZMA_BUF_ERROR:
		return "truncated xz data";
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "xz data that needs more than 256 MB of memory (no kernel "
		       "module does: xz -9 needs 65 MB)";
	default:
		return "xz error";
	}
}

static int unxz(struct km_ctx *ctx, const char *path, const struct km_buf *in,
		struct km_buf *out)
{
	lzma_stream s = LZMA_STREAM_INIT;
	/* a module's xz needs 65 MB at most: a larger dictionary is hostile */
	lzma_ret r = lzma_stream_decoder(&s, KM_XZ_MEMLIMIT, LZMA_CONCATENATED);
	int ret = r == LZMA_OK ? 0 : -ENOMEM;

	s.next_in = (const uint8_t *)in->buf;
	s.avail_in = in->len;
	while (!ret && r == LZMA_OK) {
		ret = grow(out, 1 << 16);
		if (ret)
			break;
		s.next_out = (uint8_t *)out->buf + out->len;
		s.avail_out = out->cap - out->len;
		/* all the input is there: LZMA_FINISH says a short one is cut */
		r = lzma_code(&s, LZMA_FINISH);
		out->len = out->cap - s.avail_out;
	}
	lzma_end(&s);
	if (ret == -EFBIG || ret == -ENOMEM)
		return ret;
	if (r != LZMA_STREAM_END) {
		km_err(ctx, "cannot decompress '%s': %s: the file is damaged or "
		       "cut short (xz -t '%s' tells); replace it with a good "
		       "copy (a kernel's module: reinstall its package)", path,
		       lzma_reason(r), path);
		return -EBADMSG;
	}
	return 0;
}

static int gunzip(struct km_ctx *ctx, const char *path,
		  const struct km_buf *in, struct km_buf *out)
{
	z_stream z;
	int r, ret = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in->buf;
	z.avail_in = (uInt)in->len;
	do {
		ret = grow(out, 1 << 16);
		if (ret)
			break;
		z.next_out = (Bytef *)out->buf + out->len;
		z.avail_out = (uInt)(out->cap - out->len);
		r = inflate(&z, Z_NO_FLUSH);
		out->len = out->cap - z.avail_out;
	} while (r == Z_OK && (z.avail_in || !z.avail_out));
	inflateEnd(&z);
	if (ret)
		return ret;
	if (r != Z_STREAM_END) {
		km_err(ctx, "cannot decompress '%s': %s gzip data: the file is "
		       "damaged or cut short (gzip -t '%s' tells); replace it "
		       "with a good copy (a kernel's module: reinstall its "
		       "package)", path,
		       r == Z_DATA_ERROR ? "corrupt" : "truncated", path);
		return -EBADMSG;
	}
	return 0;
}

static void refuse_zstd(struct km_ctx *ctx, const char *path)
{
	km_err(ctx, "cannot read '%s': it is compressed with zstd, which kmend "
	       "does not read (it reads plain, xz and gzip files): decompress "
	       "it with 'zstd -d' and give kmend the .ko, or use a kernel whose "
	       "modules are compressed with xz", path);
}

static int decompress(struct km_ctx *ctx, const char *path, int fd,
		      enum compression kind, struct km_elf_file *f)
{
	struct km_buf in = KM_BUF_INIT, out = KM_BUF_INIT;
	int ret = read_all(fd, &in);

	if (ret)
		km_err(ctx, "cannot read '%s': %s", path, strerror(-ret));
	else if (kind == XZ)
		ret = unxz(ctx, path, &in, &out);
	else
		ret = gunzip(ctx, path, &in, &out);
	if (ret == -EFBIG)
		km_err(ctx, "cannot decompress '%s': it holds more than %llu "
		       "MB, more than any kernel module", path,
		       KM_ELF_FILE_MAX >> 20);
	km_buf_release(&in);
	if (ret) {
		km_buf_release(&out);
		return ret;
	}
	f->image = out.buf;
	f->size = out.len;
	return 0;
}

int km_read_decompressed(struct km_ctx *ctx, const char *path,
			 struct km_buf *out)
{
	unsigned char magic[8];
	enum compression kind;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot open '%s': %s", path, strerror(-ret));
		return ret;
	}
	n = pread(fd, magic, sizeof(magic), 0);
	kind = compression_of(magic, n > 0 ? (size_t)n : 0);
	if (kind == ZSTD) {
		refuse_zstd(ctx, path);
		ret = -EPROTONOSUPPORT;
	} else if (kind == PLAIN) {
		ret = read_all(fd, out);
		if (ret)
			km_err(ctx, "cannot read '%s': %s", path, strerror(-ret));
	} else {
		struct km_elf_file f = { .fd = -1 };

		ret = decompress(ctx, path, fd, kind, &f);
		out->buf = f.image;
		out->len = out->cap = f.size;
	}
	close(fd);
	if (ret)
		km_buf_release(out);
	return ret;
}

int km_elf_file_begin(struct km_ctx *ctx, const char *path, int fd,
		      struct km_elf_file *f)
{
	unsigned char magic[8];
	enum compression kind;
	ssize_t n;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	n = pread(f->fd, magic, sizeof(magic), 0);
	kind = compression_of(magic, n > 0 ? (size_t)n : 0);
	if (kind == ZSTD) {
		refuse_zstd(ctx, path);
		ret = -EPROTONOSUPPORT;
	} else if (kind != PLAIN) {
		ret = decompress(ctx, path, f->fd, kind, f);
		close(f->fd);
		f->fd = -1;
	}
	if (ret) {
		km_elf_file_close(f);
		return ret;
	}
	elf_version(EV_CURRENT);
	f->elf = f->image ? elf_memory(f->image, f->size)
			  : elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	return 0;
}

void km_elf_file_close(struct km_elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->image);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

size_t km_ko_name_len(const char *path, size_t len)
{
	static const char *const suffixes[] = { ".ko.xz", ".ko.gz", ".ko.zst" };
	size_t i, n;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		n = strlen(suffixes[i]);
		if (len >= n && !memcmp(path + len - n, suffixes[i], n))
			return len - n + 3;
	}
	return len;
}
