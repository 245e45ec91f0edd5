/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KMEND_CALLERS_H
#define KMEND_CALLERS_H

#include "diff.h"

/*
 * For each changed function without an ftrace entry: carry its new code
 * and replace its callers in the object instead (kelf_sym.copy, .via), or
 * refuse it (counted in d->nr_refused).  0 or a negative errno.
 */
int km_replace_untraceable(struct km_diff *d);

#endif
