/* SPDX-License-Identifier: GPL-2.0 */
/* dmar-dump's output formats, shared with the tests and the fuzzer. */
#ifndef VTD_DMAR_PRINT_H
#define VTD_DMAR_PRINT_H

#include <stdio.h>

#include "../../vtd_dmar.h"

void dmar_print_text(FILE *out, const struct vtd_dmar_table *t);
void dmar_print_json(FILE *out, const struct vtd_dmar_table *t);

#endif /* VTD_DMAR_PRINT_H */
