/* weft_main.c: the `weft` command's entry point: dispatches to the
 * subcommands (cmd_*.c) and owns --help, --version and the one-line error
 * style every subcommand uses. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "weft.h"

void weft_err(const char *fmt, ...) {
    va_list ap;
    fputs("weft: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char usage[] =
    "usage: weft run [-o trace.db] [-q] [--stack-depth=N] [--deadlock-timeout=MS]\n"
    "                [--trace-children] [--keep-log] [--error-exitcode=N]\n"
    "                [--suppressions=FILE] [--max-threads=N] [--index] [--all-events]\n"
    "                -- PROG [ARGS...]\n"
    "       weft ingest LOG... [-o trace.db] [--suppressions=FILE] [--index] [--all-events]\n"
    "       weft report [--format=text|json] [-o FILE] trace.db...\n"
    "       weft --help | --version\n"
    "\n"
    "run      runs PROG under the recorder (LD_PRELOAD), passing its stdin, stdout,\n"
    "         stderr and exit status through (death by signal N: 128+N), then\n"
    "         writes the trace database (default weft-PID.db) and prints the\n"
    "         detectors' findings on stderr. --error-exitcode=N: exit N when an\n"
    "         error finding was reported; --suppressions=FILE: lines kind:glob\n"
    "         (function or file) to silence; --max-threads=N: unbounded-threads\n"
    "         threshold (default 1000); --index: also index events by thread and\n"
    "         by object (for many ad hoc queries; costs more than the load);\n"
    "         --all-events: a row in events for every channel operation (else\n"
    "         those that neither waited nor failed, and hb annotations, are\n"
    "         counted in event_counts).\n"
    "ingest   turns raw logs (e.g. left by a crash, or by LD_PRELOAD use) into a\n"
    "         trace database and runs the detectors.\n"
    "report   prints a trace database as text or JSON.\n"
    "\n"
    "Exit status of weft itself on errors: 125 (bad usage or input), 126 (PROG\n"
    "cannot be run), 127 (PROG not found).\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return 125;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("weft %s\n", WEFT_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return weft_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "ingest"))
        return weft_cmd_ingest(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return weft_cmd_report(argc - 1, argv + 1);
    weft_err("unknown command '%s' (try weft --help)", cmd);
    return 125;
}
