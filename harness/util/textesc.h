/* SPDX-License-Identifier: MIT */
/* textesc.h: program text printed for a person (the text report, weft
 * run's findings on stderr, error lines): control characters, invalid
 * UTF-8 and bidi overrides escaped (textesc.c says how). */
#ifndef WEFT_HARNESS_TEXTESC_H
#define WEFT_HARNESS_TEXTESC_H

#include <stddef.h>
#include <stdio.h>

/* Writes len bytes of s, escaped. */
void weft_text_write(FILE *f, const char *s, size_t len);
/* Writes the string s, escaped ("?" for NULL). */
void weft_text_str(FILE *f, const char *s);
/* s, escaped, into out (size max > 0; cut at a whole sequence, always
 * NUL-terminated); returns the length. */
size_t weft_text_escape(char *out, size_t max, const char *s);

#endif
