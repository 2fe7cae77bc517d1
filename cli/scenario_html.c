/* SPDX-License-Identifier: MIT */
/* scenario_html.c: `weft scenarios run --html-dir DIR`: the HTML report
 * of each scenario's run (reports/html.c, from the trace the run left;
 * its first failing run when it was repeated) as DIR/NAME.html, and
 * DIR/index.html: a table of every scenario with what it expected and
 * found, its verdict and a link to its report, the mismatches' reasons,
 * and the scoreboard per class. The index is static HTML (no script), its
 * style the report's own (report.css), allowed by hash like the reports';
 * every string in it is escaped as HTML text, names in links as URL
 * paths. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"
#include "scenario_run.h"
#include "cli.h"

/* s as HTML text (also safe in a quoted attribute). */
static void h(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fprintf(f, "\\x%02x", (unsigned char)*s);
            else
                fputc(*s, f);
        }
    }
}

/* s as one segment of a relative URL path: anything but [A-Za-z0-9._-]
 * percent-encoded (so a name can neither leave the directory nor start a
 * scheme). */
static void u(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-' || (c == '.' && s[1] != '.'))
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

static int write_index(FILE *f, const struct weft_sresult *res, int n, const char *has, int repeat,
                       double wall) {
    char hash[48], buf[1024];
    weft__html_b64_hash(weft__report_css_sha256, hash);
    fprintf(f,
            "<!DOCTYPE html>\n<!-- weft report (HTML): the scenario suite -->\n"
            "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'sha256-%s'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
            "<title>weft scenarios</title>\n<style>%s</style>\n</head>\n<body>\n",
            hash, weft__report_css);
    int passed = 0, known = 0;
    for (int i = 0; i < n; i++) {
        passed += !res[i].failed && !res[i].sc->known;
        known += res[i].failed && res[i].sc->known;
    }
    fprintf(f,
            "<header><h1>weft scenarios</h1><div class=\"sub\">%d scenario%s, %d passed, "
            "%d known gap%s, %d failed%s; %.1f s</div></header>\n<main>\n",
            n, n == 1 ? "" : "s", passed, known, known == 1 ? "" : "s", n - passed - known,
            repeat > 1 ? " (each run several times)" : "", wall);
    fputs("<section><h2>Scenarios</h2>\n<table id=\"scenarios\"><thead><tr><th>scenario</th>"
          "<th>family</th><th>class</th><th>expected</th><th>found</th><th>verdict</th>"
          "<th class=\"num\">time</th><th>report</th></tr></thead><tbody>\n",
          f);
    for (int i = 0; i < n; i++) {
        const struct weft_sresult *r = &res[i];
        const struct weft_srun *run = weft_scenario_shown_run(r);
        fputs("<tr><td class=\"mono\">", f);
        h(f, r->sc->name);
        fputs("</td><td>", f);
        h(f, r->sc->family);
        fputs("</td><td>", f);
        h(f, r->sc->klass);
        fputs("</td><td class=\"mono\">", f);
        weft_scenario_expected_str(r->sc, buf, sizeof buf);
        h(f, buf);
        fputs("</td><td class=\"mono\">", f);
        weft_scenario_found_str(run, buf, sizeof buf);
        h(f, buf);
        weft_scenario_verdict(r, buf, sizeof buf);
        fprintf(f, "</td><td class=\"%s\">", strncmp(buf, "FAIL", 4) ? "" : "sev-error");
        h(f, buf);
        fprintf(f, "</td><td class=\"num\">%.2f s</td><td>", r->secs / (r->nruns ? r->nruns : 1));
        if (has[i]) {
            fputs("<a class=\"report\" href=\"", f);
            u(f, r->sc->name);
            fputs(".html\">report</a>", f);
        } else {
            fputs("<span class=\"muted\">no trace</span>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></section>\n", f);
    int header = 0;
    for (int i = 0; i < n; i++) {
        const struct weft_srun *run = weft_scenario_shown_run(&res[i]);
        if (run->pass || !run->why.s)
            continue;
        if (!header++)
            fputs("<section><h2>Mismatches</h2>\n", f);
        fputs("<h3 class=\"mono\">", f);
        h(f, res[i].sc->name);
        fputs(res[i].sc->known ? " (known gap)</h3>\n<pre>" : "</h3>\n<pre>", f);
        h(f, run->why.s);
        fputs("</pre>\n", f);
    }
    if (header)
        fputs("</section>\n", f);
    struct weft_sclass *ks;
    int nk = weft_scenario_score(res, n, &ks);
    if (nk < 0) {
        weft_err("out of memory");
        return -1;
    }
    fputs("<section><h2>Scoreboard</h2>\n<table id=\"scoreboard\"><thead><tr><th>class</th>"
          "<th class=\"num\">scenarios</th><th class=\"num\">TP</th><th class=\"num\">FN</th>"
          "<th class=\"num\">FP</th><th class=\"num\">precision</th><th class=\"num\">recall</th>"
          "</tr></thead><tbody>\n",
          f);
    for (int k = 0; k < nk; k++) {
        const struct weft_sclass *c = &ks[k];
        char prec[16], rec[16];
        weft_scenario_ratio(prec, sizeof prec, c->tp, c->tp + c->fp);
        weft_scenario_ratio(rec, sizeof rec, c->tp, c->tp + c->fn);
        fputs("<tr><td>", f);
        h(f, c->name);
        fprintf(f,
                "</td><td class=\"num\">%d</td><td class=\"num\">%ld</td><td class=\"num\">%ld"
                "</td><td class=\"num\">%ld</td><td class=\"num\">%s</td>"
                "<td class=\"num\">%s</td></tr>\n",
                c->scenarios, c->tp, c->fn, c->fp, prec, rec);
    }
    free(ks);
    fputs("</tbody></table></section>\n</main>\n</body>\n</html>\n", f);
    return 0;
}

int weft_scenario_html(const char *dir, const struct weft_sresult *res, int n, int repeat,
                       double wall) {
    char *has = calloc((size_t)n + 1, 1);
    char path[PATH_MAX + 512], db[sizeof((struct weft_srun *)0)->dir + 16];
    int rc = 0;
    if (!has) {
        weft_err("out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const struct weft_srun *run = weft_scenario_shown_run(&res[i]);
        struct stat st;
        snprintf(db, sizeof db, "%s/trace.db", run->dir);
        if (stat(db, &st) != 0)
            continue; /* the run left no trace (timed out, no log): the index says so */
        snprintf(path, sizeof path, "%s/%s.html", dir, res[i].sc->name);
        if (weft_report_html_file(db, path, NULL) == 0)
            has[i] = 1;
        else
            rc = -1;
    }
    snprintf(path, sizeof path, "%s/index.html", dir);
    struct weft_out ob = {.dir = ""};
    FILE *f = NULL;
    if (weft_out_check("scenarios", path, WEFT_OUT_REPORT, NULL, 0) != 0 ||
        weft_out_begin(&ob, path) != 0) {
        free(has);
        return -1;
    }
    if (!(f = weft_out_open(&ob, "scenarios"))) {
        weft_out_abort(&ob);
        free(has);
        return -1;
    }
    int bad = write_index(f, res, n, has, repeat, wall) != 0;
    if (weft_out_close(f, "scenarios", path) != 0 || bad) {
        weft_out_abort(&ob);
        rc = -1;
    } else if (weft_out_commit(&ob, 0) != 0) {
        rc = -1;
    }
    free(has);
    return rc;
}
