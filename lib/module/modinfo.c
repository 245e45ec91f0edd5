// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctype.h>
#include <stdio.h>

#include "elfile.h"
#include "modinfo.h"
#include "util.h"

static const char *lower_errstr(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static Elf_Scn *find_section(Elf *elf, const char *want)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

static int copy_modinfo_section(struct km_ctx *ctx, Elf *elf,
				struct km_modinfo *mi)
{
	Elf_Scn *scn = find_section(elf, ".modinfo");
	Elf_Data *data;

	if (!scn) {
		km_err(ctx, "cannot read '%s': no .modinfo section; is it a "
		       "kernel module?", mi->path);
		return -ENOEXEC;
	}
	data = elf_getdata(scn, NULL);
	if (!data) {
		km_err(ctx, "cannot read '%s': its .modinfo section cannot be "
		       "read: %s", mi->path, elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (!data->d_buf) {
		km_err(ctx, "cannot read '%s': empty .modinfo section",
		       mi->path);
		return -ENOEXEC;
	}
	/* One NUL more, so that the last string always ends. */
	mi->data = calloc(1, data->d_size + 1);
	if (!mi->data)
		return -ENOMEM;
	memcpy(mi->data, data->d_buf, data->d_size);
	mi->size = data->d_size;
	return 0;
}

static int add_entry(struct km_modinfo *mi, char *s, size_t *cap)
{
	char *eq = strchr(s, '=');

	if (!eq)
		return 0;	/* not key=value: ignored, as modinfo(8) does */
	if (mi->nr_entries == *cap) {
		size_t n = *cap ? 2 * *cap : 16;
		struct km_modinfo_entry *e;

		e = realloc(mi->entries, n * sizeof(*e));
		if (!e)
			return -ENOMEM;
		mi->entries = e;
		*cap = n;
	}
	*eq = '\0';
	mi->entries[mi->nr_entries].key = s;
	mi->entries[mi->nr_entries].value = eq + 1;
	mi->nr_entries++;
	return 0;
}

/* Strings are NUL separated, with NUL padding between some of them. */
static int split_entries(struct km_modinfo *mi)
{
	size_t off = 0, cap = 0;
	int ret;

	while (off < mi->size) {
		char *s = mi->data + off;
		size_t len = strlen(s);

		if (len) {
			ret = add_entry(mi, s, &cap);
			if (ret)
				return ret;
		}
		off += len + 1;
	}
	return 0;
}

/* fd, the module's file, plain or compressed (elfile.h); owned here. */
static int read_elf_modinfo(struct km_ctx *ctx, int fd, struct km_modinfo *mi)
{
	struct km_elf_file f;
	int ret;

	ret = km_elf_file_begin(ctx, mi->path, fd, &f);
	if (ret)
		return ret;
	if (!f.elf || elf_kind(f.elf) != ELF_K_ELF) {
		km_err(ctx, "cannot read '%s': not an ELF file; give a kernel "
		       "module (.ko)", mi->path);
		km_elf_file_close(&f);
		return -ENOEXEC;
	}
	ret = copy_modinfo_section(ctx, f.elf, mi);
	mi->has_this_module = find_section(f.elf, ".gnu.linkonce.this_module");
	km_elf_file_close(&f);
	return ret;
}

int km_modinfo_read(struct km_ctx *ctx, const char *path,
		    struct km_modinfo *mi)
{
	char msg[128];
	int fd, ret;

	memset(mi, 0, sizeof(*mi));
	mi->path = strdup(path);
	if (!mi->path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		km_err(ctx, "cannot open '%s': %s", path, lower_errstr(-ret, msg,
		       sizeof(msg)));
		km_modinfo_release(mi);
		return ret;
	}
	ret = read_elf_modinfo(ctx, fd, mi);
	if (!ret)
		ret = split_entries(mi);
	if (ret)
		km_modinfo_release(mi);
	return ret;
}

void km_modinfo_release(struct km_modinfo *mi)
{
	free(mi->path);
	free(mi->data);
	free(mi->entries);
	memset(mi, 0, sizeof(*mi));
}

const char *km_modinfo_next(const struct km_modinfo *mi, const char *key,
			    size_t *pos)
{
	for (; *pos < mi->nr_entries; (*pos)++) {
		if (!strcmp(mi->entries[*pos].key, key))
			return mi->entries[(*pos)++].value;
	}
	return NULL;
}

const char *km_modinfo_get(const struct km_modinfo *mi, const char *key)
{
	size_t pos = 0;

	return km_modinfo_next(mi, key, &pos);
}

size_t km_modinfo_count(const struct km_modinfo *mi, const char *key)
{
	const char *value;
	size_t pos, n = 0;

	km_modinfo_for_each(mi, key, pos, value)
		n++;
	return n;
}

bool km_modinfo_is_livepatch(const struct km_modinfo *mi)
{
	const char *lp = km_modinfo_get(mi, "livepatch");

	return lp && !strcmp(lp, "Y");
}

const char *km_modinfo_not_livepatch_module(const struct km_modinfo *mi)
{
	if (!km_modinfo_is_livepatch(mi))
		return "its modinfo has no livepatch=Y";
	if (!mi->has_this_module)
		return "it has no .gnu.linkonce.this_module section, so it is "
		       "not a linked kernel module";
	return NULL;
}

bool km_modinfo_is_kmend(const struct km_modinfo *mi)
{
	size_t i;

	for (i = 0; i < mi->nr_entries; i++)
		if (km_starts_with(mi->entries[i].key, "kmend_"))
			return true;
	return false;
}

char *km_module_name_of_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name, *p;

	name = strdup(base ? base + 1 : path);
	if (!name)
		return NULL;
	if (km_ends_with(name, ".ko"))
		name[strlen(name) - 3] = '\0';
	for (p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

char *km_modinfo_module_name(const struct km_modinfo *mi)
{
	const char *name = km_modinfo_get(mi, "name");

	if (name && *name)
		return strdup(name);
	return km_module_name_of_path(mi->path);
}

char *km_modinfo_vermagic_krel(const struct km_modinfo *mi)
{
	const char *vm = km_modinfo_get(mi, "vermagic");

	if (!vm) {
		errno = ENOENT;
		return NULL;
	}
	vm += strspn(vm, " ");
	return strndup(vm, strcspn(vm, " "));
}

int km_func_ref_parse(const char *value, struct km_func_ref *f)
{
	const char *colon = strchr(value, ':');
	const char *comma = strrchr(value, ',');
	char *end;

	memset(f, 0, sizeof(*f));
	if (!colon || colon == value || (comma && comma < colon))
		return -EINVAL;
	if (!comma)
		comma = value + strlen(value);
	else {
		errno = 0;
		f->sympos = strtoul(comma + 1, &end, 10);
		if (errno || end == comma + 1 || *end)
			return -EINVAL;
	}
	if (comma == colon + 1)
		return -EINVAL;
	f->object = strndup(value, (size_t)(colon - value));
	f->name = strndup(colon + 1, (size_t)(comma - colon - 1));
	if (!f->object || !f->name) {
		km_func_ref_release(f);
		return -ENOMEM;
	}
	return 0;
}

void km_func_ref_release(struct km_func_ref *f)
{
	free(f->object);
	free(f->name);
	memset(f, 0, sizeof(*f));
}
