// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modinfo.h"
#include "proof.h"
#include "runpre.h"
#include "util.h"
#include "verify.h"

/* The text of the module's proof section (NUL-terminated), or NULL. */
static char *read_proof(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	char *text = NULL;

	elf_version(EV_CURRENT);
	if (elf && !elf_getshdrstrndx(elf, &shstrndx)) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name || strcmp(name, KM_PROOF_SECTION) ||
			    !(d = elf_getdata(scn, NULL)))
				continue;
			text = strndup(d->d_buf, d->d_size);
			break;
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return text;
}

/* The running kernel's memory through /proc/kcore. */
struct kcore {
	int fd;
	GElf_Phdr *ph;
	size_t nr;
	char *kallsyms;
};

static int kcore_open(const struct km_runtime_paths *rp, struct kcore *k)
{
	char *path = km_strfmt("%s/proc/kcore", rp->root ? rp->root : "");
	char *ksyms = km_strfmt("%s/proc/kallsyms", rp->root ? rp->root : "");
	struct km_buf b = KM_BUF_INIT;
	Elf *elf;
	size_t i;
	int ret = 0;

	memset(k, 0, sizeof(*k));
	k->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (k->fd < 0)
		ret = -errno;
	if (!ret && ksyms && !km_read_file(ksyms, &b))
		k->kallsyms = km_buf_detach(&b);
	km_buf_release(&b);
	free(path);
	free(ksyms);
	if (ret)
		return ret;
	elf = elf_begin(k->fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &k->nr)) {
		if (elf)
			elf_end(elf);
		return -ENOEXEC;
	}
	k->ph = calloc(k->nr + 1, sizeof(*k->ph));
	for (i = 0; k->ph && i < k->nr; i++)
		gelf_getphdr(elf, (int)i, &k->ph[i]);
	elf_end(elf);
	return k->ph ? 0 : -ENOMEM;
}

static void kcore_close(struct kcore *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->ph);
	free(k->kallsyms);
}

static int kcore_read(const struct kcore *k, unsigned long addr, size_t size,
		      unsigned char *buf)
{
	size_t i;

	for (i = 0; i < k->nr; i++) {
		const GElf_Phdr *p = &k->ph[i];

		if (p->p_type != PT_LOAD || addr < p->p_vaddr ||
		    addr + size > p->p_vaddr + p->p_filesz)
			continue;
		if (pread(k->fd, buf, size, (off_t)(p->p_offset + addr -
						    p->p_vaddr)) != (ssize_t)size)
			return -EIO;
		return 0;
	}
	return -ERANGE;
}

/*
 * Copies the line at text into buf (cut to its size) and returns the
 * next line, or NULL at the end.  sscanf on the line itself would be
 * quadratic: glibc's sscanf takes the strlen of its whole input, here the
 * rest of /proc/kallsyms (minutes in the VM).
 */
static const char *next_line(const char *text, char *buf, size_t size)
{
	size_t len;

	if (!text || !*text)
		return NULL;
	len = strcspn(text, "\n");
	snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), text);
	return text[len] ? text + len + 1 : text + len;
}

/*
 * The address of object's symbol name at livepatch position pos (0: the
 * only one) in /proc/kallsyms; 0 when not found or hidden.
 */
static unsigned long kallsyms_addr(const char *text, const char *object,
				   const char *name, unsigned long pos)
{
	const char *line = text;
	unsigned long seen = 0, found = 0;
	bool vmlinux = !strcmp(object, "vmlinux");
	char buf[512];

	while ((line = next_line(line, buf, sizeof(buf)))) {
		unsigned long addr;
		char type, sym[256], mod[128] = "";
		int n = sscanf(buf, "%lx %c %255s [%127[^]]]", &addr, &type,
			       sym, mod);

		if (n >= 3 && !strcmp(sym, name) &&
		    (vmlinux ? n == 3 : (n == 4 && !strcmp(mod, object)))) {
			seen++;
			if (!found && (!pos || seen == pos))
				found = addr;
		}
	}
	return pos || seen == 1 ? found : 0;
}

/*
 * Whether /proc/kallsyms hides the addresses (all zero): kptr_restrict 2,
 * or a reader without CAP_SYSLOG.  A few absolute symbols are at 0 anyway,
 * so one nonzero address is enough to tell.
 */
static bool kallsyms_hidden(const char *text)
{
	const char *line = text;

	char buf[512];

	while ((line = next_line(line, buf, sizeof(buf)))) {
		unsigned long addr;

		if (sscanf(buf, "%lx", &addr) == 1 && addr)
			return false;
	}
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One recorded function, parsed from its func and mask lines. */
struct recorded {
	char object[128], name[256], role[32];
	unsigned long pos;
	struct km_code code;
	unsigned char *bytes;
};

static int parse_func(const char *line, struct recorded *r)
{
	size_t size, i;
	int at = 0;
	const char *hex;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "func %127s %255s %lu %31s %zu %n", r->object, r->name,
		   &r->pos, r->role, &size, &at) != 5 || !at)
		return -EINVAL;
	hex = line + at;
	r->bytes = malloc(size + 1);
	r->code.mask = calloc(size + 1, 1);
	if (!r->bytes || !r->code.mask)
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		r->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	r->code.bytes = r->bytes;
	r->code.size = size;
	return 0;
}

static int parse_mask(const char *line, struct recorded *r)
{
	size_t off, len;
	char kind[32];
	int k;

	if (sscanf(line, "mask %zu %zu %31s", &off, &len, kind) != 3 ||
	    off + len > r->code.size || (k = km_mask_parse(kind)) < 0)
		return -EINVAL;
	memset(r->code.mask + off, k, len);
	return 0;
}

static int check_recorded(const struct kcore *k, struct recorded *r,
			  struct km_checks *c)
{
	char *label = km_strfmt("run-pre %s:%s", r->object, r->name);
	unsigned long addr = kallsyms_addr(k->kallsyms, r->object, r->name,
					   r->pos);
	unsigned char *live = malloc(r->code.size + 1);
	char h1[64], h2[64];
	long at;
	int ret;

	if (!label || !live) {
		ret = -ENOMEM;
	} else if (!addr) {
		ret = km_checks_add(c, label, strcmp(r->object, "vmlinux") ?
				    KM_CHECK_SKIP : KM_CHECK_FAIL,
				    -KM_EUNPATCHABLE, "'%s' (position %lu) is "
				    "not in /proc/kallsyms%s", r->name, r->pos,
				    strcmp(r->object, "vmlinux") ?
				    ": its module is not loaded" : "");
	} else if (kcore_read(k, addr, r->code.size, live)) {
		ret = km_checks_add(c, label, KM_CHECK_SKIP, 0, "cannot read "
				    "%zu bytes at 0x%lx in /proc/kcore",
				    r->code.size, addr);
	} else if ((at = km_code_compare_live(&r->code, live)) >= 0) {
		km_code_hex(r->bytes + at, 8, h1, sizeof(h1));
		km_code_hex(live + at, 8, h2, sizeof(h2));
		ret = km_checks_add(c, label, KM_CHECK_FAIL, -KM_EUNPATCHABLE,
				    "the running kernel's '%s' (%s) differs "
				    "from the code the patch was built against "
				    "at %s+0x%lx: built against [%s...], running "
				    "[%s...]: not the kernel the patch was "
				    "proven for", r->name, r->role, r->name,
				    at, h1, h2);
	} else {
		ret = km_checks_add(c, label, KM_CHECK_PASS, 0, "%zu bytes at "
				    "0x%lx, as built (%s)", r->code.size, addr,
				    r->role);
	}
	free(label);
	free(live);
	return ret;
}

static void release_recorded(struct recorded *r)
{
	free(r->bytes);
	free(r->code.mask);
	memset(r, 0, sizeof(*r));
}

static int check_memory(const struct km_runtime_paths *rp, char *proof,
			struct km_checks *c)
{
	struct kcore k;
	struct recorded r = { 0 };
	char *line, *save = NULL;
	bool have = false;
	int ret = kcore_open(rp, &k);

	if (ret || !k.kallsyms) {
		kcore_close(&k);
		return km_checks_add(c, "run-pre", KM_CHECK_SKIP, 0,
				     "/proc/kcore or /proc/kallsyms cannot be "
				     "read (%s): the running code is not "
				     "compared", strerror(ret ? -ret : EACCES));
	}
	if (kallsyms_hidden(k.kallsyms)) {
		kcore_close(&k);
		return km_checks_add(c, "run-pre", KM_CHECK_SKIP, 0,
				     "/proc/kallsyms hides the addresses "
				     "(kptr_restrict is 2, or no CAP_SYSLOG): "
				     "the running code is not compared; as "
				     "root, 'echo 1 >/proc/sys/kernel/"
				     "kptr_restrict' shows them");
	}
	for (line = strtok_r(proof, "\n", &save); !ret && line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (km_starts_with(line, "func ")) {
			if (have)
				ret = check_recorded(&k, &r, c);
			release_recorded(&r);
			if (!ret)
				ret = parse_func(line, &r);
			have = !ret;
		} else if (km_starts_with(line, "mask ") && have) {
			ret = parse_mask(line, &r);
		}
	}
	if (!ret && have)
		ret = check_recorded(&k, &r, c);
	release_recorded(&r);
	kcore_close(&k);
	if (ret == -EINVAL)
		return km_checks_add(c, "run-pre", KM_CHECK_FAIL, -ENOEXEC,
				     "the module's %s section is damaged",
				     KM_PROOF_SECTION);
	return ret;
}

int km_verify(struct km_ctx *ctx, const struct km_runtime_paths *rp,
	      const char *path, struct km_checks *c)
{
	struct km_modinfo mi;
	char *proof;
	int ret = km_modinfo_read(ctx, path, &mi);

	if (ret)
		return ret;
	if (!km_modinfo_is_kmend(&mi)) {
		km_err(ctx, "cannot verify '%s': it was not built by kmend (no "
		       "kmend_* modinfo)", path);
		km_modinfo_release(&mi);
		return -EINVAL;
	}
	ret = km_check_identity(ctx, rp, &mi, c);
	if (!ret)
		ret = km_check_conflicts(ctx, rp, &mi, c);
	proof = ret ? NULL : read_proof(path);
	if (!ret && !proof)
		ret = km_checks_add(c, "run-pre", KM_CHECK_SKIP, 0, "the module "
				    "carries no %s section (built by an older "
				    "kmend)", KM_PROOF_SECTION);
	else if (!ret && km_checks_verdict(c) == -ENOEXEC)
		ret = km_checks_add(c, "run-pre", KM_CHECK_SKIP, 0, "not "
				    "compared: the module is for another kernel");
	else if (!ret)
		ret = check_memory(rp, proof, c);
	free(proof);
	km_modinfo_release(&mi);
	return ret;
}
