/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/printk.h>: the pr_*() family. Every message is
 * counted by level (vtd_shim.h) so a test can assert "exactly one warning";
 * it goes to stderr unless the shim is quiet. The rate-limited and _once
 * variants print and count every call: a test wants to see each one.
 *
 * tools/include has no printk.h; the guard is the kernel header's.
 */
#ifndef __KERNEL_PRINTK__
#define __KERNEL_PRINTK__

#include <linux/compiler.h>

#define SHIM_LOGLEVEL_ERR	3
#define SHIM_LOGLEVEL_WARNING	4
#define SHIM_LOGLEVEL_INFO	6

__printf(2, 3) void shim_printk(int level, const char *fmt, ...);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

#define pr_emerg(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_WARNING, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_INFO, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_INFO, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	\
	shim_printk(SHIM_LOGLEVEL_INFO, pr_fmt(fmt), ##__VA_ARGS__)

#define pr_err_ratelimited(fmt, ...)	pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define pr_err_once(fmt, ...)		pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)		pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_once(fmt, ...)		pr_info(fmt, ##__VA_ARGS__)

#endif /* __KERNEL_PRINTK__ */
