/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The comma lists the bench modules take as parameters (vtd_bench.ko's
 * tests=, vtd_dma_bench.ko's shapes=).
 */
#ifndef VTD_BENCH_LIST_H
#define VTD_BENCH_LIST_H

#include <linux/string.h>
#include <linux/types.h>

/* Whether the comma list @list names @name (a whole word of it). */
static inline bool bench_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

#endif /* VTD_BENCH_LIST_H */
