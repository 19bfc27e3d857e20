/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/module.h>: module parameters are plain
 * variables the test sets directly (it #includes the source file), but
 * module_param() still checks the variable's type against the parameter
 * type and refuses world-writable permissions, as the kernel's does.
 * EXPORT_SYMBOL*() come from tools/include/linux/export.h (no-ops).
 *
 * The guard is the one of tools/include/linux/module.h, which this replaces.
 */
#ifndef _LIBLOCKDEP_LINUX_MODULE_H_
#define _LIBLOCKDEP_LINUX_MODULE_H_

#include <stdbool.h>
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/kernel.h>

#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME "vtd_remap"
#endif

#define THIS_MODULE	((struct module *)0)

/* The C type behind each module_param() type name. */
#define __shim_param_type_bool		bool
#define __shim_param_type_invbool	bool
#define __shim_param_type_int		int
#define __shim_param_type_uint		unsigned int
#define __shim_param_type_long		long
#define __shim_param_type_ulong		unsigned long
#define __shim_param_type_ushort	unsigned short
#define __shim_param_type_charp		char *

#define module_param(name, type, perm)					\
	static_assert(__same_type(name, __shim_param_type_##type) &&	\
		      !((perm) & 0002),					\
		      "module_param " #name ": not a " #type		\
		      " or world-writable")

#define MODULE_PARM_DESC(name, desc)	\
	static_assert(sizeof(desc) > 1, "empty description of " #name)

#define MODULE_LICENSE(s)	static_assert(sizeof(s) > 1, "no license")
#define MODULE_AUTHOR(s)	static_assert(sizeof(s) > 1, "no author")
#define MODULE_DESCRIPTION(s)	static_assert(sizeof(s) > 1, "no description")

#endif /* _LIBLOCKDEP_LINUX_MODULE_H_ */
