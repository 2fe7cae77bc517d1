/* SPDX-License-Identifier: MIT */
/* textesc.c: text from the traced program (argv, thread names, function,
 * file and module names, paths, messages that quote them) printed for a
 * person. Control characters (C0 including newline, DEL, and the C1 range
 * U+0080..U+009F, which some terminals take as escape sequences) and bytes
 * that are not valid UTF-8 are written as \xNN, and the Unicode bidi
 * overrides as \u202e and the like, so that nothing a program chose can
 * move the cursor, retitle, recolour or clear the user's terminal, reorder
 * what is shown, or start a line that looks like one of weft's. Valid
 * UTF-8 text is written as it is; a backslash too (the text is for
 * reading, not for parsing back: JSON output is for that). */
#include "textesc.h"

#include <string.h>

#include "json.h"

/* The escaped form of the sequence at s (n = weft__utf8_len) into buf; its
 * length. */
static size_t esc(const unsigned char *s, int n, char buf[32]) {
    static const char hex[] = "0123456789abcdef";
    size_t len = n < 0 ? (size_t)-n : (size_t)n, o = 0;
    unsigned cp = 0;
    if (n == 3)
        cp = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3Fu);
    int bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
               cp == 0x200F || cp == 0x061C;
    if (bidi) {
        buf[o++] = '\\';
        buf[o++] = 'u';
        for (int sh = 12; sh >= 0; sh -= 4)
            buf[o++] = hex[cp >> sh & 0xF];
        return o;
    }
    int bad = n < 0 || s[0] < 0x20 || s[0] == 0x7f || (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
    for (size_t i = 0; i < len; i++) {
        if (bad) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[s[i] >> 4];
            buf[o++] = hex[s[i] & 0xF];
        } else {
            buf[o++] = (char)s[i];
        }
    }
    return o;
}

void weft_text_write(FILE *f, const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    while (len) {
        char buf[32];
        int n = weft__utf8_len(s, len);
        size_t step = n < 0 ? (size_t)-n : (size_t)n;
        fwrite(buf, 1, esc(s, n, buf), f);
        s += step;
        len -= step;
    }
}

void weft_text_str(FILE *f, const char *s) {
    if (!s)
        fputc('?', f);
    else
        weft_text_write(f, s, strlen(s));
}

size_t weft_text_escape(char *out, size_t max, const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str), o = 0;
    if (!max)
        return 0;
    while (len) {
        char buf[32];
        int n = weft__utf8_len(s, len);
        size_t step = n < 0 ? (size_t)-n : (size_t)n;
        size_t m = esc(s, n, buf);
        if (o + m >= max)
            break;
        memcpy(out + o, buf, m);
        o += m;
        s += step;
        len -= step;
    }
    out[o] = 0;
    return o;
}
