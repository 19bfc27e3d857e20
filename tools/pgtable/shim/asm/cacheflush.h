/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <asm/cacheflush.h>: see ../vtd_shim.h. */
#ifndef _ASM_X86_CACHEFLUSH_H
#define _ASM_X86_CACHEFLUSH_H
#include "../vtd_shim.h"
#endif
