/* json.h: JSON string literals for text that comes from the traced
 * program (argv, thread names, file paths, messages), shared by ingest, the
 * report command and the detectors' JSON output. */
#ifndef WEFT_HARNESS_JSON_H
#define WEFT_HARNESS_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s as a JSON string literal ("null" for NULL). */
void weft_json_str(FILE *f, const unsigned char *s);
/* Appends the first len bytes of s as a JSON string literal to out (of
 * size max) at *pos, stopping cleanly (still closed) when out is full. */
void weft_json_append(char *out, size_t max, size_t *pos, const char *s, size_t len);

#endif
