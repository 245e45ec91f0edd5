/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The patch-author macros of the kernel's klp-build (Linux 6.19+,
 * include/linux/livepatch_helpers.h), for kernels that predate it: the same
 * names and meaning, written for kmend from their documentation, on top of
 * <kmend/livepatch.h>.  A 6.19+ tree's own header comes first on the
 * include path and wins.  See docs/patch-authors.md.
 */
#ifndef _LINUX_LIVEPATCH_HELPERS_H
#define _LINUX_LIVEPATCH_HELPERS_H

#include <linux/livepatch.h>
#include <linux/static_call.h>
#include <linux/syscalls.h>
#include <kmend/livepatch.h>
#include "../kpatch-syscall.h"

/* Callbacks of the object (vmlinux or module) the file is built into. */
#define KLP_PRE_PATCH_CALLBACK(func)	KMEND_PRE_PATCH_CALLBACK(func)
#define KLP_POST_PATCH_CALLBACK(func)	KMEND_POST_PATCH_CALLBACK(func)
#define KLP_PRE_UNPATCH_CALLBACK(func)	KMEND_PRE_UNPATCH_CALLBACK(func)
#define KLP_POST_UNPATCH_CALLBACK(func)	KMEND_POST_UNPATCH_CALLBACK(func)

/*
 * A static call made as a plain indirect call through the key's current
 * target: for a static call whose key lives in a module.
 */
#define KLP_STATIC_CALL(name)						\
	((typeof(STATIC_CALL_TRAMP(name)) *)(STATIC_CALL_KEY(name).func))

/* A system call's definition that a live patch can replace. */
#define KLP_SYSCALL_DEFINE1(name, ...) __KMEND_SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE2(name, ...) __KMEND_SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE3(name, ...) __KMEND_SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE4(name, ...) __KMEND_SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE5(name, ...) __KMEND_SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE6(name, ...) __KMEND_SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINEx(x, sname, ...)				\
	__KMEND_SYSCALL_DEFINEx(x, sname, __VA_ARGS__)

#endif /* _LINUX_LIVEPATCH_HELPERS_H */
