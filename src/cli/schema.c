/*
 * cli/schema.c — tally schema [--schema FILE]: describe the schema in use,
 * its fields with their types and constraints, the primary key and the rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: tally schema [--schema FILE] [--export xsd|json-schema|table-schema]\n"
    "\n"
    "Describe the schema in use: fields, types, constraints, primary key, rules;\n"
    "or export it for other tools, so a return can be checked before it is sent.\n"
    "\n"
    "  --schema FILE        describe this schema instead of the built-in one\n"
    "  --export FORM        xsd: the XML Schema XML returns are checked against;\n"
    "                       json-schema: a JSON Schema (2020-12) of JSON returns;\n"
    "                       table-schema: a Frictionless Table Schema of the fields\n"
    "  -h, --help           this help\n"
    "\n"
    "Examples:\n"
    "  tally schema\n"
    "  tally schema --export xsd > missing-from-care.xsd\n";

extern const unsigned char tally_embedded_missing_from_care_xsd[];
extern const size_t tally_embedded_missing_from_care_xsd_len;

/* Print the schema in another form. Returns an exit status. */
static int export(const struct tally_schema *s, const struct cli_options *o)
{
    struct tally_error err;
    int rc;
    if (strcmp(o->export_as, "table-schema") == 0) {
        rc = tally_schema_export_table_schema(s, stdout, &err);
    } else if (strcmp(o->export_as, "json-schema") == 0) {
        rc = tally_schema_export_json_schema(s, stdout, &err);
    } else if (strcmp(o->export_as, "xsd") == 0) {
        if (o->schema_path) {
            cli_error("schema: --export xsd: the XSD describes the built-in schema's XML "
                      "shape; for another schema, XML returns are checked against the schema "
                      "alone");
            return EXIT_TROUBLE;
        }
        fwrite(tally_embedded_missing_from_care_xsd, 1, tally_embedded_missing_from_care_xsd_len,
               stdout);
        rc = TALLY_OK;
    } else {
        cli_error("schema: --export must be xsd, json-schema or table-schema, not \"%s\"",
                  o->export_as);
        return EXIT_TROUBLE;
    }
    if (rc != TALLY_OK) {
        cli_error("%s", err.message);
        return EXIT_TROUBLE;
    }
    return EXIT_OK;
}

static void describe(const struct tally_schema *s)
{
    printf("schema %s %s", s->name, s->version);
    if (s->title)
        printf(": %s", s->title);
    printf("\n\nfields (in canonical order):\n");
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_field_def *f = &s->fields[i];
        printf("  %-18s %-8s %s", f->name, tally_type_name(f->type), f->required ? "required" : "optional");
        if (f->symbols)
            printf(", symbols %s", f->symbols);
        if (f->has_minimum)
            printf(", minimum %lld", (long long)f->minimum);
        if (f->has_maximum)
            printf(", maximum %lld", (long long)f->maximum);
        if (f->max_length)
            printf(", maxLength %zu", f->max_length);
        if (f->pattern)
            printf(", pattern %s", f->pattern);
        for (size_t k = 0; k < f->n_enum; k++)
            printf("%s%s", k ? " | " : ", one of ", f->enum_values[k]);
        if (f->default_value)
            printf(", default %s", f->default_value);
        printf("\n");
        if (f->naliases)
            printf("  %-18s also read from columns", "");
        for (size_t k = 0; k < f->naliases; k++)
            printf("%s \"%s\"%s", k ? "," : "", f->aliases[k], k + 1 == f->naliases ? "\n" : "");
    }
    printf("\nprimary key:");
    for (size_t k = 0; k < s->npk; k++)
        printf("%s %s", k ? "," : "", s->fields[s->primary_key[k]].name);
    printf("\n\nrules:\n");
    for (size_t r = 0; r < s->nrules; r++)
        printf("  %-26s %-7s %s\n", s->rules[r].id,
               s->rules[r].severity == TALLY_SEV_ERROR ? "error" : "warning", s->rules[r].assert_src);
}

int cmd_schema(int argc, char **argv)
{
    struct cli_options o;
    int status = EXIT_TROUBLE;
    if (!cli_parse(argc, argv, "schema", OPT_SCHEMA | OPT_EXPORT, &o))
        goto out;
    if (o.help) {
        fputs(usage, stdout);
        status = EXIT_OK;
        goto out;
    }
    if (o.nfiles) {
        cli_error("schema: takes no files (see tally schema --help)");
        goto out;
    }
    struct tally_schema *s;
    if (!cli_load_schema(&o, &s))
        goto out;
    if (o.export_as) {
        status = export(s, &o);
    } else {
        describe(s);
        status = EXIT_OK;
    }
    tally_schema_free(s);
out:
    free(o.files);
    return status;
}
