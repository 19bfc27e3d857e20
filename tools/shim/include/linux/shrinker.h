/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/shrinker.h>: registration only counts; the
 * tests call a shrinker's callbacks themselves.
 */
#ifndef _LINUX_SHRINKER_H
#define _LINUX_SHRINKER_H

#include <linux/compiler.h>

struct shrink_control {
	unsigned long nr_to_scan;
};

#define SHRINK_STOP	(~0UL)
#define SHRINK_EMPTY	(~0UL - 1)
#define DEFAULT_SEEKS	2

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *s,
				       struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *s,
				      struct shrink_control *sc);
	int seeks;
	bool registered;
};

int __printf(2, 3) register_shrinker(struct shrinker *s, const char *fmt, ...);
void unregister_shrinker(struct shrinker *s);

#endif /* _LINUX_SHRINKER_H */
