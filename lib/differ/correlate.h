/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KMEND_CORRELATE_H
#define KMEND_CORRELATE_H

#include "diff.h"

/* Sets the twin of every symbol and section that has one. */
int km_correlate(struct km_diff *d);

#endif
