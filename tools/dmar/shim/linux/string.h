/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/string.h>. */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

#include <string.h>

#endif /* _LINUX_STRING_H_ */
