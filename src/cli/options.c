/*
 * cli/options.c — parsing a command's options. Long options take their
 * value as "--name VALUE" or "--name=VALUE"; "-" is standard input; "--"
 * ends the options.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("tally: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct {
    const char *name;
    char short_name;
    unsigned bit;           /* 0: always accepted */
    bool has_arg;
} options[] = {
    {"help", 'h', 0, false},
    {"schema", 0, OPT_SCHEMA, true},
    {"registry", 0, OPT_REGISTRY, true},
    {"format", 0, OPT_FORMAT, true},
    {"sheet", 0, OPT_FORMAT, true},
    {"delimiter", 0, OPT_DELIMITER, true},
    {"report", 0, OPT_REPORT, true},
    {"report-file", 0, OPT_REPORT, true},
    {"max-errors", 0, OPT_MAX_ERRORS, true},
    {"fail-on", 0, OPT_FAIL_ON, true},
    {"period", 0, OPT_PERIOD, true},
    {"quiet", 'q', OPT_QUIET, false},
    {"to", 0, OPT_TO, true},
    {"output", 'o', OPT_OUTPUT, true},
    {"export", 0, OPT_EXPORT, true},
    {"previous", 0, OPT_BUILD, true},
    {"population", 0, OPT_BUILD, true},
    {"outlier-factor", 0, OPT_BUILD, true},
    {"outlier-min", 0, OPT_BUILD, true},
    {"timestamp", 0, OPT_BUILD, false},
    {"disclosure", 0, OPT_BUILD, false},
    {"no-disclosure", 0, OPT_BUILD, false},
    {"publish", 0, OPT_BUILD, true},
    {"force", 0, OPT_BUILD, false},
    {"progress", 0, OPT_PROGRESS, false},
    {"clean", 0, OPT_CLEAN, false},
    {"bom", 0, OPT_BOM, false},
    {"exclude", 0, OPT_EXCLUDE, true},
    {"no-progress", 0, OPT_PROGRESS, false},
};

static bool parse_period(const char *v, struct cli_options *o)
{
    const char *slash = strchr(v, '/');
    if (!slash || !tally_parse_date(v, (size_t)(slash - v), &o->period_start) ||
        !tally_parse_date(slash + 1, strlen(slash + 1), &o->period_end)) {
        cli_error("--period must be START/END, e.g. 2014-10-01/2015-09-30, not \"%s\"", v);
        return false;
    }
    if (o->period_start >= o->period_end) {
        cli_error("--period: START must be before END in \"%s\"", v);
        return false;
    }
    o->has_period = true;
    return true;
}

static bool set_option(const char *name, const char *v, struct cli_options *o)
{
    if (strcmp(name, "help") == 0) {
        o->help = true;
    } else if (strcmp(name, "schema") == 0) {
        o->schema_path = v;
    } else if (strcmp(name, "registry") == 0) {
        o->registry_path = v;
    } else if (strcmp(name, "format") == 0) {
        if (!tally_reader_find(v)) {
            cli_error("unknown --format \"%s\"", v);
            return false;
        }
        o->format = v;
    } else if (strcmp(name, "sheet") == 0) {
        o->sheet = v;
    } else if (strcmp(name, "delimiter") == 0) {
        if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0)
            v = "\t";
        if (strlen(v) != 1 || v[0] == '"' || v[0] == '\r' || v[0] == '\n') {
            cli_error("--delimiter must be one character (or \\t), not \"%s\"", v);
            return false;
        }
        o->delimiter = v[0];
    } else if (strcmp(name, "report") == 0) {
        if (!tally_report_find(v)) {
            char known[128] = "";
            for (const struct tally_report_ops *const *r = tally_reports(); *r; r++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         r == tally_reports() ? "" : ", ", (*r)->name);
            cli_error("unknown --report \"%s\" (known: %s)", v, known);
            return false;
        }
        if (o->nreports == CLI_MAX_REPORTS) {
            cli_error("at most %d reports", CLI_MAX_REPORTS);
            return false;
        }
        o->reports[o->nreports++] = (struct cli_report){.format = v};
    } else if (strcmp(name, "report-file") == 0) {
        /* Pairs with the --report before it; alone, it is for the text report. */
        if (o->nreports == 0 || o->reports[o->nreports - 1].file) {
            if (o->nreports == CLI_MAX_REPORTS) {
                cli_error("at most %d reports", CLI_MAX_REPORTS);
                return false;
            }
            o->reports[o->nreports++] = (struct cli_report){.format = "text"};
        }
        o->reports[o->nreports - 1].file = v;
    } else if (strcmp(name, "max-errors") == 0) {
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-') {
            cli_error("--max-errors must be a whole number, not \"%s\"", v);
            return false;
        }
        o->has_max_errors = true;
        o->max_errors = n;
    } else if (strcmp(name, "fail-on") == 0) {
        if (strcmp(v, "error") != 0 && strcmp(v, "warning") != 0) {
            cli_error("--fail-on must be error or warning, not \"%s\"", v);
            return false;
        }
        o->fail_on_warning = strcmp(v, "warning") == 0;
    } else if (strcmp(name, "period") == 0) {
        return parse_period(v, o);
    } else if (strcmp(name, "quiet") == 0) {
        o->quiet = true;
    } else if (strcmp(name, "to") == 0) {
        if (!tally_writer_find(v)) {
            cli_error("unknown --to \"%s\"", v);
            return false;
        }
        o->to = v;
    } else if (strcmp(name, "output") == 0) {
        o->output = v;
    } else if (strcmp(name, "export") == 0) {
        o->export_as = v;
    } else if (strcmp(name, "previous") == 0) {
        o->previous = v;
    } else if (strcmp(name, "population") == 0) {
        o->population = v;
    } else if (strcmp(name, "outlier-factor") == 0) {
        char *end;
        o->outlier_factor = strtod(v, &end);
        if (!*v || *end || !(o->outlier_factor >= 1)) {
            cli_error("--outlier-factor must be a number of at least 1, not \"%s\"", v);
            return false;
        }
    } else if (strcmp(name, "outlier-min") == 0) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || n < 0) {
            cli_error("--outlier-min must be a whole number, not \"%s\"", v);
            return false;
        }
        o->outlier_min = n;
    } else if (strcmp(name, "timestamp") == 0) {
        o->timestamp = true;
    } else if (strcmp(name, "disclosure") == 0 || strcmp(name, "no-disclosure") == 0) {
        int want = name[0] == 'd';
        if (o->disclosure == !want) {
            cli_error("--disclosure and --no-disclosure cannot both be given");
            return false;
        }
        o->disclosure = want;
    } else if (strcmp(name, "publish") == 0) {
        if (strcmp(v, "ees") != 0) {
            cli_error("--publish must be ees (DfE's explore-education-statistics format), not "
                      "\"%s\"", v);
            return false;
        }
        o->publish = v;
    } else if (strcmp(name, "force") == 0) {
        o->force = true;
    } else if (strcmp(name, "clean") == 0) {
        o->clean = true;
    } else if (strcmp(name, "bom") == 0) {
        o->bom = true;
    } else if (strcmp(name, "progress") == 0) {
        o->progress = 1;
    } else if (strcmp(name, "no-progress") == 0) {
        o->progress = 0;
    }
    return true;
}

bool cli_parse(int argc, char **argv, const char *command, unsigned allowed,
               struct cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->outlier_factor = 3;
    o->progress = -1;
    o->disclosure = -1;
    o->outlier_min = 10;
    o->files = calloc((size_t)argc + 1, sizeof *o->files);
    if (!o->files) {
        cli_error("out of memory");
        return false;
    }
    bool only_files = false;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (only_files || arg[0] != '-' || strcmp(arg, "-") == 0) {
            o->files[o->nfiles++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_files = true;
            continue;
        }
        const char *name = NULL, *value = NULL;
        size_t k, n = sizeof options / sizeof options[0];
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            for (k = 0; k < n; k++)
                if (strlen(options[k].name) == len && strncmp(options[k].name, arg + 2, len) == 0)
                    break;
            if (eq)
                value = eq + 1;
        } else {
            for (k = 0; k < n; k++)
                if (options[k].short_name && arg[1] == options[k].short_name && !arg[2])
                    break;
        }
        if (k == n || (options[k].bit && !(allowed & options[k].bit))) {
            cli_error("%s: unknown option %s (see tally %s --help)", command, arg, command);
            return false;
        }
        name = options[k].name;
        if (options[k].has_arg && !value) {
            if (i + 1 == argc) {
                cli_error("%s: option %s needs a value", command, arg);
                return false;
            }
            value = argv[++i];
        } else if (!options[k].has_arg && value) {
            cli_error("%s: option --%s takes no value", command, name);
            return false;
        }
        if (strcmp(name, "exclude") == 0) {
            /* Kept at the tail of files[]: an argument is a file or an option,
             * so the two never meet. */
            o->files[argc - 1 - o->nexcludes++] = (char *)value;
            continue;
        }
        if (!set_option(name, value, o))
            return false;
    }
    /* The patterns in the order given. */
    o->excludes = o->files + argc - o->nexcludes;
    for (size_t a = 0, b = o->nexcludes; b > a + 1; a++, b--) {
        char *t = o->excludes[a];
        o->excludes[a] = o->excludes[b - 1];
        o->excludes[b - 1] = t;
    }
    return true;
}
