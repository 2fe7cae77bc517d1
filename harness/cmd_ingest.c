/* cmd_ingest.c: `weft ingest LOG... [-o trace.db] [--suppressions=FILE] [--index]
 * [--all-events]`:
 * raw logs, e.g. the one a crashed or SIGKILLed program left, into a trace
 * database, then the detectors over it (findings printed unless -q).
 * Exits 0 when anything was ingested (a partial trace: one warning line
 * per kind of loss), 124 when no log could be read, 125 on errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "weft.h"

int weft_cmd_ingest(int argc, char **argv) {
    const char *out = NULL;
    char **logs = calloc((size_t)argc, sizeof *logs);
    int nlogs = 0, quiet = 0, index = 0, all = 0;
    int64_t min_wait = WEFT_MIN_WAIT_NS;
    const char *supp_path = NULL;
    if (!logs)
        return 125;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
            out = argv[i] + 2;
        else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "--index"))
            index = 1;
        else if (!strcmp(argv[i], "--all-events"))
            all = 1;
        else if (!strncmp(argv[i], "--min-wait=", 11)) {
            if (weft_parse_min_wait("ingest", argv[i] + 11, &min_wait) != 0) {
                free(logs);
                return 125;
            }
        }
        else if (!strncmp(argv[i], "--suppressions=", 15))
            supp_path = argv[i] + 15;
        else if (argv[i][0] == '-' && argv[i][1]) {
            weft_err("ingest: unknown option '%s'", argv[i]);
            free(logs);
            return 125;
        } else
            logs[nlogs++] = argv[i];
    }
    if (nlogs == 0) {
        weft_err("ingest: no log given (usage: weft ingest LOG... -o trace.db)");
        free(logs);
        return 125;
    }
    char def[4200];
    if (!out) {
        /* weft-123.log -> weft-123.db */
        snprintf(def, sizeof def, "%s", logs[0]);
        char *dot = strrchr(def, '.');
        char *slash = strrchr(def, '/');
        if (dot && (!slash || dot > slash) && !strcmp(dot, ".log"))
            *dot = 0;
        strncat(def, ".db", sizeof def - strlen(def) - 1);
        out = def;
    }
    if (weft_db_check_output(out) != 0) {
        free(logs);
        return 125;
    }
    struct weft_supp_list *supp = NULL;
    if (supp_path && !(supp = weft_supp_load(supp_path))) {
        free(logs);
        return 125;
    }
    struct weft_ingest_stats st = {0};
    struct weft_detect_opts dopts = {.supp = supp};
    struct weft_detect_result dr = {0};
    struct weft_detect_hook hook = {&dopts, &dr, 0};
    struct weft_ingest_opts o = {.quiet = quiet, .index = index, .all_events = all,
                                 .min_wait_ns = min_wait, .loaded = weft_detect_hook,
                                 .user = &hook};
    int rc = weft_ingest(logs, nlogs, out, &o, &st);
    free(logs);
    if (rc != 0) {
        /* 1: no log could be read, the trace is lost (as weft run's 124);
         * a partial trace is a success, its losses printed as warnings */
        weft_supp_free(supp);
        return rc == 1 ? 124 : 125;
    }
    if (hook.ok && !quiet) {
        sqlite3 *db = weft_db_open_read(out);
        if (db)
            weft_findings_text(db, stderr);
        sqlite3_close(db);
    }
    weft_supp_free(supp);
    if (!quiet)
        fprintf(stderr, "==weft== %s: %llu processes, %llu threads, %llu events (%.0f events/s)\n",
                out, (unsigned long long)st.processes, (unsigned long long)st.threads,
                (unsigned long long)st.events, st.seconds > 0 ? st.events / st.seconds : 0.0);
    return 0;
}
