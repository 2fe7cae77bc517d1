/* html.h: what the parts of the HTML report share. html.c writes the
 * page (its head, CSS, script and the data as JSON), html_data.c the
 * parts read from the traces' events (timeline, threads, channels and
 * their graph), html_source.c the source lines around a frame. All JSON
 * goes into a memory stream first; html.c escapes it for the script tag
 * it lands in. */
#ifndef WEFT_REPORTS_HTML_H
#define WEFT_REPORTS_HTML_H

#include <stdio.h>

#include "report.h"

/* What the page had to leave out or merge, said on the page: one short
 * sentence each. */
struct weft__html_notes {
    char *s[32];
    int n;
};
void weft__html_note(struct weft__html_notes *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the members "timeline", "threads", "channels" and "graph" (each
 * preceded by a comma) of the page's data object to j. 0, or -1 after one
 * line on stderr. */
int weft__html_trace_data(const struct weft_report *r, FILE *j, struct weft__html_notes *notes);

/* Writes, as a JSON value, the source lines around line of file: {"first":
 * N, "lines": [...]} or, when the file cannot be read or is shorter, a
 * JSON string saying why. *budget counts the snippets still allowed. */
void weft__html_source(FILE *j, const char *file, int line, int *budget);

/* The JSON string of s (json.c: valid UTF-8, control characters escaped);
 * html.c escapes <, >, & and U+2028/2029 of the whole data afterwards. */
void weft__html_str(FILE *j, const char *s);

#endif
