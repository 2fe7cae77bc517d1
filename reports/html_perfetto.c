/* SPDX-License-Identifier: MIT */
/* html_perfetto.c: what the HTML report says about the Perfetto trace of
 * the same run: a `download` link to it by a relative name (weft run
 * --html writes the two side by side; weft report --perfetto-link NAME
 * names one the user wrote), or, without one, the exact command that
 * writes it; and either way how to open it (ui.perfetto.dev, "Open trace
 * file") and what it lacks without --all-events. Also the name weft run
 * gives that file and the check of a user's link name. The link is
 * written into the static markup (it works without the script too): its
 * href is the name percent-encoded byte by byte (so no character of it
 * can end the attribute, start a scheme or a query), the text and the
 * download attribute XML-escaped. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "outfile.h"
#include "perfetto.h"
#include "report.h"
#include "weft.h"
#include "xmlesc.h"

int weft_html_link_check(const char *cmd, const char *name) {
    const char *why = NULL;
    if (!*name)
        why = "it is empty";
    else if (name[0] == '/')
        why = "it is an absolute path (give it relative to the page)";
    else if (strstr(name, "//"))
        why = "it has '//' (give a relative path)";
    for (const unsigned char *p = (const unsigned char *)name; !why && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            why = "it has a control character";
        else if (*p == '"' || *p == '\'' || *p == '`' || *p == '<' || *p == '>' || *p == '\\')
            why = "it has a quote, '<', '>' or '\\'";
    }
    /* A ':' before the first '/' would be read as a scheme (javascript:,
     * http:) by a browser; a relative file name needs none. */
    const char *colon = strchr(name, ':'), *slash = strchr(name, '/');
    if (!why && colon && (!slash || colon < slash))
        why = "it has a scheme (give a relative path, no ':' before the first '/')";
    if (!why)
        return 0;
    weft_err("%s: --perfetto-link: %s", cmd, why);
    return -1;
}

char *weft_perfetto_name_for(const char *html) {
    size_t n = strlen(html);
    char *s = malloc(n + sizeof ".perfetto.json");
    if (!s) {
        weft_err("out of memory");
        return NULL;
    }
    memcpy(s, html, n + 1);
    if (n > 5 && !strcmp(s + n - 5, ".html"))
        s[n - 5] = 0;
    strcat(s, ".perfetto.json");
    return s;
}

/* s as one shell word: as it is when it has only harmless characters,
 * else in single quotes ('\'' for a quote). */
static void shell_word(FILE *f, const char *s) {
    int plain = *s != 0;
    for (const char *p = s; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=:,@%",
                       *p) != NULL;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++)
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    fputc('\'', f);
}

int weft__html_perfetto(FILE *f, const struct weft_report *r, const char *link, const char *page) {
    fputs("<section id=\"perfetto\"><h2>Perfetto trace</h2>\n<p>", f);
    if (link) {
        const char *b = strrchr(link, '/');
        fputs("The timeline of this run as a Perfetto trace: <a class=\"perfetto\" href=\"", f);
        weft_report_uri_path(f, link);
        fputs("\" download=\"", f);
        weft_xml_str(f, b ? b + 1 : link);
        fputs("\">", f);
        weft_xml_str(f, link);
        fputs("</a>. ", f);
    } else {
        /* The command writes it beside the page: NAME is the page's name
         * without .html (or "report" when the page went to stdout). */
        char *cmd = NULL, *name = weft_perfetto_name_for(page ? page : "report");
        size_t len = 0;
        FILE *c = open_memstream(&cmd, &len);
        if (!name || !c) {
            free(name);
            if (c)
                fclose(c);
            weft_err("report: out of memory");
            return -1;
        }
        fputs("weft report --format=perfetto -o ", c);
        shell_word(c, name);
        for (int t = 0; t < r->ntraces; t++) {
            fputc(' ', c);
            shell_word(c, r->traces[t].path);
        }
        free(name);
        if (fclose(c) != 0) {
            free(cmd);
            weft_err("report: out of memory");
            return -1;
        }
        fputs("The timeline of this run as a Perfetto trace is not written with this page; "
              "this command writes it:</p>\n<pre class=\"mono perfetto-cmd\">",
              f);
        weft_xml_str(f, cmd);
        fputs("</pre>\n<p>", f);
        free(cmd);
    }
    fputs("To look at it, open <code>ui.perfetto.dev</code> in a browser, choose \u201cOpen "
          "trace file\u201d and pick the file: a track per thread, blocking calls and held "
          "locks as slices, arrows from each send to the receive it fed, channel lengths as "
          "counters. When the trace was recorded without <code class=\"nw\">--all-events</code> "
          "(<code class=\"nw\">weft run --all-events</code>), the arrows and the counters are "
          "partial: channel operations that did not wait are not in it.</p>"
          "</section>\n",
          f);
    return 0;
}

int weft_report_perfetto_file(const char *db_path, const char *out, char *const *ins, int nins) {
    struct weft_out ob = {.dir = ""};
    struct weft_perfetto_opts po = {-1, -1, WEFT_PERFETTO_MAX_EVENTS};
    char *path = (char *)db_path;
    FILE *f = NULL;
    int rc = -1;
    sqlite3 *db = weft_db_open_read(db_path);
    if (!db || weft_out_check("report", out, WEFT_OUT_REPORT, ins, nins) != 0 ||
        weft_out_begin(&ob, out) != 0)
        goto done;
    if (!(f = weft_out_open(&ob, "report")))
        goto done;
    if (weft_report_perfetto(f, &db, &path, 1, &po) != 0)
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
    sqlite3_close(db);
    return rc;
}
