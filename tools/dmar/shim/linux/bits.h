/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/bits.h>: BIT() and the word size. */
#ifndef __LINUX_BITS_H
#define __LINUX_BITS_H

#define BITS_PER_LONG	(8 * (int)sizeof(long))
#define BIT(nr)		(1UL << (nr))

#endif /* __LINUX_BITS_H */
