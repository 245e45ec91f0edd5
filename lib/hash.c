// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

int km_hash_init(struct km_hash *h, size_t expected)
{
	size_t n = 16;

	while (n < expected * 2)
		n <<= 1;
	h->buckets = calloc(n, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->nr_buckets = n;
	h->count = 0;
	return 0;
}

int km_hash_add(struct km_hash *h, const char *key, void *value)
{
	struct km_hash_entry *e = malloc(sizeof(*e));
	size_t b;

	if (!e)
		return -ENOMEM;
	b = hash_str(key) & (h->nr_buckets - 1);
	e->key = key;
	e->value = value;
	e->next = h->buckets[b];
	h->buckets[b] = e;
	h->count++;
	return 0;
}

static struct km_hash_entry *find_from(struct km_hash_entry *e,
				       const char *key)
{
	for (; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

struct km_hash_entry *km_hash_first(const struct km_hash *h, const char *key)
{
	if (!h->buckets)
		return NULL;
	return find_from(h->buckets[hash_str(key) & (h->nr_buckets - 1)], key);
}

struct km_hash_entry *km_hash_next(struct km_hash_entry *e)
{
	return find_from(e->next, e->key);
}

void *km_hash_get(const struct km_hash *h, const char *key)
{
	struct km_hash_entry *e = km_hash_first(h, key);

	return e ? e->value : NULL;
}

void km_hash_release(struct km_hash *h)
{
	size_t i;

	for (i = 0; h->buckets && i < h->nr_buckets; i++) {
		struct km_hash_entry *e = h->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(h->buckets);
	h->buckets = NULL;
	h->nr_buckets = h->count = 0;
}
