/* json.c: JSON string literals for text from the traced program. Such
 * text may hold any bytes: control characters are escaped, and a byte that
 * does not start valid UTF-8 becomes U+FFFD, so the output is always valid
 * JSON whatever the program put in its argv or thread names. */
#include "json.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static int utf8_len(const unsigned char *s, size_t left) {
    if (s[0] < 0x80)
        return 1;
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4 || (size_t)n > left)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* The escaped form of the sequence at s (n bytes, n = utf8_len or 0) into
 * buf; returns its length. */
static size_t escape(const unsigned char *s, int n, char buf[8]) {
    if (n == 0)
        return (size_t)snprintf(buf, 8, "\\ufffd");
    if (*s == '"' || *s == '\\')
        return (size_t)snprintf(buf, 8, "\\%c", *s);
    if (*s < 0x20 || *s == 0x7f)
        return (size_t)snprintf(buf, 8, "\\u%04x", *s);
    for (int i = 0; i < n; i++)
        buf[i] = (char)s[i];
    return (size_t)n;
}

void weft_json_str(FILE *f, const unsigned char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    size_t left = 0;
    while (s[left])
        left++;
    while (left) {
        char buf[8];
        int n = utf8_len(s, left);
        fwrite(buf, 1, escape(s, n, buf), f);
        size_t step = n ? (size_t)n : 1;
        s += step;
        left -= step;
    }
    fputc('"', f);
}

void weft_json_append(char *out, size_t max, size_t *pos, const char *str, size_t len) {
    if (*pos + 2 >= max)
        return;
    const unsigned char *s = (const unsigned char *)str;
    out[(*pos)++] = '"';
    while (len) {
        char buf[8];
        int n = utf8_len(s, len);
        size_t m = escape(s, n, buf);
        if (*pos + m + 2 >= max)
            break;
        for (size_t i = 0; i < m; i++)
            out[(*pos)++] = buf[i];
        size_t step = n ? (size_t)n : 1;
        s += step;
        len -= step;
    }
    out[(*pos)++] = '"';
    out[*pos] = 0;
}
