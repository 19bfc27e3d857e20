/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/errno.h>: the C library's numbers are the kernel's. */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H

#include <asm/errno.h>

#endif /* _LINUX_ERRNO_H */
