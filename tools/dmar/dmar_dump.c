// SPDX-License-Identifier: GPL-2.0
/*
 * dmar-dump: decode and check an ACPI DMAR table with the driver's own
 * parser (vtd_dmar.c, built through the userspace shim), for people who
 * debug firmware.
 *
 *   dmar-dump [--json] [FILE]     FILE defaults to the running machine's
 *                                 /sys/firmware/acpi/tables/DMAR
 *
 * Exit status: 0 when the table is usable and nothing in it is refused
 * (warnings allowed), 1 when it has errors (the table is unusable or a
 * unit, region or other structure is refused), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmar_print.h"
#include "shim/shim.h"

#define DUMP_DEFAULT_FILE	"/sys/firmware/acpi/tables/DMAR"
/* A DMAR table's length field is 32 bits; real ones are under 4 KiB. */
#define DUMP_MAX_BYTES		(16u << 20)

static int print_help(FILE *out, int status)
{
	fprintf(out, "Usage: dmar-dump [--json] [FILE]\n"
		"Decode and check an ACPI DMAR table (default %s).\n"
		"Exit status: 0 usable, 1 the table has errors, 2 usage or I/O error.\n",
		DUMP_DEFAULT_FILE);
	return status;
}

/* Read all of @path into a malloc'd buffer; NULL with errno set on failure. */
static unsigned char *read_all(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *nbuf;
	size_t cap = 0, n;
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 4096;
			nbuf = cap > DUMP_MAX_BYTES ? NULL : realloc(buf, cap);
			if (!nbuf) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = nbuf;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n)
			continue;
		if (ferror(f)) {
			free(buf);
			fclose(f);
			errno = EIO;
			return NULL;
		}
		break;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct vtd_dmar_table *t;
	unsigned char *buf;
	bool json = false;
	size_t len;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return print_help(stdout, 0);
		if (!strcmp(argv[i], "--json"))
			continue;
		if ((argv[i][0] == '-' && argv[i][1]) || path)
			return print_help(stderr, 2);
		path = argv[i];
	}
	if (!path)
		path = DUMP_DEFAULT_FILE;

	buf = read_all(path, &len);
	if (!buf) {
		fprintf(stderr, "dmar-dump: %s: %s\n", path, strerror(errno));
		return 2;
	}
	shim_quiet = true;
	ret = vtd_dmar_parse(buf, len, &t);
	free(buf);
	if (ret) {
		fprintf(stderr, "dmar-dump: %s: %s\n", path, strerror(-ret));
		return 2;
	}
	if (json)
		dmar_print_json(stdout, t);
	else
		dmar_print_text(stdout, t);
	ret = vtd_dmar_has_errors(t) ? 1 : 0;
	vtd_dmar_free(t);
	if (fflush(stdout)) {
		fprintf(stderr, "dmar-dump: write error: %s\n", strerror(errno));
		return 2;
	}
	return ret;
}
