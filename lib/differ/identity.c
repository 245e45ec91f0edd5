// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "util.h"

struct kind_prefix {
	const char *prefix;
	enum km_sec_kind kind;
};

/* Placement the kernel gives meaning to, by section name. */
static const struct kind_prefix kind_prefixes[] = {
	{ ".init.text", KM_KIND_INIT_TEXT },
	{ ".head.text", KM_KIND_INIT_TEXT },
	{ ".meminit.text", KM_KIND_INIT_TEXT },
	{ ".exit.text", KM_KIND_EXIT_TEXT },
	{ ".memexit.text", KM_KIND_EXIT_TEXT },
	{ ".data..ro_after_init", KM_KIND_RO_AFTER_INIT },
	{ ".data..read_mostly", KM_KIND_READ_MOSTLY },
	{ ".data.once", KM_KIND_ONCE },
	{ ".data..once", KM_KIND_ONCE },
	{ ".data..percpu", KM_KIND_PERCPU },
	{ ".init.", KM_KIND_INIT_DATA },
	{ ".meminit.", KM_KIND_INIT_DATA },
	{ ".exit.", KM_KIND_EXIT_DATA },
	{ ".memexit.", KM_KIND_EXIT_DATA },
};

enum km_sec_kind km_section_kind(const struct kelf_sec *sec)
{
	size_t i;

	if (!(sec->sh.sh_flags & SHF_ALLOC))
		return KM_KIND_OTHER;
	for (i = 0; i < sizeof(kind_prefixes) / sizeof(kind_prefixes[0]); i++)
		if (km_starts_with(sec->name, kind_prefixes[i].prefix))
			return kind_prefixes[i].kind;
	if (sec->sh.sh_flags & SHF_EXECINSTR)
		return KM_KIND_TEXT;
	if (!(sec->sh.sh_flags & SHF_WRITE))
		return KM_KIND_RODATA;
	return KM_KIND_DATA;
}

const char *km_kind_name(enum km_sec_kind kind)
{
	static const char *const names[] = {
		[KM_KIND_TEXT] = "code",
		[KM_KIND_INIT_TEXT] = "__init code",
		[KM_KIND_EXIT_TEXT] = "__exit code",
		[KM_KIND_RODATA] = "read-only data",
		[KM_KIND_DATA] = "writable data",
		[KM_KIND_RO_AFTER_INIT] = "__ro_after_init data",
		[KM_KIND_READ_MOSTLY] = "__read_mostly data",
		[KM_KIND_ONCE] = ".data.once data",
		[KM_KIND_PERCPU] = "per-cpu data",
		[KM_KIND_INIT_DATA] = "__initdata",
		[KM_KIND_EXIT_DATA] = "__exitdata",
		[KM_KIND_OTHER] = "non-loaded data",
	};

	return names[kind];
}

bool km_kind_is_init(enum km_sec_kind kind)
{
	return kind == KM_KIND_INIT_TEXT || kind == KM_KIND_EXIT_TEXT ||
	       kind == KM_KIND_INIT_DATA || kind == KM_KIND_EXIT_DATA;
}

bool km_kind_is_readonly(enum km_sec_kind kind)
{
	return kind == KM_KIND_RODATA || kind == KM_KIND_RO_AFTER_INIT;
}

bool km_is_local_label(const char *name)
{
	return name[0] == '.' && name[1] == 'L';
}

static bool is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* Prefixes of names that end in a counter or __LINE__ with no dot. */
static const char *const counter_prefixes[] = {
	"__UNIQUE_ID_", "__BTF_ID__", "__initcall__", "__addressable_",
};

static bool has_counter_prefix(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(counter_prefixes) / sizeof(counter_prefixes[0]); i++)
		if (km_starts_with(name, counter_prefixes[i]))
			return true;
	return false;
}

/* Length of name without the digits (and "__" or "_") it ends with. */
static size_t strip_counter(const char *name)
{
	size_t n = strlen(name);

	while (n && isdigit((unsigned char)name[n - 1]))
		n--;
	while (n && name[n - 1] == '_')
		n--;
	return n;
}

bool km_is_numbered_name(const char *name)
{
	const char *p;

	if (km_is_local_label(name))
		return true;
	if (has_counter_prefix(name) && strip_counter(name) != strlen(name))
		return true;
	/* C names have no dots: every ".N" was added by the compiler */
	for (p = strchr(name + 1, '.'); p; p = strchr(p + 1, '.'))
		if (is_digits(p + 1, strcspn(p + 1, ".")))
			return true;
	return false;
}

/* name without its ".N" parts, malloc'd */
static char *strip_dot_numbers(const char *name)
{
	struct km_buf b = KM_BUF_INIT;
	const char *p = name;

	while (*p) {
		size_t n = strcspn(p + 1, ".") + 1;

		if (!(p != name && *p == '.' && is_digits(p + 1, n - 1)) &&
		    km_buf_add(&b, p, n)) {
			km_buf_release(&b);
			errno = ENOMEM;
			return NULL;
		}
		p += n;
	}
	return km_buf_detach(&b);
}

char *km_base_name(const char *name)
{
	char *base;

	if (km_is_local_label(name))
		return strdup(".L");
	base = strip_dot_numbers(name);
	/* __UNIQUE_ID_ddebug432.10: the counter goes too */
	if (base && has_counter_prefix(base))
		base[strip_counter(base)] = '\0';
	return base;
}

bool km_is_compiler_constant(const char *name)
{
	static const char *const bases[] = {
		"__func__", "__FUNCTION__", "__PRETTY_FUNCTION__", "CSWTCH",
	};
	char *base;
	bool found = false;
	size_t i;

	if (km_is_local_label(name))
		return true;
	if (!km_is_numbered_name(name))
		return false;
	base = km_base_name(name);
	for (i = 0; base && i < sizeof(bases) / sizeof(bases[0]); i++)
		found |= !strcmp(base, bases[i]);
	free(base);
	return found;
}

bool km_same_base_name(const char *a, const char *b)
{
	char *x = km_base_name(a), *y = km_base_name(b);
	bool same = x && y && !strcmp(x, y);

	free(x);
	free(y);
	return same;
}

bool km_is_init_code(const struct kelf_sym *s)
{
	return s->sec && km_kind_is_init(km_section_kind(s->sec));
}

bool km_is_cold_part(const struct kelf_sym *s)
{
	return strstr(s->name, ".cold") != NULL;
}
