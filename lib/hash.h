/* SPDX-License-Identifier: GPL-2.0 */
/* A string-keyed hash table with chaining; keys are borrowed, not copied. */
#ifndef KMEND_HASH_H
#define KMEND_HASH_H

#include <stddef.h>

struct km_hash_entry {
	const char *key;
	void *value;
	struct km_hash_entry *next;
};

struct km_hash {
	struct km_hash_entry **buckets;
	size_t nr_buckets;
	size_t count;
};

/* Sized for about `expected` entries; 0 on success or -ENOMEM. */
int km_hash_init(struct km_hash *h, size_t expected);
/* Adds an entry even when the key is already there (multimap). */
int km_hash_add(struct km_hash *h, const char *key, void *value);
/* The most recently added value for key, or NULL. */
void *km_hash_get(const struct km_hash *h, const char *key);
/* Iterates over every entry with this key, newest first. */
struct km_hash_entry *km_hash_first(const struct km_hash *h, const char *key);
struct km_hash_entry *km_hash_next(struct km_hash_entry *e);
void km_hash_release(struct km_hash *h);

#define km_hash_for_each_key(h, k, e) \
	for ((e) = km_hash_first(h, k); (e); (e) = km_hash_next(e))

#endif
