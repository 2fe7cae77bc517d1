/* SPDX-License-Identifier: MIT */
/* weft_main.c: the `weft` command's entry point: dispatches to the
 * subcommands (cmd_*.c) and owns --help, --version, the --min-wait
 * syntax and where the running binary lies. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textesc.h"
#include "cli.h"

int weft_self_exe(char *out, size_t n) {
    ssize_t len = readlink("/proc/self/exe", out, n);
    if (len <= 0 || (size_t)len >= n) {
        if (len > 0)
            errno = ENAMETOOLONG;
        return -1;
    }
    out[len] = 0;
    return 0;
}

int weft_parse_min_wait(const char *cmd, const char *s, int64_t *ns) {
    /* Digits, then a unit: no sign, no spaces, no overflow (at most an
     * hour, far beyond any wait worth a row). */
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"", 1000}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    const int64_t max = 3600LL * 1000000000;
    int64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && v <= max; p++)
        v = v * 10 + (*p - '0');
    for (size_t u = 0; p != s && v <= max && u < sizeof units / sizeof *units; u++)
        if (!strcmp(p, units[u].unit) && v <= max / units[u].ns) {
            *ns = v * units[u].ns;
            return 0;
        }
    weft_err("%s: --min-wait takes a duration 0..3600s such as 100us, 2ms or 0 (a bare number "
             "is microseconds), not '%s'",
             cmd, s);
    return -1;
}

int weft_parse_keep_rows(const char *cmd, const char *s, int64_t *ns) {
    return weft_parse_duration(cmd, "--keep-rows", s, ns);
}

int weft_parse_duration(const char *cmd, const char *opt, const char *s, int64_t *ns) {
    /* Digits, then a unit (a bare number is seconds): at least 1 ms, at
     * most a year. */
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"", 1000000000},
                 {"ms", 1000000},
                 {"s", 1000000000},
                 {"m", 60LL * 1000000000},
                 {"h", 3600LL * 1000000000}};
    const int64_t max = 366LL * 86400 * 1000000000;
    int64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && v <= max; p++)
        v = v * 10 + (*p - '0');
    for (size_t u = 0; p != s && v > 0 && v <= max && u < sizeof units / sizeof *units; u++)
        if (!strcmp(p, units[u].unit) && v <= max / units[u].ns) {
            *ns = v * units[u].ns;
            return 0;
        }
    weft_err("%s: %s takes a duration such as 500ms, 90s, 10m or 2h (a bare number is "
             "seconds), not '%s'",
             cmd, opt, s);
    return -1;
}

/* The usage text: the one description of the command line. docs/weft.1
 * is checked against it (tests/harness/usage_test.sh: the options of each
 * subcommand's synopsis, and every option either documents). Its shape is
 * what usage_of() reads: synopsis lines ("usage: weft SUB" or 7 spaces
 * and "weft SUB", then lines that continue them), a blank line, one
 * paragraph per subcommand (its name at the start of the line, the rest
 * indented), a blank line, and what holds for all of them. */
static const char usage[] =
    "usage: weft run [-o trace.db] [-q] [--stack-depth=N] [--deadlock-timeout=MS]\n"
    "                [--trace-children] [--keep-log[=DIR]] [--error-exitcode=N]\n"
    "                [--suppressions=FILE] [--no-default-suppressions]\n"
    "                [--max-threads=N] [--index] [--all-events]\n"
    "                [--min-wait=DURATION] [--html FILE] [--live|--no-live]\n"
    "                [--keep-rows=DURATION] [--leak-check[=INTERVAL]]\n"
    "                [--leak-threshold=DURATION] -- PROG [ARGS...]\n"
    "       weft ingest LOG... [-o trace.db] [-q] [--suppressions=FILE]\n"
    "                [--no-default-suppressions] [--index] [--all-events]\n"
    "                [--min-wait=DURATION]\n"
    "       weft report [--format=text|json|html|perfetto|sarif|junit] [-o FILE]\n"
    "                [--baseline OLD.db|OLD.json [--only-new]] [--srcroot DIR]\n"
    "                [--perfetto-link NAME]\n"
    "                [--from MS] [--to MS] [--max-events N] trace.db...\n"
    "       weft scenarios list\n"
    "       weft scenarios run [NAME|GLOB...] [--junit FILE] [-j N] [--repeat N]\n"
    "                [--keep DIR] [--html-dir DIR]\n"
    "       weft --help | --version\n"
    "\n"
    "run      runs PROG under the recorder (LD_PRELOAD), passing its stdin, stdout,\n"
    "         stderr and exit status through (death by signal N: 128+N), then\n"
    "         writes the trace database (default weft-PID.db, never over an\n"
    "         existing file) and prints the detectors' findings on stderr.\n"
    "         --error-exitcode=N: exit N (1..255; 0: off) when an error finding\n"
    "         was reported; --suppressions=FILE: lines kind:glob (function,\n"
    "         file or module) or kind:module=GLOB creator=GLOB spawner=GLOB\n"
    "         name=GLOB (a frame's module; a frame of the thread's creation\n"
    "         stack; the code that created it; its name) to silence;\n"
    "         --no-default-suppressions: also report the threads that\n"
    "         runtimes keep until exit (OpenMP, Ruby, Node.js, the JVM, GLib)\n"
    "         and bash's double closes, which weft's default rules silence;\n"
    "         --max-threads=N: unbounded-threads threshold\n"
    "         (default 1000); --keep-log: keep the raw logs in TRACE.logs/ beside\n"
    "         the trace (--keep-log=DIR: in DIR, which weft makes); --index:\n"
    "         also index events by thread and by object (for many ad hoc\n"
    "         queries; costs more than the load); --all-events: a row in events\n"
    "         for every event (else channel operations that did not fail and\n"
    "         waited less than --min-wait, default 100us, hb annotations, and\n"
    "         mutex locks that did not wait and carried no new happens-before\n"
    "         edge, with the unlock before them, are counted in event_counts);\n"
    "         --min-wait=0: a row for every wait. --html FILE: also write the\n"
    "         HTML report of the trace (as weft report --format=html) and its\n"
    "         Perfetto trace beside it (FILE without .html, .perfetto.json),\n"
    "         which the page links. --live: read the logs while PROG runs\n"
    "         (backing off while PROG keeps the CPUs busy) and give their disk\n"
    "         back as they are consumed (not with --keep-log); --no-live: after\n"
    "         its exit; by default after the exit, or live once the logs take\n"
    "         1 GiB of disk. --keep-rows=DURATION (90s, 10m, 2h; bare: seconds):\n"
    "         only the last DURATION of event rows are kept (findings, objects,\n"
    "         threads and counts stay whole; meta and one line say what was\n"
    "         dropped). --leak-check[=INTERVAL] (default 10s): every INTERVAL,\n"
    "         print each thread blocked longer than --leak-threshold=DURATION\n"
    "         (default: the interval) in a wait only another thread can end,\n"
    "         with its creation stack, once per wait. SIGUSR1 to weft (never\n"
    "         passed on) prints every traced thread's state now.\n"
    "ingest   turns raw logs (e.g. left by a crash, or by LD_PRELOAD use) into a\n"
    "         trace database and runs the detectors.\n"
    "report   prints trace databases as text or JSON, writes one HTML page\n"
    "         (timeline, channel graph, stacks with source; opens from file://),\n"
    "         Chrome trace-event JSON for ui.perfetto.dev (perfetto: --from/--to\n"
    "         MS from the trace's start, --max-events N items, default 1000000,\n"
    "         0: all), SARIF 2.1.0 for code scanning (--srcroot DIR: file URIs\n"
    "         relative to DIR, default the current directory) or JUnit XML.\n"
    "         The HTML page links its Perfetto trace with --perfetto-link NAME\n"
    "         (a path relative to the page), else shows the command to write it,\n"
    "         and says how to open it (ui.perfetto.dev, \"Open trace file\").\n"
    "         Findings of one fingerprint are grouped; --baseline marks them new\n"
    "         or unchanged and lists the absent; --only-new: new only.\n"
    "scenarios lists or runs the scenario suite (the seed's patterns and pitfalls\n"
    "         as programs, in libexec/weft/scenarios, or $WEFT_SCENARIOS): each\n"
    "         runs as weft run -q -o trace.db -- PROG would, in a directory of\n"
    "         its own (kept under --keep DIR, which weft makes), and is compared\n"
    "         with the manifest (findings by kind, count and line, stdout, exit\n"
    "         status); prints a table and a scoreboard per class. -j N (--jobs):\n"
    "         N at once (default: the CPUs); --repeat N: each N times (one\n"
    "         mismatch fails it); --junit FILE: JUnit XML; --html-dir DIR: an\n"
    "         HTML report per scenario and index.html (verdicts, scoreboard).\n"
    "\n"
    "Options take --opt=VALUE or --opt VALUE; -o FILE, -oFILE or --output=FILE;\n"
    "-q or --quiet: run prints only findings and losses (no trace or report\n"
    "lines); ingest prints nothing. Traces and reports are written 0600; -o\n"
    "replaces only a file of the same kind, never an input.\n"
    "\n"
    "Exit status of weft run: PROG's (or --error-exitcode's N); 124: PROG ran\n"
    "but no trace could be written or read; 125: bad usage, or an error of weft\n"
    "itself; 126: PROG cannot be run under LD_PRELOAD (static, not executable);\n"
    "127: PROG not found. Of ingest and report: 0, or 125 on any error. Of\n"
    "scenarios run: 0 when every scenario matched, 1 on a mismatch, 125 on an\n"
    "error.\n";

/* weft SUB --help: SUB's part of the usage text (its synopsis lines, its
 * paragraph, and the part for all) on f; 0 if the text has no synopsis
 * of SUB (a subcommand left out of it: usage_sub_help fails then). */
static int usage_of(FILE *f, const char *sub) {
    size_t n = strlen(sub);
    int section = 0; /* 0: synopsis, 1: paragraphs, 2: the rest */
    int mine = 0, found = 0;
    for (const char *p = usage, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        int len = (int)(e - p);
        if (len == 0 && section < 2) {
            section++;
            mine = 0;
            fputc('\n', f);
            continue;
        }
        if (section == 0) {
            /* "usage: weft SUB ..." or "       weft SUB ...": a new entry */
            if (len > 12 && (!strncmp(p, "usage: ", 7) || !strncmp(p, "       ", 7)) &&
                !strncmp(p + 7, "weft ", 5)) {
                const char *w = p + 12;
                mine = !strncmp(w, sub, n) && (w[n] == ' ' || w[n] == '\n');
                if (mine && !found++) {
                    fprintf(f, "usage: %.*s\n", len - 7, p + 7);
                    continue;
                }
            }
        } else if (section == 1 && *p != ' ') {
            mine = !strncmp(p, sub, n) && p[n] == ' ';
        }
        if (mine || section == 2)
            fprintf(f, "%.*s\n", len, p);
    }
    return found;
}

int main(int argc, char **argv) {
    /* stderr by whole lines, one write each (lines up to BUFSIZ): a
     * signal's message, written by its handler, then never lands inside a
     * line of the reports, and weft's lines and those of the program it
     * runs (the same stderr) interleave whole. */
    static char errbuf[BUFSIZ];
    setvbuf(stderr, errbuf, _IOLBF, sizeof errbuf);
    if (argc < 2) {
        fputs(usage, stderr);
        return 125;
    }
    const char *cmd = argv[1];
    int rc;
    /* weft SUB --help, also weft scenarios list|run --help: SUB's part. */
    int sub_help = argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
    if (argc >= 4 && !strcmp(cmd, "scenarios") &&
        (!strcmp(argv[2], "list") || !strcmp(argv[2], "run")) &&
        (!strcmp(argv[3], "--help") || !strcmp(argv[3], "-h")))
        sub_help = 1;
    if (sub_help && (!strcmp(cmd, "run") || !strcmp(cmd, "ingest") || !strcmp(cmd, "report") ||
                     !strcmp(cmd, "scenarios"))) {
        rc = usage_of(stdout, cmd) ? 0 : 125;
    } else if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        rc = 0;
    } else if (!strcmp(cmd, "--version")) {
        printf("weft %s\n", WEFT_VERSION);
        rc = 0;
    } else if (!strcmp(cmd, "run")) {
        rc = weft_cmd_run(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "ingest")) {
        rc = weft_cmd_ingest(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "report")) {
        rc = weft_cmd_report(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "scenarios")) {
        rc = weft_cmd_scenarios(argc - 1, argv + 1);
    } else {
        weft_err("unknown command '%s' (try weft --help)", cmd);
        return 125;
    }
    /* Whatever went to standard output must have got there (a full disk,
     * a closed pipe): otherwise say so and fail. */
    errno = 0;
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
        weft_err("cannot write standard output: %s", errno ? strerror(errno) : "write error");
        return 125;
    }
    return rc;
}
