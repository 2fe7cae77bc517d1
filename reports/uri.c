/* SPDX-License-Identifier: MIT */
/* uri.c: file paths as URI paths, for the formats that link files (the
 * HTML page's link to its Perfetto trace, SARIF's artifact locations):
 * unreserved characters and '/' as they are, every other byte as %XX, so
 * that any bytes a path holds give a valid URI that needs no further
 * escaping in HTML attributes or JSON strings. */
#include "report.h"

void weft_report_uri_path(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
            fputc((int)c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}
