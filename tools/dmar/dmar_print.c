// SPDX-License-Identifier: GPL-2.0
/*
 * dmar-dump's output: a parsed DMAR table as stable, readable text, or as
 * one JSON object with the keys the DMAR parser issue fixes (64-bit
 * addresses as "0x..." strings, everything else as numbers, every
 * structure with its byte offset). Keys beyond those (ignored, findings'
 * level, field, value...) are extras the issue allows.
 */
#include <stdint.h>
#include <stdio.h>

#include "dmar_print.h"

/* ---- text -------------------------------------------------------------- */

static void text_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			fputc(*s, out);
		else
			fprintf(out, "\\x%02x", (unsigned char)*s);
	}
	fputc('"', out);
}

static void text_scopes(FILE *out, const struct vtd_dmar_scope *sc, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++, sc++) {
		fprintf(out, "          [%5u] scope %-21s id %3u  bus %3u  path",
			sc->offset, vtd_dmar_scope_type_name(sc->type),
			sc->enumeration_id, sc->bus);
		for (j = 0; j < sc->path_len; j++)
			fprintf(out, "%s%02x.%x", j ? " > " : " ",
				sc->path[j].device, sc->path[j].function);
		if (sc->type < 1 || sc->type > 5)
			fprintf(out, "  (type %u)", sc->type);
		fputc('\n', out);
	}
}

static const char *text_ignored(bool ignored)
{
	return ignored ? "  IGNORED" : "";
}

static void text_structures(FILE *out, const struct vtd_dmar_table *t)
{
	uint32_t i;

	for (i = 0; i < t->nr_drhd; i++) {
		const struct vtd_dmar_drhd *d = &t->drhd[i];

		fprintf(out,
			"  [%5u] DRHD  segment %u  base 0x%016llx  flags 0x%02x%s  size %u%s\n",
			d->offset, d->segment, d->base, d->flags,
			d->flags & VTD_DRHD_INCLUDE_PCI_ALL ? " (INCLUDE_PCI_ALL)" : "",
			d->size, text_ignored(d->ignored));
		text_scopes(out, d->scopes, d->nr_scopes);
	}
	for (i = 0; i < t->nr_rmrr; i++) {
		const struct vtd_dmar_rmrr *r = &t->rmrr[i];

		fprintf(out, "  [%5u] RMRR  segment %u  base 0x%016llx  limit 0x%016llx%s\n",
			r->offset, r->segment, r->base, r->limit,
			text_ignored(r->ignored));
		text_scopes(out, r->scopes, r->nr_scopes);
	}
	for (i = 0; i < t->nr_atsr; i++) {
		const struct vtd_dmar_atsr *a = &t->atsr[i];

		fprintf(out, "  [%5u] ATSR  segment %u  flags 0x%02x%s%s\n",
			a->offset, a->segment, a->flags,
			a->flags & VTD_ATSR_ALL_PORTS ? " (ALL_PORTS)" : "",
			text_ignored(a->ignored));
		text_scopes(out, a->scopes, a->nr_scopes);
	}
	for (i = 0; i < t->nr_rhsa; i++)
		fprintf(out, "  [%5u] RHSA  base 0x%016llx  proximity domain %u\n",
			t->rhsa[i].offset, t->rhsa[i].base,
			t->rhsa[i].proximity_domain);
	for (i = 0; i < t->nr_andd; i++) {
		fprintf(out, "  [%5u] ANDD  device number %u  name ",
			t->andd[i].offset, t->andd[i].device_number);
		text_str(out, t->andd[i].name ? t->andd[i].name : "");
		fprintf(out, "%s\n", text_ignored(t->andd[i].ignored));
	}
	for (i = 0; i < t->nr_satc; i++) {
		const struct vtd_dmar_atsr *a = &t->satc[i];

		fprintf(out, "  [%5u] SATC  segment %u  flags 0x%02x%s%s\n",
			a->offset, a->segment, a->flags,
			a->flags & 1 ? " (ATC_REQUIRED)" : "",
			text_ignored(a->ignored));
		text_scopes(out, a->scopes, a->nr_scopes);
	}
	for (i = 0; i < t->nr_unknown; i++)
		fprintf(out, "  [%5u] type %u (unknown)  length %u: skipped\n",
			t->unknown[i].offset, t->unknown[i].type,
			t->unknown[i].length);
}

/**
 * dmar_print_text() - a table as readable text
 * @out: where to print.
 * @t: the parsed table.
 *
 * Structures are grouped by type, each with its byte offset in brackets;
 * findings follow, then one verdict line.
 */
void dmar_print_text(FILE *out, const struct vtd_dmar_table *t)
{
	uint32_t i, errors = 0;

	fprintf(out, "DMAR table: %u bytes, revision %u, OEM ", t->length,
		t->revision);
	text_str(out, t->oem_id);
	fputc(' ', out);
	text_str(out, t->oem_table_id);
	fprintf(out, "\nhost address width %u bits, flags 0x%02x%s%s%s\n",
		t->host_address_width, t->flags,
		t->flags & VTD_DMAR_INTR_REMAP ? " INTR_REMAP" : "",
		t->flags & VTD_DMAR_X2APIC_OPT_OUT ? " X2APIC_OPT_OUT" : "",
		t->flags & VTD_DMAR_DMA_CTRL_PLATFORM_OPT_IN ?
		" DMA_CTRL_PLATFORM_OPT_IN" : "");
	fprintf(out,
		"structures: %u DRHD, %u RMRR, %u ATSR, %u RHSA, %u ANDD, %u SATC, %u unknown\n",
		t->nr_drhd, t->nr_rmrr, t->nr_atsr, t->nr_rhsa, t->nr_andd,
		t->nr_satc, t->nr_unknown);
	text_structures(out, t);
	fprintf(out, "findings: %u\n", t->nr_findings);
	for (i = 0; i < t->nr_findings; i++) {
		const struct vtd_dmar_finding *f = &t->findings[i];

		errors += f->severity != VTD_DMAR_WARNING;
		fprintf(out, "  %-8s [%5u] at %u: %s (%s = 0x%llx)",
			vtd_dmar_severity_name(f->severity), f->offset, f->at,
			f->message, f->field, f->value);
		if (f->other)
			fprintf(out, " [other: %u]", f->other);
		fputc('\n', out);
	}
	fprintf(out, "verdict: %s (%u errors, %u warnings)\n",
		!t->usable ? "table unusable" :
		errors ? "usable, with structures refused" : "usable",
		errors, t->nr_findings - errors);
}

/* ---- JSON -------------------------------------------------------------- */

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void json_scopes(FILE *out, const struct vtd_dmar_scope *sc, uint32_t n)
{
	uint32_t i, j;

	fputs("\"scopes\":[", out);
	for (i = 0; i < n; i++, sc++) {
		fprintf(out,
			"%s{\"offset\":%u, \"type\":%u, \"flags\":%u, \"enumeration_id\":%u, \"bus\":%u, \"path\":[",
			i ? ", " : "", sc->offset, sc->type, sc->flags,
			sc->enumeration_id, sc->bus);
		for (j = 0; j < sc->path_len; j++)
			fprintf(out, "%s[%u,%u]", j ? "," : "",
				sc->path[j].device, sc->path[j].function);
		fputs("]}", out);
	}
	fputc(']', out);
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static void json_atsr(FILE *out, const char *key,
		      const struct vtd_dmar_atsr *a, uint32_t n)
{
	uint32_t i;

	fprintf(out, ",\n \"%s\": [", key);
	for (i = 0; i < n; i++, a++) {
		fprintf(out, "%s{\"offset\":%u, \"flags\":%u, \"segment\":%u, \"ignored\":%s, ",
			i ? ",\n   " : "", a->offset, a->flags, a->segment,
			json_bool(a->ignored));
		json_scopes(out, a->scopes, a->nr_scopes);
		fputc('}', out);
	}
	fputc(']', out);
}

static void json_findings(FILE *out, const struct vtd_dmar_table *t)
{
	uint32_t i;

	fputs(",\n \"findings\": [", out);
	for (i = 0; i < t->nr_findings; i++) {
		const struct vtd_dmar_finding *f = &t->findings[i];

		fprintf(out,
			"%s{\"severity\":\"%s\", \"level\":\"%s\", \"offset\":%u, \"at\":%u, \"field\":",
			i ? ",\n   " : "",
			f->severity == VTD_DMAR_WARNING ? "warning" : "error",
			vtd_dmar_severity_name(f->severity), f->offset, f->at);
		json_str(out, f->field);
		fprintf(out, ", \"value\":\"0x%llx\", \"other\":%u, \"message\":",
			f->value, f->other);
		json_str(out, f->message);
		fputc('}', out);
	}
	fputc(']', out);
}

/**
 * dmar_print_json() - a table as one JSON object
 * @out: where to print.
 * @t: the parsed table.
 */
void dmar_print_json(FILE *out, const struct vtd_dmar_table *t)
{
	uint32_t i;

	fprintf(out,
		"{\"host_address_width\": %u, \"flags\": %u, \"length\": %u, \"revision\": %u, \"usable\": %s",
		t->host_address_width, t->flags, t->length, t->revision,
		json_bool(t->usable));
	fputs(",\n \"drhd\": [", out);
	for (i = 0; i < t->nr_drhd; i++) {
		const struct vtd_dmar_drhd *d = &t->drhd[i];

		fprintf(out,
			"%s{\"offset\":%u, \"flags\":%u, \"size\":%u, \"segment\":%u, \"base\":\"0x%llx\", \"ignored\":%s, ",
			i ? ",\n   " : "", d->offset, d->flags, d->size,
			d->segment, d->base, json_bool(d->ignored));
		json_scopes(out, d->scopes, d->nr_scopes);
		fputc('}', out);
	}
	fputs("],\n \"rmrr\": [", out);
	for (i = 0; i < t->nr_rmrr; i++) {
		const struct vtd_dmar_rmrr *r = &t->rmrr[i];

		fprintf(out,
			"%s{\"offset\":%u, \"segment\":%u, \"base\":\"0x%llx\", \"limit\":\"0x%llx\", \"ignored\":%s, ",
			i ? ",\n   " : "", r->offset, r->segment, r->base,
			r->limit, json_bool(r->ignored));
		json_scopes(out, r->scopes, r->nr_scopes);
		fputc('}', out);
	}
	fputc(']', out);
	json_atsr(out, "atsr", t->atsr, t->nr_atsr);
	fputs(",\n \"rhsa\": [", out);
	for (i = 0; i < t->nr_rhsa; i++)
		fprintf(out, "%s{\"offset\":%u, \"base\":\"0x%llx\", \"proximity_domain\":%u}",
			i ? ",\n   " : "", t->rhsa[i].offset, t->rhsa[i].base,
			t->rhsa[i].proximity_domain);
	fputs("],\n \"andd\": [", out);
	for (i = 0; i < t->nr_andd; i++) {
		fprintf(out, "%s{\"offset\":%u, \"device_number\":%u, \"ignored\":%s, \"name\":",
			i ? ",\n   " : "", t->andd[i].offset,
			t->andd[i].device_number, json_bool(t->andd[i].ignored));
		json_str(out, t->andd[i].name);
		fputc('}', out);
	}
	fputc(']', out);
	json_atsr(out, "satc", t->satc, t->nr_satc);
	fputs(",\n \"unknown\": [", out);
	for (i = 0; i < t->nr_unknown; i++)
		fprintf(out, "%s{\"offset\":%u, \"type\":%u, \"length\":%u}",
			i ? ", " : "", t->unknown[i].offset, t->unknown[i].type,
			t->unknown[i].length);
	fputc(']', out);
	json_findings(out, t);
	fputs("}\n", out);
}
