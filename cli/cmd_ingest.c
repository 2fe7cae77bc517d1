/* SPDX-License-Identifier: MIT */
/* cmd_ingest.c: `weft ingest LOG... [-o trace.db] [--suppressions=FILE] [--index]
 * [--all-events] [--min-wait=DURATION]`:
 * raw logs, e.g. the one a crashed or SIGKILLed program left, into a trace
 * database, then the detectors over it (findings printed unless -q).
 * Each log must be a regular file (a FIFO is refused, not waited on); the
 * trace is written as outfile.c says (0600, renamed into place, never over
 * an input or a file that is not a weft trace), and only if it holds a
 * process. Exits 0 when anything was ingested (a partial trace: one
 * warning line per kind of loss), 124 when no log could be read, 125 on
 * errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors.h"
#include "report.h"
#include "textesc.h"
#include "cli.h"

int weft_cmd_ingest(int argc, char **argv) {
    weft_cli_outputs_on_signals();
    const char *out = NULL, *supp_path = NULL, *s_min = NULL;
    char **logs = calloc((size_t)argc, sizeof *logs);
    int nlogs = 0, quiet = 0, index = 0, all = 0, no_defaults = 0, opts = 1, r, rc = 125;
    int64_t min_wait = WEFT_MIN_WAIT_NS;
    struct weft_supp_list *supp = NULL;
    if (!logs)
        return 125;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts || a[0] != '-' || !a[1]) {
            logs[nlogs++] = argv[i];
        } else if (!strcmp(a, "--")) {
            opts = 0;
        } else if ((r = weft_opt_value("ingest", argc, argv, &i, "-o", "--output", &out)) ||
                   (r = weft_opt_value("ingest", argc, argv, &i, NULL, "--suppressions",
                                       &supp_path)) ||
                   (r = weft_opt_value("ingest", argc, argv, &i, NULL, "--min-wait", &s_min))) {
            if (r < 0)
                goto out;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--no-default-suppressions")) {
            no_defaults = 1;
        } else if (!strcmp(a, "--index")) {
            index = 1;
        } else if (!strcmp(a, "--all-events")) {
            all = 1;
        } else {
            weft_err("ingest: unknown option '%s' (try weft --help)", a);
            goto out;
        }
    }
    if (s_min && weft_parse_min_wait("ingest", s_min, &min_wait) != 0)
        goto out;
    if (nlogs == 0) {
        weft_err("ingest: no log given (usage: weft ingest LOG... -o trace.db)");
        goto out;
    }
    for (int i = 0; i < nlogs; i++)
        if (weft_check_regular("log", logs[i]) != 0)
            goto out;
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
    if (weft_out_check("ingest", out, WEFT_OUT_TRACE, logs, nlogs) != 0)
        goto out;
    if (supp_path &&
        (weft_check_regular("suppressions", supp_path) != 0 || !(supp = weft_supp_load(supp_path))))
        goto out;
    struct weft_ingest_stats st = {0};
    struct weft_detect_opts dopts = {.supp = supp, .no_default_supp = no_defaults};
    struct weft_detect_result dr = {0};
    struct weft_detect_hook hook = {&dopts, &dr, 0};
    struct weft_ingest_opts o = {.quiet = quiet,
                                 .index = index,
                                 .all_events = all,
                                 .min_wait_ns = min_wait,
                                 .loaded = weft_detect_hook,
                                 .user = &hook,
                                 /* the shim's self-ingest (selfingest.c): every
                                  * fork child writes its own database */
                                 .children_apart = getenv("WEFT_SELF_INGEST") != NULL};
    struct weft_out ob;
    if (weft_out_begin(&ob, out) != 0)
        goto out;
    /* The logs of a weft run --live whose weft was killed: its trace is
     * resumed from its last commit, which holds what the logs gave back
     * (docs/reliability.md), and the detectors run over the whole of it
     * after. */
    char dir[4200], ckdb[4200] = "";
    snprintf(dir, sizeof dir, "%s", logs[0]);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int irc = 3;
    struct stat s1, s2;
    char ckdir[4200];
    int resume = weft_ingest_resume_file(dir, ckdb, sizeof ckdb);
    if (resume && (slash = strrchr(ckdb, '/')) &&
        snprintf(ckdir, sizeof ckdir, "%.*s", (int)(slash - ckdb), ckdb) > 0 &&
        stat(ckdir, &s1) == 0 && stat(ob.dir, &s2) == 0 && s1.st_dev != s2.st_dev) {
        /* its database is renamed into the trace, never copied */
        weft_err("ingest: %s resumes the trace in %s, on another file system than %s: give an -o "
                 "on that one",
                 dir, ckdb, out);
        weft_out_abort(&ob);
        goto out;
    }
    if (resume) {
        struct weft_ingest_opts ro = o;
        ro.loaded = NULL;
        ro.user = NULL;
        if (!quiet) {
            fputs("==weft== resuming the live ingest that was stopped, from ", stderr);
            weft_text_str(stderr, ckdb);
            fputs("\n", stderr);
        }
        irc = weft_ingest_resume(ckdb, dir, ob.tmp, &ro, &st);
        if (irc == 0) {
            hook.ok = weft_detect_file(ob.tmp, &dopts, &dr) == 0;
            irc = hook.ok ? 0 : -1;
            /* the temporary directory weft run made for it, if empty now */
            char j[4300], d[4200];
            snprintf(j, sizeof j, "%s-journal", ckdb);
            unlink(j);
            snprintf(d, sizeof d, "%s", ckdb);
            if ((slash = strrchr(d, '/')) && strstr(d, "/.weft-tmp-")) {
                *slash = 0;
                rmdir(d);
            }
        } else if (irc != 3) {
            weft_err("ingest: the live ingest in %s can be resumed again (fix what stopped it)",
                     ckdb);
        }
    }
    if (irc == 3)
        irc = weft_ingest(logs, nlogs, ob.tmp, &o, &st);
    if (irc != 0) {
        /* 1: no log could be read, the trace is lost (as weft run's 124);
         * a partial trace is a success, its losses printed as warnings */
        weft_out_abort(&ob);
        if (irc == 1)
            rc = 124;
        goto out;
    }
    long procs = weft_db_count_processes(ob.tmp, "ingest: ");
    if (procs == 0) {
        weft_err("ingest: no trace: the logs hold no process (nothing written to %s)", out);
        rc = 124;
    }
    if (procs <= 0 || weft_out_commit(&ob, 0) != 0) {
        weft_out_abort(&ob);
        goto out;
    }
    if (hook.ok && !quiet) {
        sqlite3 *db = weft_db_open_read(out);
        if (db)
            weft_report_text_db(out, db, stderr);
        sqlite3_close(db);
        weft_say_suppressed(&dr);
    }
    if (!quiet) {
        fputs("==weft== ", stderr);
        weft_text_str(stderr, out);
        fprintf(stderr, ": %llu processes, %llu threads, %llu events (%.0f events/s)\n",
                (unsigned long long)procs, (unsigned long long)st.threads,
                (unsigned long long)st.events,
                st.seconds > 0 ? (double)st.events / st.seconds : 0.0);
    }
    rc = 0;
out:
    weft_supp_free(supp);
    free(logs);
    return rc;
}
