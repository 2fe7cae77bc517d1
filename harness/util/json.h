/* SPDX-License-Identifier: MIT */
/* json.h: JSON string literals for text that comes from the traced
 * program (argv, thread names, file paths, messages), shared by ingest, the
 * report command and the detectors' JSON output. Always valid JSON:
 * control characters as \u00XX, invalid UTF-8 as U+FFFD (json.c says
 * how). */
#ifndef WEFT_HARNESS_JSON_H
#define WEFT_HARNESS_JSON_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Writes s as a JSON string literal ("null" for NULL). */
void weft_json_str(FILE *f, const unsigned char *s);
/* The same for len bytes (NULs included, as \u0000). */
void weft_json_write(FILE *f, const char *s, size_t len);
/* Appends the first len bytes of s as a JSON string literal to out (of
 * size max) at *pos, stopping cleanly (still closed) when out is full;
 * with no room for even "", it writes nothing and takes back a ',' the
 * caller put right before, so that a list stays valid. */
void weft_json_append(char *out, size_t max, size_t *pos, const char *s, size_t len);
/* The NUL-separated strings of buf (n bytes: argv as the kernel keeps it)
 * as a JSON array of strings into out (size max, NUL-terminated), always
 * valid JSON. When out is full the array is cut: its last string ends in
 * U+2026 (...) and the strings after it are left out. Returns the length. */
size_t weft_json_argv(char *out, size_t max, const char *buf, size_t n);
/* Writes the string literals found in stored (an argv array as ingest
 * stored it, or a damaged one) as a valid JSON array of strings. */
void weft_json_reemit_strings(FILE *f, const char *stored);
/* The length of the valid UTF-8 sequence at s (1-4; left > 0 bytes), or
 * minus the length of the invalid "maximal subpart" there (Unicode's
 * rule for replacing invalid bytes). Shared with textesc.c. */
int weft__utf8_len(const unsigned char *s, size_t left);

#endif
