/*
 * cli/main.c — tally's entry point: picks the command, and checks at the end
 * that standard output was really written (a full disk is an error, not a
 * silent truncation).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"validate", cmd_validate, "check returns; report; exit status"},
    {"convert", cmd_convert, "rewrite a return in canonical form"},
    {"build", cmd_build, "build the national dataset from many returns"},
    {"schema", cmd_schema, "describe the schema in use"},
};

static void help(FILE *out)
{
    fputs("usage: tally COMMAND [OPTIONS] ARGS...\n"
          "\n"
          "tally validates the returns local authorities send about children missing\n"
          "from care, converts them, and builds the national dataset from them.\n"
          "\n"
          "commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "  tally COMMAND --help    the command's options, with an example\n"
          "  tally --version         the version, and the built-in schema's\n", out);
}

static int version(void)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    printf("tally %s (schema %s %s)\n", TALLY_VERSION, s ? s->name : "?", s ? s->version : "?");
    tally_schema_free(s);
    return EXIT_OK;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return EXIT_TROUBLE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        help(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0)
        return version();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    cli_error("unknown command \"%s\" (see tally --help)", cmd);
    return EXIT_TROUBLE;
}

int main(int argc, char **argv)
{
    int status = dispatch(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output: %s", strerror(errno));
        status = EXIT_TROUBLE;
    }
    return status;
}
