/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/io.h>: see ../vtd_shim.h. */
#ifndef _LINUX_IO_H
#define _LINUX_IO_H
#include "../vtd_shim.h"
#endif
