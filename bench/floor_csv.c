/*
 * bench/floor_csv.c — the libcsv parse-only floor: how fast libcsv itself
 * reads a file on this machine, with callbacks that only count.
 *
 *   floor-csv FILE       prints "ROWS rows, FIELDS fields"
 *
 * The parser options are those of tally's CSV reader (strict quoting, NUL
 * appended to each field); the file is read with read(2) in 64 KiB blocks and
 * each block goes to csv_parse in one call. Nothing is copied, checked or
 * looked up: no reader that uses libcsv can be faster than this.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

struct counts {
    unsigned long long fields, rows;
};

static void on_field(void *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    ((struct counts *)user)->fields++;
}

static void on_row(int c, void *user)
{
    (void)c;
    ((struct counts *)user)->rows++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: floor-csv FILE\n", stderr);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "floor-csv: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return 2;
    struct counts n = {0, 0};
    static char buf[1 << 16];
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        if (csv_parse(&p, buf, (size_t)got, on_field, on_row, &n) != (size_t)got) {
            fprintf(stderr, "floor-csv: %s: %s\n", argv[1], csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    if (got < 0) {
        fprintf(stderr, "floor-csv: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    csv_fini(&p, on_field, on_row, &n);
    csv_free(&p);
    close(fd);
    printf("%llu rows, %llu fields\n", n.rows, n.fields);
    return 0;
}
