/* SPDX-License-Identifier: MIT */
/* json_report.c: `weft report --format=json`, the shape DESIGN.md fixes:
 * {"version": 1, "processes": [...], "findings": [...], "losses": [...]},
 * one finding per thread for the thread kinds, each with its fingerprint
 * and how many findings share it; "groups" lists each fingerprint once
 * (with its baseline state when a baseline was given) and "absent" the
 * baseline's groups no longer found. Always valid JSON whatever the
 * program put in its argv or names: every string goes through json.c. */
#include <string.h>

#include "json.h"
#include "report.h"

static void str(FILE *f, const char *s) {
    weft_json_str(f, (const unsigned char *)s);
}

static void procs_json(const struct weft_report *r, FILE *f) {
    for (int i = 0; i < r->nprocs; i++) {
        const struct weft_rproc *p = &r->procs[i];
        fprintf(f, "%s\n    {\"pid\": %lld, \"parent_pid\": %lld, \"argv\": ", i ? "," : "",
                (long long)p->pid, (long long)p->parent_pid);
        /* Re-emitted, not copied: a trace written by an older weft (or
         * damaged) may hold an argv that is not valid JSON. */
        weft_json_reemit_strings(f, p->argv);
        fputs(", ", f);
        if (p->has_code)
            fprintf(f, "\"exit_code\": %d, ", p->code);
        else if (p->has_signal)
            fprintf(f, "\"signal\": %d, ", p->signal);
        fputs("\"exit_kind\": ", f);
        str(f, p->exit_kind);
        fputs(", \"exe\": ", f);
        str(f, p->exe);
        fprintf(f,
                ", \"finished\": %s, \"dropped_events\": %lld, \"threads\": %lld, "
                "\"objects\": %lld, \"trace\": ",
                p->finished ? "true" : "false", (long long)p->dropped, (long long)p->threads,
                (long long)p->objects);
        str(f, r->traces[p->trace].path);
        fputc('}', f);
    }
}

static void frames_json(FILE *f, const struct weft_rstack *s) {
    fputc('[', f);
    for (int k = 0; k < s->n; k++) {
        const struct weft_rframe *fr = &s->f[k];
        fprintf(f, "%s{\"pc\": \"0x%llx\", \"function\": ", k ? ", " : "",
                (unsigned long long)fr->pc);
        str(f, fr->function);
        fputs(", \"file\": ", f);
        str(f, fr->file);
        if (fr->line > 0)
            fprintf(f, ", \"line\": %d}", fr->line);
        else
            fputs(", \"line\": null}", f);
    }
    fputc(']', f);
}

static void findings_json(const struct weft_report *r, FILE *f) {
    for (int i = 0; i < r->nfindings; i++) {
        const struct weft_rfinding *x = &r->findings[i];
        const struct weft_rgroup *g = &r->groups[x->group];
        fprintf(f, "%s\n    {\"kind\": ", i ? "," : "");
        str(f, x->kind);
        fputs(", \"severity\": ", f);
        str(f, x->severity);
        fprintf(f, ", \"pid\": %lld, \"message\": ", (long long)x->pid);
        str(f, x->message);
        if (x->thread)
            fprintf(f, ", \"thread\": %lld, \"tid\": %lld", (long long)x->thread,
                    (long long)x->tid);
        else
            fputs(", \"thread\": null", f);
        if (x->object)
            fprintf(f, ", \"object\": %lld", (long long)x->object);
        else
            fputs(", \"object\": null", f);
        fprintf(f, ", \"uncertain\": %s, \"fingerprint\": \"%s\", \"count\": %d",
                x->uncertain ? "true" : "false", x->fp, g->count);
        /* the threads this one finding stands for (its group's count sums them) */
        fprintf(f, ", \"threads\": %d, \"detail\": ", x->count);
        if (x->detail)
            str(f, x->detail);
        else
            fputs("null", f);
        if (weft_bstate_name(g->state))
            fprintf(f, ", \"baseline\": \"%s\"", weft_bstate_name(g->state));
        fputs(", \"stacks\": {", f);
        for (int k = 0; k < x->nstacks; k++) {
            fputs(k ? ", " : "", f);
            str(f, x->stacks[k].role);
            fputs(": ", f);
            frames_json(f, &x->stacks[k]);
        }
        fputs("}}", f);
    }
}

static void groups_json(const struct weft_report *r, FILE *f) {
    for (int i = 0; i < r->ngroups; i++) {
        const struct weft_rgroup *g = &r->groups[i];
        const struct weft_rfinding *x = &r->findings[g->first];
        const struct weft_rframe *site = weft_report_site(x), *at = weft_report_fault_frame(x);
        fprintf(f, "%s\n    {\"fingerprint\": \"%s\", \"scheme\": \"%s\", \"kind\": ", i ? "," : "",
                g->fp, WEFT_FP_VERSION);
        str(f, x->kind);
        fprintf(f, ", \"count\": %d, \"first\": %d, \"message\": ", g->count, g->first);
        str(f, x->message);
        fputs(", \"function\": ", f);
        str(f, at ? at->function : NULL);
        fputs(", \"file\": ", f);
        str(f, site ? site->file : NULL);
        if (site)
            fprintf(f, ", \"line\": %d", site->line);
        else
            fputs(", \"line\": null", f);
        if (weft_bstate_name(g->state))
            fprintf(f, ", \"baseline\": \"%s\"", weft_bstate_name(g->state));
        fputc('}', f);
    }
    for (int i = 0; i < r->nabsent; i++) {
        fprintf(f, "%s\n    {\"fingerprint\": \"%s\", \"scheme\": \"%s\", \"kind\": ",
                i || r->ngroups ? "," : "", r->absent[i].fp, WEFT_FP_VERSION);
        str(f, r->absent[i].kind);
        fprintf(f, ", \"count\": %d, \"message\": ", r->absent[i].count);
        str(f, r->absent[i].message);
        fputs(", \"baseline\": \"absent\"}", f);
    }
}

static void losses_json(const struct weft_report *r, FILE *f) {
    int first = 1;
    for (int t = 0; t < r->ntraces; t++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->traces[t].db,
                               "SELECT pid, log, what, count, detail FROM losses ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            continue;
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(f, "%s\n    {\"pid\": ", first ? "" : ",");
            first = 0;
            if (sqlite3_column_type(st, 0) != SQLITE_NULL)
                fprintf(f, "%lld", sqlite3_column_int64(st, 0));
            else
                fputs("null", f);
            fputs(", \"log\": ", f);
            str(f, (const char *)sqlite3_column_text(st, 1));
            fputs(", \"what\": ", f);
            str(f, (const char *)sqlite3_column_text(st, 2));
            fprintf(f, ", \"count\": %lld, \"detail\": ", sqlite3_column_int64(st, 3));
            str(f, (const char *)sqlite3_column_text(st, 4));
            fputc('}', f);
        }
        sqlite3_finalize(st);
    }
}

int weft_report_json(const struct weft_report *r, FILE *f) {
    fputs("{\"version\": 1, \"processes\": [", f);
    procs_json(r, f);
    fputs("\n  ], \"findings\": [", f);
    findings_json(r, f);
    fputs("\n  ], \"groups\": [", f);
    groups_json(r, f);
    fputs("\n  ], \"losses\": [", f);
    losses_json(r, f);
    fputs("\n  ]", f);
    weft_report_states_json(r, f);
    fputs("}\n", f);
    return 0;
}
