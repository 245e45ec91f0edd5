/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KPATCH_SYSCALL_DEFINEn(name, ...): a system call's definition that a live
 * patch can replace, for patches written for kpatch-build.  Written for
 * kmend from kpatch's documentation; see docs/patch-authors.md.
 *
 * SYSCALL_DEFINEn puts the body in a static inline, hence notrace,
 * __do_sys_NAME that the entry points (__x64_sys_NAME, __ia32_sys_NAME)
 * call or inline.  When gcc keeps it out of line, the changed body has no
 * ftrace entry and cannot be redirected.  Here the body is always inlined
 * into the entry points, which are traced, have the kernel's names and are
 * what the live patch replaces; the syscall's metadata (ftrace's syscall
 * events) is declared as SYSCALL_DEFINEn declares it, so that nothing else
 * of the file changes.
 */
#ifndef __KPATCH_SYSCALL_H_
#define __KPATCH_SYSCALL_H_

#include <linux/syscalls.h>

#ifndef CONFIG_X86_64
#error "kpatch-syscall.h: kmend supports x86_64 kernels only"
#endif

#define KPATCH_SYSCALL_DEFINE1(name, ...) __KMEND_SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE2(name, ...) __KMEND_SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE3(name, ...) __KMEND_SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE4(name, ...) __KMEND_SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE5(name, ...) __KMEND_SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE6(name, ...) __KMEND_SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

#define __KMEND_SYSCALL_DEFINEx(x, sname, ...)				\
	SYSCALL_METADATA(sname, x, __VA_ARGS__)				\
	__KMEND_SYSCALL_BODYx(x, sname, __VA_ARGS__)

/*
 * The entry points come from the kernel's own stub macros
 * (asm/syscall_wrapper.h); only the two inner functions differ from
 * __SYSCALL_DEFINEx: both are always inlined, and the body has a name of
 * its own, so that it never clashes with the kernel's __do_sys_NAME.
 */
#define __KMEND_SYSCALL_BODYx(x, name, ...)				\
	static __always_inline long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__)); \
	static __always_inline long						\
	__kmend_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__));		\
	__X64_SYS_STUBx(x, name, __VA_ARGS__)				\
	__IA32_SYS_STUBx(x, name, __VA_ARGS__)				\
	static __always_inline long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__)) \
	{								\
		long ret = __kmend_do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__)); \
		__MAP(x, __SC_TEST, __VA_ARGS__);			\
		__PROTECT(x, ret, __MAP(x, __SC_ARGS, __VA_ARGS__));	\
		return ret;						\
	}								\
	static __always_inline long						\
	__kmend_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))

#endif /* __KPATCH_SYSCALL_H_ */
