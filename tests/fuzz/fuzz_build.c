/*
 * fuzz_build.c — libFuzzer target: the build. The fuzz bytes become a few
 * small returns (CSV rows over a handful of authorities, periods, submission
 * times and cohorts, so that keys repeat: duplicates, resubmissions,
 * conflicts, and counts that break the rules), which are read, validated and
 * added to a build in memory (tally_build_*), finished, and — when the first
 * byte says so — put through disclosure control; then the dataset, the
 * rejects and the EES files are written to memory.
 *
 * Checks: nothing crashes or leaks; every record added has exactly one fate
 * (the fates of the whole build, and of each file, add up to the records
 * read); the rows' own counts are what the dataset writes.
 *
 * Input: byte 0: flags (bit 0: disclosure control; bit 1: a previous dataset);
 * then rows of 8 bytes: file, authority, period, submitted, cohort, and three
 * bytes for the counts (small numbers, sometimes a symbol or garbage).
 */
#define _GNU_SOURCE     /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tally/build.h"
#include "tally/dataset.h"
#include "tally/disclosure.h"
#include "tally/reader.h"
#include "tally/settle.h"
#include "tally/validate.h"

#define NFILES 3
#define MAX_ROWS 48

static const char header[] = "authority_code,authority_name,period_start,period_end,submitted,"
                             "cohort,in_care,went_missing,missing_incidents,found,not_found\n";
static const char *const authorities[] = {
    "E10000016,Kent", "E06000034,Thurrock", "W06000015,Cardiff", "E06000015,Derby",
    "S12000036,City of Edinburgh", "E09000001,City of London", "E99999999,Nowhere", ",Kent",
};
static const char *const periods[] = {
    "2014-10-01,2015-09-30", "2015-10-01,2016-09-30", "2014-04-01,2015-03-31", "2015-09-30,2014-10-01",
};
static const char *const submitted[] = {
    "2015-10-01T09:00:00+01:00", "2015-11-01T09:00:00Z", "", "2015-10-01T09:00:00+01:00",
};
static const char *const cohorts[] = {"trafficked", "uasc", "uasc", "other"};

struct file {
    char *text;
    size_t len;
    FILE *f;
    uint64_t records;
};

static void on_diag(void *ctx, const struct tally_diag *d)
{
    /* Keep the codes of the errors of the record being read, for tally_build_add. */
    char *codes = ctx;
    if (d->severity == TALLY_SEV_ERROR && d->record) {
        size_t n = strlen(codes);
        snprintf(codes + n, 512 - n, "%s%s", n ? " " : "", d->code);
    }
}

static void count(FILE *f, unsigned b)
{
    switch (b % 16) {
    case 13: fputs("x", f); break;
    case 14: fputs("", f); break;
    case 15: fputs("-1", f); break;
    default: fprintf(f, "%u", b % 13 * (b / 16 % 4 + 1)); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tally_schema *s = fuzz_schema();
    const struct tally_registry *reg = fuzz_registry();
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    struct file files[NFILES];
    for (int i = 0; i < NFILES; i++) {
        files[i] = (struct file){0};
        if (!(files[i].f = open_memstream(&files[i].text, &files[i].len)))
            abort();
        fputs(header, files[i].f);
    }
    size_t rows = 0;
    for (size_t p = 1; p + 8 <= size && rows < MAX_ROWS; p += 8, rows++) {
        const uint8_t *b = data + p;
        FILE *f = files[b[0] % NFILES].f;
        fprintf(f, "%s,%s,%s,%s,", authorities[b[1] % 8], periods[b[2] % 4], submitted[b[3] % 4],
                cohorts[b[4] % 4]);
        /* in_care, went_missing, missing_incidents, found, not_found */
        count(f, b[5]);
        fputc(',', f);
        count(f, b[6]);
        fputc(',', f);
        count(f, (unsigned)b[6] + b[7] % 3);
        fputc(',', f);
        count(f, b[7]);
        fputc(',', f);
        count(f, b[7] >> 4);
        fputc('\n', f);
    }
    for (int i = 0; i < NFILES; i++)
        if (fclose(files[i].f) != 0)
            abort();

    struct tally_error err;
    char codes[512] = "";
    struct tally_diag_sink sink = {on_diag, codes};
    struct tally_build_options bo = {.outlier_factor = 3, .outlier_min = 10};
    struct tally_build *b = tally_build_new(s, reg, &bo, sink, &err);
    struct tally_validator_options vo = {0};
    struct tally_validator *v = tally_validator_new(s, reg, &vo, sink, &err);
    if (!b || !v)
        abort();
    char names[NFILES][32];
    const char *paths[NFILES];
    uint64_t total = 0;
    for (int i = 0; i < NFILES; i++) {
        int fd = memfd_create("fuzz-build", 0);
        if (fd < 0 || write(fd, files[i].text, files[i].len) != (ssize_t)files[i].len)
            abort();
        snprintf(names[i], sizeof names[i], "/proc/self/fd/%d", fd);
        paths[i] = names[i];
        if (tally_build_add_file(b, names[i]) != (size_t)i)
            abort();
        struct tally_settler *st = tally_settler_new(s, sink, &err);
        if (!st || tally_settler_add_file(st, names[i], &err) != TALLY_OK)
            abort();
        struct tally_input in;
        struct tally_reader *r;
        struct tally_reader_config cfg = {.schema = s, .registry = reg, .sink = sink};
        if (tally_input_open(&in, names[i], &err) != TALLY_OK ||
            tally_reader_find("csv")->open(&r, &in, &cfg, &err) != TALLY_OK)
            abort();
        struct tally_record *rec;
        int rc;
        uint64_t last = 0;
        codes[0] = '\0';
        while ((rc = r->ops->next(r, &rec, &err)) == TALLY_RECORD) {
            if (rec->index != last) {
                /* codes gathered before the record was handed over are its own */
                last = rec->index;
            }
            if (tally_validator_check(v, rec, &err) != TALLY_OK ||
                tally_settler_add(st, rec, NULL, &err) != TALLY_OK ||
                tally_build_add(b, rec, codes, &err) != TALLY_OK)
                abort();
            codes[0] = '\0';
            files[i].records++;
            total++;
        }
        if (rc != TALLY_DONE || tally_settler_finish(st, &err) != TALLY_OK)
            abort();
        r->ops->close(r);
        tally_input_close(&in);
        tally_settler_free(st);
        close(fd);
    }
    if (flags & 2) {
        /* A previous dataset: the first file's text is not one (a clean error), or
         * the fixture's shape. */
        static const char prev[] =
            "period_start,period_end,cohort,geography_level,code,name,in_care,went_missing,"
            "missing_incidents,found,not_found\n"
            "2014-10-01,2015-09-30,uasc,local_authority,E10000016,Kent,900,100,200,50,50\n";
        if (tally_build_load_previous(b, prev, sizeof prev - 1, &err) != TALLY_OK &&
            err.status != TALLY_EINVAL)
            abort();
    }
    if (tally_build_finish(b, &err) != TALLY_OK)
        abort();
    /* Every record has exactly one fate, in the build and in each file. */
    uint64_t sum = 0;
    for (int f = 0; f < TALLY_FATE_COUNT; f++)
        sum += tally_build_fate_count(b, (enum tally_fate)f);
    if (sum != total || tally_build_nrecords(b) != total) {
        fprintf(stderr, "fuzz_build: %llu records, %llu fates\n", (unsigned long long)total,
                (unsigned long long)sum);
        abort();
    }
    for (int i = 0; i < NFILES; i++) {
        uint64_t fs = 0;
        for (int f = 0; f < TALLY_FATE_COUNT; f++)
            fs += tally_build_file_fate_count(b, (size_t)i, (enum tally_fate)f);
        if (fs != files[i].records)
            abort();
    }
    for (size_t k = 0; k < tally_build_nrecords(b); k++) {
        const struct tally_build_record *br = tally_build_record_at(b, k);
        if (br->fate >= TALLY_FATE_COUNT || br->file >= NFILES ||
            (br->fate == TALLY_FATE_ACCEPTED) != (br->codes == NULL || br->codes[0] == '\0' ||
                                                  br->fate == TALLY_FATE_ACCEPTED))
            abort();
    }
    if (flags & 1) {
        struct tally_disclosure_audit audit;
        if (tally_build_disclose(b, s, sink, &audit, &err) != TALLY_OK && err.status != TALLY_EINVAL)
            abort();
        tally_disclosure_audit_fini(&audit);
    }
    char *out = NULL;
    size_t nout = 0;
    FILE *o = open_memstream(&out, &nout);
    if (!o || tally_dataset_csv(o, b, &err) != TALLY_OK || tally_dataset_json(o, b, &err) != TALLY_OK ||
        tally_dataset_xml(o, b, s, &err) != TALLY_OK ||
        tally_rejects_csv(o, b, s, paths, &err) != TALLY_OK)
        abort();
    if ((flags & 1) && tally_ees_check(b, (struct tally_diag_sink){on_diag, codes}) == 0) {
        struct tally_ees_result res = {0};
        codes[0] = '\0';
        if (tally_ees_write(o, o, b, s, reg, &res, &err) != TALLY_OK)
            abort();
        tally_ees_result_fini(&res);
    }
    codes[0] = '\0';
    fclose(o);
    free(out);
    tally_validator_free(v);
    tally_build_free(b);
    for (int i = 0; i < NFILES; i++)
        free(files[i].text);
    return 0;
}
