/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h>: see ../vtd_shim.h. */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_
#include "../vtd_shim.h"
#endif
