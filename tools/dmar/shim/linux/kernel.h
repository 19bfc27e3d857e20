/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/kernel.h>: ARRAY_SIZE and printk. Messages go
 * to stderr unless shim_quiet is set (the tests set it).
 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <stdbool.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define FW_BUG		"[Firmware Bug]: "
#define FW_WARN		"[Firmware Warn]: "

extern bool shim_quiet;
void shim_printk(const char *fmt, ...);

#define pr_err(fmt, ...)	shim_printk(fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	shim_printk(fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	shim_printk(fmt, ##__VA_ARGS__)

#endif /* _LINUX_KERNEL_H */
