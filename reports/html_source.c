/* SPDX-License-Identifier: MIT */
/* html_source.c: the source lines around a frame of a finding's stack,
 * for the HTML report. A file that is missing, unreadable, not a regular
 * file or shorter than the line, or a path relative to a build directory
 * we do not know, degrades that frame alone: its snippet is
 * a sentence saying why, and the rest of the page is as usual. Lines are
 * cut at a length a page can show; the text is the program's and is
 * escaped like every other string of the data (html.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"

enum { CONTEXT = 3, MAX_LINE = 240 };

void weft__html_source(FILE *j, const char *file, int line, int *budget) {
    if (!file || line <= 0) {
        weft__html_str(j, "no source line recorded for this frame");
        return;
    }
    if (file[0] != '/') {
        /* Relative to a build directory the trace does not record (glibc's
         * "./nptl/..."): reading it from ours could show another file. */
        weft__html_str(j, "source not available: a path relative to its build directory");
        return;
    }
    if (*budget <= 0) {
        weft__html_str(j, "source left out (too many frames for one page)");
        return;
    }
    /* O_NONBLOCK: a FIFO named like a source file must not hang the report. */
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        char why[256];
        snprintf(why, sizeof why, "source not available: %s",
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        weft__html_str(j, why);
        return;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        weft__html_str(j, "source not available: out of memory");
        return;
    }
    (*budget)--;
    int first = line > CONTEXT ? line - CONTEXT : 1, last = line + CONTEXT, n = 1, got = 0;
    char buf[MAX_LINE + 1];
    size_t len = 0;
    int c;
    /* Reads by character: lines of any length, only the first MAX_LINE
     * bytes of each kept. */
    while (n <= last && (c = getc(f)) != EOF) {
        if (c != '\n') {
            if (n >= first && len < MAX_LINE)
                buf[len++] = (char)c;
            continue;
        }
        if (n >= first) {
            buf[len] = 0;
            fputs(got++ ? ", " : "{\"first\": ", j);
            if (got == 1)
                fprintf(j, "%d, \"lines\": [", first);
            weft__html_str(j, buf);
        }
        len = 0;
        n++;
    }
    if (n <= last && len && n >= first) { /* a last line with no newline */
        buf[len] = 0;
        fputs(got++ ? ", " : "{\"first\": ", j);
        if (got == 1)
            fprintf(j, "%d, \"lines\": [", first);
        weft__html_str(j, buf);
        n++;
    }
    fclose(f);
    if (!got || n <= line)
        /* The file changed since the build: better nothing than wrong lines. */
        fputs(got ? "], \"stale\": true}"
                  : "\"source not available: the file is shorter than "
                    "the line (changed since the build?)\"",
              j);
    else
        fputs("]}", j);
}
