/* SPDX-License-Identifier: MIT */
/* scenario_junit.c: the JUnit XML file of `weft scenarios run --junit`:
 * one testsuite, one testcase per scenario (classname = its family), the
 * mismatches and the findings found in the failure text. Everything from
 * the manifest or the traced program is escaped for XML 1.0 (xmlesc.c),
 * so that any XML parser reads the file whatever the program printed.
 * Written through outfile.c: never half a file, never over
 * something that is not ours. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xmlesc.h"
#include "scenario_run.h"
#include "cli.h"

/* The run to show for a scenario: its first failing run, else its first. */
static const struct weft_srun *shown(const struct weft_sresult *r) {
    for (int i = 0; i < r->nruns; i++)
        if (!r->runs[i].pass)
            return &r->runs[i];
    return &r->runs[0];
}

int weft_scenario_junit(const char *path, const struct weft_sresult *res, int n, double wall) {
    struct weft_out o;
    if (weft_out_begin(&o, path) != 0)
        return -1;
    FILE *f = fopen(o.tmp, "wx");
    if (!f) {
        weft_err("scenarios: cannot write %s: %s", path, strerror(errno));
        weft_out_abort(&o);
        return -1;
    }
    int failures = 0;
    for (int i = 0; i < n; i++)
        failures += (res[i].failed > 0) != (res[i].sc->known != NULL);
    /* The first line and the start of the second are what outfile.c
     * recognizes as ours (JUNIT_HEAD there). */
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"weft scenarios\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n",
            n, failures, wall);
    fprintf(f,
            "  <testsuite name=\"weft scenarios\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
            "time=\"%.3f\">\n",
            n, failures, wall);
    for (int i = 0; i < n; i++) {
        const struct weft_sresult *r = &res[i];
        const struct weft_srun *run = shown(r);
        fputs("    <testcase name=\"", f);
        weft_xml_str(f, r->sc->name);
        fputs("\" classname=\"", f);
        weft_xml_str(f, r->sc->family);
        fprintf(f, "\" time=\"%.3f\">\n", r->nruns ? r->secs / r->nruns : 0.0);
        if (r->failed && r->sc->known) {
            /* a known gap of weft's: reported, not failed */
            fputs("      <skipped message=\"known: ", f);
            weft_xml_str(f, r->sc->known);
            fputs("\"/>\n", f);
        } else if (!r->failed && r->sc->known) {
            fputs("      <failure type=\"known-passes\" message=\"passes, but the manifest calls "
                  "it a known gap: remove its known: line\"/>\n",
                  f);
        } else if (r->failed) {
            char msg[512];
            const char *why = run->why.s ? run->why.s : "";
            const char *nl = strchr(why, '\n');
            snprintf(msg, sizeof msg, "%.*s", nl ? (int)(nl - why) : (int)strlen(why), why);
            fputs("      <failure type=\"mismatch\" message=\"", f);
            weft_xml_str(f, msg);
            fputs("\">", f);
            if (r->nruns > 1)
                fprintf(f, "%d of %d runs failed; run %d:\n", r->failed, r->nruns, run->rep + 1);
            weft_xml_str(f, why);
            fputs("findings found:\n", f);
            weft_xml_str(f, run->findings.len ? run->findings.s : "(none)\n");
            fputs("</failure>\n", f);
        }
        if (r->sc->summary) {
            fputs("      <system-out>", f);
            weft_xml_str(f, r->sc->summary);
            fputs("</system-out>\n", f);
        }
        fputs("    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    errno = 0;
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        weft_err("scenarios: cannot write %s: %s", path, errno ? strerror(errno) : "write error");
        fclose(f);
        weft_out_abort(&o);
        return -1;
    }
    if (fclose(f) != 0) {
        weft_err("scenarios: cannot write %s: %s", path, strerror(errno));
        weft_out_abort(&o);
        return -1;
    }
    if (weft_out_commit(&o, 0) != 0) {
        weft_out_abort(&o);
        return -1;
    }
    return 0;
}
