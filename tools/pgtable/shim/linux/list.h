/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/list.h>: see ../vtd_shim.h. */
#ifndef _LINUX_LIST_H
#define _LINUX_LIST_H
#include "../vtd_shim.h"
#endif
