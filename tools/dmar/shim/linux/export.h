/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/export.h>: an export is just a declaration. */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

/* A forward declaration of an unused struct: valid C, no code, no warning. */
#define SHIM_EXPORT(sym)	struct shim_export_##sym
#define EXPORT_SYMBOL		SHIM_EXPORT
#define EXPORT_SYMBOL_GPL	SHIM_EXPORT

#endif /* _LINUX_EXPORT_H */
