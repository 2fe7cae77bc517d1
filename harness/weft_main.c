/* weft_main.c: the `weft` command's entry point: dispatches to the
 * subcommands (cmd_*.c) and owns --help, --version and the one-line error
 * style every subcommand uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int weft_parse_min_wait(const char *cmd, const char *s, int64_t *ns) {
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"", 1000}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    for (size_t u = 0; end != s && !errno && v >= 0 && u < sizeof units / sizeof *units; u++)
        if (!strcmp(end, units[u].unit) && v <= INT64_MAX / units[u].ns) {
            *ns = v * units[u].ns;
            return 0;
        }
    weft_err("%s: --min-wait takes a duration such as 100us, 2ms or 0, not '%s'", cmd, s);
    return -1;
}

static const char usage[] =
    "usage: weft run [-o trace.db] [-q] [--stack-depth=N] [--deadlock-timeout=MS]\n"
    "                [--trace-children] [--keep-log] [--error-exitcode=N]\n"
    "                [--suppressions=FILE] [--max-threads=N] [--index] [--all-events]\n"
    "                [--min-wait=DURATION] -- PROG [ARGS...]\n"
    "       weft ingest LOG... [-o trace.db] [--suppressions=FILE] [--index] [--all-events]\n"
    "                [--min-wait=DURATION]\n"
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
    "         those that did not fail and waited less than --min-wait, default\n"
    "         100us, and hb annotations, are counted in event_counts, with their\n"
    "         waits summed); --min-wait=0: a row for every wait.\n"
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
