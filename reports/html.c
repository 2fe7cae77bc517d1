/* SPDX-License-Identifier: MIT */
/* html.c: `weft report --format=html`, one self-contained page: the CSS
 * and script (reports/html/report.css, report.js, embedded at build time)
 * inline, the data as JSON in a <script type="application/json"> that the
 * script draws (summary, finding groups with their stacks and source,
 * timeline, channel graph, thread and channel tables). No external
 * resource and a strict Content-Security-Policy: only the embedded script
 * and style run, allowed by their SHA-256 hashes, so even a string that
 * escaped its context could not run; and none can: the data is JSON with
 * <, >, & and U+2028/2029 written as \uXXXX (so no "</script>" or "<!--"
 * can appear inside the data), and the script puts strings in the page as
 * text nodes and attribute values only, never as markup. Also the helper
 * that writes one trace's page to a file (weft run --html, weft scenarios
 * run --html-dir). The section on the Perfetto trace is html_perfetto.c's. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detectors.h"
#include "html.h"
#include "json.h"
#include "outfile.h"
#include "weft.h"

/* Bounds of a page: groups with their stacks, source snippets, groups at all. */
enum { MAX_DETAILED = 400, SOURCE_BUDGET = 800, MAX_GROUPS = 5000 };

void weft__html_str(FILE *j, const char *s) {
    weft_json_str(j, (const unsigned char *)s);
}

void weft__html_b64_hash(const char *hex, char out[48]) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char b[33] = {0};
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (unsigned char)v;
    }
    int o = 0;
    for (int i = 0; i < 32; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | (i + 2 < 32 ? b[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        out[o++] = i + 1 < 32 ? al[v >> 6 & 63] : '=';
        out[o++] = i + 2 < 32 ? al[v & 63] : '=';
    }
    out[o] = 0;
}

/* The data written into the script tag: the JSON as made, with every
 * character that could end the tag or start markup or a comment (<, >, &),
 * and the two line separators old parsers took for line ends, as \uXXXX.
 * Outside strings JSON has none of them, so this only touches strings. */
static void script_safe(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<' || c == '>' || c == '&')
            fprintf(f, "\\u%04x", c);
        else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            fprintf(f, "\\u%04x", 0x2000 + ((unsigned char)s[i + 2] - 0xa8 + 0x28));
            i += 2;
        } else
            fputc(c, f);
    }
}

static long long us(int64_t ns) {
    return (long long)(ns / 1000);
}

static void procs_json(const struct weft_report *r, FILE *j) {
    fputs(", \"procs\": [", j);
    for (int i = 0; i < r->nprocs; i++) {
        const struct weft_rproc *p = &r->procs[i];
        fprintf(j, "%s\n{\"trace\": %d, \"pid\": %lld, \"parent\": %lld, \"argv\": ", i ? "," : "",
                p->trace, (long long)p->pid, (long long)p->parent_pid);
        weft_json_reemit_strings(j, p->argv);
        fputs(", \"exe\": ", j);
        weft__html_str(j, p->exe);
        fputs(", \"exit\": ", j);
        weft__html_str(j, p->exit_kind);
        if (p->has_code)
            fprintf(j, ", \"code\": %d", p->code);
        if (p->has_signal)
            fprintf(j, ", \"signal\": %d", p->signal);
        fprintf(j,
                ", \"dur\": %lld, \"threads\": %lld, \"objects\": %lld, \"dropped\": %lld, "
                "\"finished\": %s, \"complete\": %s}",
                us(weft_report_span(p->start_ns, p->end_ns)), (long long)p->threads,
                (long long)p->objects, (long long)p->dropped, p->finished ? "true" : "false",
                p->complete ? "true" : "false");
    }
    fputs("]", j);
}

static void kinds_json(const struct weft_report *r, FILE *j) {
    int n;
    const struct weft_kind_info *k = weft_kinds(&n);
    fputs(", \"kinds\": {", j);
    int w = 0;
    for (int i = 0; i < n; i++) {
        int used = 0;
        for (int g = 0; !used && g < r->ngroups; g++)
            used = !strcmp(r->findings[r->groups[g].first].kind, k[i].name);
        if (!used)
            continue;
        fputs(w++ ? ",\n" : "\n", j);
        weft__html_str(j, k[i].name);
        fputs(": {\"title\": ", j);
        weft__html_str(j, k[i].title);
        fputs(", \"severity\": ", j);
        weft__html_str(j, k[i].severity);
        fputs(", \"precision\": ", j);
        weft__html_str(j, k[i].precision);
        fputs(", \"explain\": ", j);
        weft__html_str(j, k[i].explain);
        fputs(", \"fix\": ", j);
        weft__html_str(j, k[i].fix);
        fputc('}', j);
    }
    fputs("}", j);
}

/* What a finding's thread was blocked on at the end: "chan 0x55.. made
 * in main", or NULL. */
static void blocked_on(const struct weft_report *r, const struct weft_rfinding *x, FILE *j) {
    sqlite3_stmt *st = NULL;
    fputs(", \"blocked_on\": ", j);
    if (!x->thread || !x->blocked_in ||
        sqlite3_prepare_v2(r->traces[x->trace].db,
                           "SELECT o.kind, printf('0x%x', b.obj), (SELECT fr.function FROM frames "
                           "fr WHERE fr.stack = o.create_stack AND fr.function IS NOT NULL ORDER "
                           "BY fr.depth LIMIT 1) FROM blocked_at_exit b LEFT JOIN objects o ON "
                           "o.id = b.object WHERE b.thread = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        fputs("null", j);
        return;
    }
    sqlite3_bind_int64(st, 1, x->thread);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *made = (const char *)sqlite3_column_text(st, 2);
        char buf[512];
        snprintf(buf, sizeof buf, "%s %s%s%s", kind ? kind : "object",
                 (const char *)sqlite3_column_text(st, 1), made ? " made in " : "",
                 made ? made : "");
        weft__html_str(j, buf);
    } else {
        fputs("null", j);
    }
    sqlite3_finalize(st);
}

static void frames_json(FILE *j, const struct weft_rstack *s, int *budget) {
    fputs("[", j);
    for (int k = 0; k < s->n; k++) {
        const struct weft_rframe *fr = &s->f[k];
        fprintf(j, "%s{\"pc\": \"0x%llx\", \"fn\": ", k ? ", " : "", (unsigned long long)fr->pc);
        weft__html_str(j, fr->function);
        fputs(", \"file\": ", j);
        weft__html_str(j, fr->file);
        fprintf(j, ", \"line\": %d, \"module\": ", fr->line);
        weft__html_str(j, fr->module);
        fputs(", \"src\": ", j);
        weft__html_source(j, fr->file, fr->line, budget);
        fputc('}', j);
    }
    fputs("]", j);
}

static void groups_json(const struct weft_report *r, FILE *j, struct weft__html_notes *notes) {
    int budget = SOURCE_BUDGET;
    fputs(", \"groups\": [", j);
    int ngroups = r->ngroups < MAX_GROUPS ? r->ngroups : MAX_GROUPS;
    for (int i = 0; i < ngroups; i++) {
        const struct weft_rgroup *g = &r->groups[i];
        const struct weft_rfinding *x = &r->findings[g->first];
        const struct weft_rframe *site = weft_report_site(x), *at = weft_report_fault_frame(x);
        fprintf(j, "%s\n{\"fp\": \"%s\", \"kind\": ", i ? "," : "", g->fp);
        weft__html_str(j, x->kind);
        fputs(", \"severity\": ", j);
        weft__html_str(j, x->severity);
        fprintf(j, ", \"count\": %d, \"trace\": %d, \"pid\": %lld, \"ts\": %lld, \"message\": ",
                g->count, x->trace, (long long)x->pid,
                x->proc >= 0 ? us(x->ts - r->procs[x->proc].start_ns) : 0LL);
        weft__html_str(j, x->message);
        fputs(", \"detail\": ", j);
        weft__html_str(j, x->detail);
        fprintf(j, ", \"uncertain\": %s, \"baseline\": ", x->uncertain ? "true" : "false");
        weft__html_str(j, weft_bstate_name(g->state));
        if (x->thread) {
            fprintf(j, ", \"tid\": %lld, \"thread_name\": ", (long long)x->tid);
            weft__html_str(j, x->thread_name);
            fputs(", \"start\": ", j);
            weft__html_str(j, x->start_function);
        }
        fputs(", \"blocked\": ", j);
        weft__html_str(j, weft_report_wait_name(x->blocked_in));
        blocked_on(r, x, j);
        fputs(", \"function\": ", j);
        weft__html_str(j, at ? at->function : NULL);
        fputs(", \"file\": ", j);
        weft__html_str(j, site ? site->file : NULL);
        fprintf(j, ", \"line\": %d, \"stacks\": [", site ? site->line : 0);
        for (int k = 0; i < MAX_DETAILED && k < x->nstacks; k++) {
            fputs(k ? ", {\"role\": " : "{\"role\": ", j);
            weft__html_str(j, x->stacks[k].role);
            fputs(", \"frames\": ", j);
            frames_json(j, &x->stacks[k], &budget);
            fputc('}', j);
        }
        fputs("]}", j);
    }
    fputs("]", j);
    if (r->ngroups > ngroups) {
        long long left = 0;
        for (int i = ngroups; i < r->ngroups; i++)
            left += r->groups[i].count;
        weft__html_note(notes,
                        "findings: %d more distinct findings (%lld in all) left out (over "
                        "%d; weft report --format=json has them all)",
                        r->ngroups - ngroups, left, MAX_GROUPS);
    }
    if (r->ngroups > MAX_DETAILED)
        weft__html_note(notes,
                        "findings: the stacks of %d groups past the first %d are left "
                        "out (the table lists them all)",
                        r->ngroups - MAX_DETAILED, MAX_DETAILED);
    if (budget <= 0)
        weft__html_note(notes, "findings: source lines are shown for the first %d frames only",
                        SOURCE_BUDGET);
    fputs(", \"absent\": [", j);
    for (int i = 0; i < r->nabsent; i++) {
        fprintf(j, "%s{\"fp\": \"%s\", \"kind\": ", i ? ", " : "", r->absent[i].fp);
        weft__html_str(j, r->absent[i].kind);
        fprintf(j, ", \"count\": %d, \"message\": ", r->absent[i].count);
        weft__html_str(j, r->absent[i].message);
        fputc('}', j);
    }
    fprintf(j, "], \"has_baseline\": %s", r->has_baseline ? "true" : "false");
}

int weft_report_html(const struct weft_report *r, FILE *f, const char *perfetto_link,
                     const char *page) {
    char *data = NULL;
    size_t len = 0;
    struct weft__html_notes notes = {0};
    FILE *j = open_memstream(&data, &len);
    if (!j) {
        weft_err("report: out of memory");
        return -1;
    }
    fprintf(j, "{\"version\": 1, \"scheme\": \"%s\", \"traces\": [", WEFT_FP_VERSION);
    for (int t = 0; t < r->ntraces; t++) {
        fputs(t ? ", " : "", j);
        weft__html_str(j, r->traces[t].path);
    }
    fputs("]", j);
    procs_json(r, j);
    weft_report_states_json(r, j); /* state_at_death, leak_checks: as in the JSON report */
    kinds_json(r, j);
    groups_json(r, j, &notes);
    int rc = weft__html_trace_data(r, j, &notes);
    if (rc == 0)
        rc = weft__html_chans(r, j, &notes);
    fputs(", \"notes\": [", j);
    for (int i = 0; i < notes.n; i++) {
        fputs(i ? ", " : "", j);
        weft__html_str(j, notes.s[i]);
        free(notes.s[i]);
    }
    fputs("]}", j);
    if (fclose(j) != 0 || rc != 0) {
        if (rc == 0)
            weft_err("report: out of memory");
        free(data);
        return -1;
    }
    char css_h[48], js_h[48];
    weft__html_b64_hash(weft__report_css_sha256, css_h);
    weft__html_b64_hash(weft__report_js_sha256, js_h);
    /* The first line is how outfile.c knows a weft report it may replace. */
    fputs("<!DOCTYPE html>\n<!-- weft report (HTML); the data is in #weft-data -->\n"
          "<html lang=\"en\"><head><meta charset=\"utf-8\">\n",
          f);
    fprintf(f,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "script-src 'sha256-%s'; style-src 'sha256-%s'; img-src data:; base-uri 'none'; "
            "form-action 'none'\">\n",
            js_h, css_h);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>weft report</title>\n<style>",
          f);
    fputs(weft__report_css, f);
    fputs("</style>\n</head>\n<body>\n<noscript><p>This report is drawn by its inline script: "
          "allow scripts for this file (the data is in the page source).</p></noscript>\n"
          "<div id=\"app\"></div>\n",
          f);
    /* Static markup, so that it works without the script; the script
     * moves it below the summary. */
    if (weft__html_perfetto(f, r, perfetto_link, page) != 0) {
        free(data);
        return -1;
    }
    fputs("<script type=\"application/json\" id=\"weft-data\">", f);
    script_safe(f, data, len);
    fputs("</script>\n<script>", f);
    fputs(weft__report_js, f);
    fputs("</script>\n</body>\n</html>\n", f);
    free(data);
    return 0;
}

int weft_report_html_file(const char *db_path, const char *out, const char *perfetto_link) {
    struct weft_report model = {0};
    struct weft_out ob = {.dir = ""};
    char *ins[1] = {(char *)db_path};
    FILE *f = NULL;
    int rc = -1;
    sqlite3 *db = weft_db_open_read(db_path);
    if (!db || weft_report_load(&model, 1, &db_path, &db) != 0)
        goto done;
    if (weft_out_check("report", out, WEFT_OUT_REPORT, ins, 1) != 0 ||
        weft_out_begin(&ob, out) != 0)
        goto done;
    if (!(f = weft_out_open(&ob, "report")))
        goto done;
    if (weft_report_html(&model, f, perfetto_link, out) != 0)
        goto done;
    int bad = weft_out_close(f, "report", out);
    f = NULL;
    if (bad)
        goto done;
    if (weft_out_commit(&ob, 0) != 0)
        goto done;
    rc = 0;
done:
    if (f)
        fclose(f);
    if (rc != 0)
        weft_out_abort(&ob);
    weft_report_free(&model);
    sqlite3_close(db);
    return rc;
}
