/* SPDX-License-Identifier: MIT */
/* text.c: the text report, what `weft run` prints at exit and `weft
 * report` prints by default: valgrind-like "==weft==" lines. Each group
 * of findings (one fingerprint) is shown once, with a Go-style header for
 * a thread's findings (thread 7 "worker" [chan receive, leaked]:), its
 * message and stacks, and "and N more like it"; then what the traces lost,
 * the programs exec'd untraced, one SUMMARY line per group and a count.
 * Every string the program chose is escaped for the terminal (textesc.c). */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "textesc.h"
#include "weft.h"

void weft_report_frame_text(FILE *f, int depth, const struct weft_rframe *fr) {
    fprintf(f, "==weft==     #%d ", depth);
    if (fr->function)
        weft_text_str(f, fr->function);
    else
        fprintf(f, "0x%llx", (unsigned long long)fr->pc);
    if (fr->file && fr->line > 0) {
        fputc(' ', f);
        weft_text_str(f, fr->file);
        fprintf(f, ":%d", fr->line);
    } else if (fr->module) {
        fputs(" (", f);
        weft_text_str(f, fr->module);
        fputc(')', f);
    }
    fputc('\n', f);
}

/* The kinds a thread's state at exit belongs to. */
static int thread_kind(const char *kind) {
    return !strcmp(kind, "leaked-thread") || !strcmp(kind, "unjoined-thread") ||
           !strcmp(kind, "lock-held-at-exit");
}

/* thread 7 "worker" [chan receive, leaked]: */
static void thread_header(FILE *f, const struct weft_rfinding *x) {
    const char *who = x->thread_name && *x->thread_name ? x->thread_name : x->start_function;
    const char *state = weft_report_wait_name(x->blocked_in);
    if (!state)
        state = !strcmp(x->kind, "leaked-thread") ? "running" : "exited";
    fprintf(f, "==weft==   thread %lld ", (long long)x->tid);
    if (who) { /* (a thread without a name or a start function with a symbol: its number only) */
        fputc('"', f);
        weft_text_str(f, who);
        fputs("\" ", f);
    }
    fprintf(f, "[%s, %s]:\n", state, !strcmp(x->kind, "leaked-thread") ? "leaked" : x->kind);
}

/* What process pid of trace t lost, as "1234 lost events" and/or "3 lost
 * chunks of records", into buf ("" when nothing is recorded as lost). */
static const char *lost_in(sqlite3 *db, long long pid, char *buf, size_t n) {
    sqlite3_stmt *st = NULL;
    long long ev = 0, ch = 0;
    buf[0] = 0;
    if (sqlite3_prepare_v2(
            db,
            "SELECT coalesce(sum(CASE WHEN what IN ('dropped-events', 'held-at-exit') "
            "THEN count END), 0), "
            "coalesce(sum(CASE WHEN what IN ('bad-chunk', 'unwritten-chunk', "
            "'truncated', 'live-consumed') THEN count END), 0) FROM losses WHERE pid = ?",
            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, pid);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ev = sqlite3_column_int64(st, 0);
            ch = sqlite3_column_int64(st, 1);
        }
    }
    sqlite3_finalize(st);
    if (ev && ch)
        snprintf(buf, n, "%lld lost event%s and %lld lost chunk%s of records", ev,
                 ev == 1 ? "" : "s", ch, ch == 1 ? "" : "s");
    else if (ev)
        snprintf(buf, n, "%lld lost event%s", ev, ev == 1 ? "" : "s");
    else if (ch)
        snprintf(buf, n, "%lld lost chunk%s of records", ch, ch == 1 ? "" : "s");
    return buf;
}

/* One group's block: its finding x (the group's first, or another of
 * it), then "and count-1 more like it". */
void weft_report_text_block(const struct weft_report *r, FILE *f, int finding, int count) {
    const struct weft_rfinding *x = &r->findings[finding];
    const struct weft_rgroup *g = &r->groups[x->group];
    fputs("==weft== ", f);
    weft_text_str(f, x->severity);
    fputs(": ", f);
    weft_text_str(f, x->kind);
    fprintf(f, " (pid %lld)", (long long)x->pid);
    if (weft_bstate_name(g->state))
        fprintf(f, " [%s]", weft_bstate_name(g->state));
    fputc('\n', f);
    if (x->thread && thread_kind(x->kind))
        thread_header(f, x);
    fputs("==weft==   ", f);
    weft_text_str(f, x->message);
    fputc('\n', f);
    if (x->count > 1) { /* threads of the same creation site, one finding */
        fputs("==weft==   ", f);
        if (x->detail)
            weft_text_str(f, x->detail);
        else
            fprintf(f, "%d threads", x->count);
        fputc('\n', f);
    }
    if (x->uncertain) {
        char lost[160];
        lost_in(r->traces[x->trace].db, (long long)x->pid, lost, sizeof lost);
        fprintf(f, "==weft==   (uncertain: may be a consequence of the %s)\n",
                lost[0] ? lost : "records this process lost");
    }
    for (int i = 0; i < x->nstacks; i++) {
        const struct weft_rstack *s = &x->stacks[i];
        fputs("==weft==   ", f);
        weft_text_str(f, s->role);
        fputs(":\n", f);
        for (int k = 0; k < s->n; k++)
            weft_report_frame_text(f, k, &s->f[k]);
        if (!s->n)
            fputs("==weft==     (no frames recorded)\n", f);
    }
    if (count > 1)
        fprintf(f, "==weft==   and %d more like it\n", count - 1);
    fputs("==weft==\n", f);
}

/* A path or detail from the trace, escaped for the terminal into buf. */
static const char *plain(const char *s, char *buf, size_t n) {
    weft_text_escape(buf, n, s ? s : "");
    return buf;
}

/* "==weft== trace incomplete: ..." lines, one per kind of loss, and a
 * note for each program a traced process exec'd that ran untraced. */
static void losses_text(sqlite3 *db, FILE *f) {
    sqlite3_stmt *st = NULL;
    char safe[4 * 4200];
    if (sqlite3_prepare_v2(db,
                           "SELECT what, sum(count), count(*), "
                           "group_concat(DISTINCT pid), min(detail) FROM losses "
                           "GROUP BY what ORDER BY min(rowid)",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *what = (const char *)sqlite3_column_text(st, 0);
            long long count = sqlite3_column_int64(st, 1), rows = sqlite3_column_int64(st, 2);
            const char *pids = (const char *)sqlite3_column_text(st, 3);
            const char *detail = (const char *)sqlite3_column_text(st, 4);
            char who[96] = "";
            if (pids) { /* "process 42" / "processes 42,43,..." (a few) */
                int many = strchr(pids, ',') != NULL;
                snprintf(who, sizeof who, " in process%s %.60s%s", many ? "es" : "", pids,
                         strlen(pids) > 60 ? "..." : "");
            }
            if (!what)
                continue;
            fputs("==weft== trace incomplete: ", f);
            if (!strcmp(what, "dropped-events"))
                fprintf(f,
                        "%lld event%s not recorded%s (the log was full: WEFT_LOG_MB "
                        "raises its size; or its disk was full)\n",
                        count, count == 1 ? "" : "s", who);
            else if (!strcmp(what, "held-at-exit"))
                fprintf(f,
                        "%lld event%s of threads still starting a wait when the process "
                        "ended%s: those threads may look blocked or leaked\n",
                        count, count == 1 ? "" : "s", who);
            else if (!strcmp(what, "bad-chunk"))
                fprintf(f, "%lld damaged chunk%s of records skipped%s\n", count,
                        count == 1 ? "" : "s", who);
            else if (!strcmp(what, "unwritten-chunk"))
                fprintf(f,
                        "%lld chunk%s of records never written%s (a process killed as it "
                        "began one, or holes in the log: was its disk full?)\n",
                        count, count == 1 ? "" : "s", who);
            else if (!strcmp(what, "live-consumed"))
                fprintf(f,
                        "%lld chunk%s of records consumed by a weft run --live that did not "
                        "finish%s\n",
                        count, count == 1 ? "" : "s", who);
            else if (!strcmp(what, "truncated"))
                fprintf(f, "%lld chunk%s of records cut off the end of the log%s\n", count,
                        count == 1 ? "" : "s", who);
            else if (!strcmp(what, "empty-log"))
                fprintf(f,
                        "%lld empty log%s%s (processes killed, or out of memory or disk, "
                        "before they wrote one)\n",
                        rows, rows == 1 ? "" : "s", who);
            else if (!strcmp(what, "running"))
                fprintf(f,
                        "process%s %.60s%s %s still running when the trace was read (a "
                        "daemon, or a child that outlived the program): %s trace stops "
                        "there\n",
                        rows == 1 ? "" : "es", pids ? pids : "?",
                        pids && strlen(pids) > 60 ? "..." : "", rows == 1 ? "was" : "were",
                        rows == 1 ? "its" : "their");
            else if (!strcmp(what, "missing-log"))
                fprintf(f, "%lld forked process%s left no log%s\n", rows, rows == 1 ? "" : "es",
                        who);
            else
                fprintf(f, "%lld log%s left out (%s): %s\n", rows, rows == 1 ? "" : "s", what,
                        plain(detail, safe, sizeof safe));
        }
    sqlite3_finalize(st);
    st = NULL;
    /* The first few (a wrapper script's exec comes first), then a count:
     * GNU parallel's every job would be a line. */
    int notes = 0, children = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'trace_children'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        children = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    /* Traced children: the program left no log of its own (a static or
     * setuid one, or one still starting when the trace was read). */
    const char *why = children ? "which left no log (a static or setuid program, or one "
                                 "still starting when the trace was read)"
                               : "which ran untraced: use --trace-children to trace it";
    /* After a change of user (untraced = 2: runuser, su), the new image
     * could not make its log in weft run's private directory. */
    const char *why_user = children ? "after changing its user, which cannot make its log in "
                                      "weft's private directory: it ran untraced"
                                    : why;
    if (sqlite3_prepare_v2(db,
                           "SELECT pid, exec_path, untraced FROM images WHERE untraced "
                           "ORDER BY start_ns, pid, seq",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW)
            if (++notes <= 3)
                fprintf(f, "==weft== note: process %lld exec'd %s, %s\n",
                        sqlite3_column_int64(st, 0),
                        plain((const char *)sqlite3_column_text(st, 1), safe, sizeof safe),
                        sqlite3_column_int(st, 2) == 2 ? why_user : why);
    if (notes > 3)
        fprintf(f, "==weft== note: %d more processes exec'd programs that left no log%s\n",
                notes - 3, children ? "" : " (--trace-children traces them)");
    sqlite3_finalize(st);
}

/* ==weft== SUMMARY: leaked-thread pitfall.c:16 in compute (3 findings, id 1a2b...) */
static void summary_line(FILE *f, const struct weft_report *r, const struct weft_rgroup *g) {
    const struct weft_rfinding *x = &r->findings[g->first];
    const struct weft_rframe *at = weft_report_fault_frame(x);
    fputs("==weft== SUMMARY: ", f);
    weft_text_str(f, x->kind);
    if (at && at->file && at->line > 0) {
        fputc(' ', f);
        weft_text_str(f, at->file);
        fprintf(f, ":%d", at->line);
    }
    if (at && at->function) {
        fputs(" in ", f);
        weft_text_str(f, at->function);
    } else if (at) {
        /* no symbol (a stripped program): its address, as its stack shows it */
        fprintf(f, " at 0x%llx", (unsigned long long)at->pc);
        if (at->module) {
            fputs(" (", f);
            weft_text_str(f, at->module);
            fputc(')', f);
        }
    }
    fprintf(f, " (%d finding%s, id %s", g->count, g->count == 1 ? "" : "s", g->fp);
    if (weft_bstate_name(g->state))
        fprintf(f, ", %s", weft_bstate_name(g->state));
    fputs(")\n", f);
}

/* The program process pid's last image exec'd, written to f ("?" when
 * the trace does not say). */
static void exec_path_text(FILE *f, sqlite3 *db, int64_t pid) {
    sqlite3_stmt *st = NULL;
    const char *path = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT exec_path FROM images WHERE pid = ? AND exec_path IS NOT NULL "
                           "ORDER BY seq DESC LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, pid);
        if (sqlite3_step(st) == SQLITE_ROW)
            path = (const char *)sqlite3_column_text(st, 0);
    }
    weft_text_str(f, path ? path : "?");
    sqlite3_finalize(st);
}

/* A line per process: how it ended, its threads and how many of them
 * (main's aside: no one joins it) were neither joined nor detached. */
static void procs_text(const struct weft_report *r, FILE *f) {
    for (int i = 0; i < r->nprocs; i++) {
        const struct weft_rproc *p = &r->procs[i];
        long long unjoined = 0;
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->traces[p->trace].db,
                               "SELECT count(*) FROM thread_summary WHERE pid = ? AND "
                               "state IN ('alive-at-exit', 'exited-unjoined') AND tid <> 1",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, p->pid);
            if (sqlite3_step(st) == SQLITE_ROW)
                unjoined = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        fprintf(f, "==weft== process %lld ", (long long)p->pid);
        weft_text_str(f, p->argv ? p->argv : "");
        fputs(": ", f);
        if (p->has_code) {
            weft_text_str(f, p->exit_kind ? p->exit_kind : "?");
            fprintf(f, " %d", p->code);
        } else if (p->has_signal) {
            fprintf(f, "killed by signal %d", p->signal);
        } else if (p->exit_kind && !strcmp(p->exit_kind, "exec")) {
            /* it went on as a program that left no log: how that one
             * ended, and its threads, are not in the trace */
            fputs("exec'd ", f);
            exec_path_text(f, r->traces[p->trace].db, p->pid);
            fprintf(f, ", untraced from there; %lld threads\n", (long long)p->threads);
            continue;
        } else {
            weft_text_str(f, p->exit_kind ? p->exit_kind : "?");
        }
        fprintf(f, "; %lld threads, %lld not joined or detached\n", (long long)p->threads,
                unjoined);
    }
}

int weft_report_text(const struct weft_report *r, FILE *f, int with_procs) {
    if (with_procs)
        procs_text(r, f);
    int errors = 0, uncertain = 0, nnew = 0;
    for (int g = 0; g < r->ngroups; g++)
        weft_report_text_block(r, f, r->groups[g].first, r->groups[g].count);
    errors = weft_report_total(r, "error");
    for (int i = 0; i < r->nfindings; i++)
        uncertain += r->findings[i].uncertain ? r->findings[i].count : 0;
    for (int i = 0; i < r->nabsent; i++) {
        fputs("==weft== absent since the baseline: ", f);
        weft_text_str(f, r->absent[i].kind);
        fprintf(f, " (id %s, %d finding%s then): ", r->absent[i].fp, r->absent[i].count,
                r->absent[i].count == 1 ? "" : "s");
        weft_text_str(f, r->absent[i].message ? r->absent[i].message : "");
        fputc('\n', f);
    }
    /* where the threads of a killed process were (and weft report: the
     * leak checks weft run printed while it ran) */
    weft_report_states_text(r, f, with_procs);
    for (int t = 0; t < r->ntraces; t++)
        losses_text(r->traces[t].db, f);
    for (int g = 0; g < r->ngroups; g++) {
        summary_line(f, r, &r->groups[g]);
        nnew += r->groups[g].state == WEFT_BASE_NEW;
    }
    int n = weft_report_total(r, NULL); /* a finding of N threads counts N, as its group */
    fprintf(f, "==weft== %d finding%s (%d error%s, %d warning%s", n, n == 1 ? "" : "s", errors,
            errors == 1 ? "" : "s", n - errors, n - errors == 1 ? "" : "s");
    if (r->ngroups != n)
        fprintf(f, "; %d distinct", r->ngroups);
    if (uncertain)
        fprintf(f, "; %d uncertain", uncertain);
    if (r->has_baseline)
        fprintf(f, "; against the baseline: %d new, %d unchanged, %d absent", nnew,
                r->ngroups - nnew, r->nabsent);
    fputs(")\n", f);
    return 0;
}

int weft_report_text_db(const char *path, sqlite3 *db, FILE *f) {
    struct weft_report r;
    if (weft_report_load(&r, 1, &path, &db) != 0)
        return -1;
    int rc = weft_report_text(&r, f, 0);
    weft_report_free(&r);
    return rc;
}
