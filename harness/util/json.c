/* SPDX-License-Identifier: MIT */
/* json.c: JSON string literals for text from the traced program. Such
 * text may hold any bytes; the output is always valid JSON:
 * - control characters (C0, DEL and the C1 range U+0080..U+009F) are
 *   written as \u00XX;
 * - bytes that are not valid UTF-8 become U+FFFD, one per "maximal
 *   subpart" as Unicode recommends (a truncated sequence is one U+FFFD, a
 *   stray byte is one), which is also what Python's and most decoders'
 *   "replace" mode do: a consumer that decodes the program's bytes that way
 *   gets exactly the strings we wrote.
 * It also decodes the argv arrays it wrote (weft report re-emits them, so
 * that even a damaged or forged trace gives valid JSON). */
#include "json.h"

#include <string.h>

int weft__utf8_len(const unsigned char *s, size_t left) {
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((size_t)i >= left)
            return -i;
        unsigned b = s[i];
        if (b < (i == 1 ? lo : 0x80u) || b > (i == 1 ? hi : 0xBFu))
            return -i;
    }
    return n;
}

/* The escaped form of the sequence at s (n = weft__utf8_len) into buf;
 * returns its length. */
static size_t escape(const unsigned char *s, int n, char buf[8]) {
    if (n < 0)
        return (size_t)snprintf(buf, 8, "\\ufffd");
    if (*s == '"' || *s == '\\')
        return (size_t)snprintf(buf, 8, "\\%c", *s);
    if (*s < 0x20 || *s == 0x7f)
        return (size_t)snprintf(buf, 8, "\\u%04x", *s);
    if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) /* C1 controls */
        return (size_t)snprintf(buf, 8, "\\u%04x", s[1]);
    for (int i = 0; i < n; i++)
        buf[i] = (char)s[i];
    return (size_t)n;
}

static size_t step_of(int n) {
    return n < 0 ? (size_t)-n : (size_t)n;
}

void weft_json_write(FILE *f, const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (len) {
        char buf[8];
        int n = weft__utf8_len(s, len);
        fwrite(buf, 1, escape(s, n, buf), f);
        s += step_of(n);
        len -= step_of(n);
    }
    fputc('"', f);
}

void weft_json_str(FILE *f, const unsigned char *s) {
    if (!s)
        fputs("null", f);
    else
        weft_json_write(f, (const char *)s, strlen((const char *)s));
}

/* Appends the opening quote and as much of s as leaves `reserve` bytes
 * free after it; 1 if all of s fitted, 0 if it was cut. */
static int append(char *out, size_t max, size_t *pos, const unsigned char *s, size_t len,
                  size_t reserve) {
    out[(*pos)++] = '"';
    if (*pos + reserve > max)
        return 0;
    while (len) {
        char buf[8];
        int n = weft__utf8_len(s, len);
        size_t m = escape(s, n, buf);
        if (*pos + m + reserve > max)
            return 0;
        memcpy(out + *pos, buf, m);
        *pos += m;
        s += step_of(n);
        len -= step_of(n);
    }
    return 1;
}

void weft_json_append(char *out, size_t max, size_t *pos, const char *str, size_t len) {
    if (*pos + 3 > max) {
        /* No room for even "": take back the separator the caller put
         * before it, so that a list written this way stays valid JSON. */
        if (*pos && *pos <= max && out[*pos - 1] == ',')
            out[--*pos] = 0;
        return;
    }
    append(out, max, pos, (const unsigned char *)str, len, 3);
    out[(*pos)++] = '"';
    out[*pos] = 0;
}

size_t weft_json_argv(char *out, size_t max, const char *buf, size_t n) {
    static const char ell[] = "\xe2\x80\xa6"; /* U+2026 */
    /* Kept free while a string is written: its closing quote, then
     * `,"…"]` and the NUL, so that a cut can always be marked. */
    const size_t reserve = 9;
    size_t pos = 0;
    if (max < reserve + 2) {
        if (max >= 3)
            memcpy(out, "[]", 3);
        else if (max)
            out[0] = 0;
        return max >= 3 ? 2 : 0;
    }
    out[pos++] = '[';
    size_t start = 0;
    for (size_t i = 0; i <= n && start < n; i++) {
        if (i < n && buf[i] != 0)
            continue;
        if (start)
            out[pos++] = ',';
        int whole = append(out, max, &pos, (const unsigned char *)buf + start, i - start, reserve);
        if (!whole) {
            memcpy(out + pos, ell, sizeof ell - 1);
            pos += sizeof ell - 1;
        }
        out[pos++] = '"';
        start = i + 1;
        if (!whole)
            break;
    }
    out[pos++] = ']';
    out[pos] = 0;
    return pos;
}

/* ---- reading back ---- */

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static unsigned hex4(const char *p) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0)
            return 0x110000; /* invalid */
        v = v << 4 | (unsigned)h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the string literal starting after the quote at *p into dec
 * (at least as long as the literal); *p ends after the closing quote (or
 * at the end of the text). Returns the decoded length. Lenient: an
 * unknown escape stands for itself, a bad \u or a lone surrogate for
 * U+FFFD. */
static size_t decode_str(const char **p, char *dec) {
    const char *s = *p;
    size_t n = 0;
    while (*s && *s != '"') {
        if (*s != '\\') {
            dec[n++] = *s++;
            continue;
        }
        s++;
        char c = *s ? *s++ : 0;
        switch (c) {
        case 'b':
            dec[n++] = '\b';
            break;
        case 'f':
            dec[n++] = '\f';
            break;
        case 'n':
            dec[n++] = '\n';
            break;
        case 'r':
            dec[n++] = '\r';
            break;
        case 't':
            dec[n++] = '\t';
            break;
        case 'u': {
            unsigned cp = strlen(s) >= 4 ? hex4(s) : 0x110000;
            if (cp < 0x110000)
                s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s[0] == '\\' && s[1] == 'u' && strlen(s) >= 6) {
                unsigned lo = hex4(s + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if (cp >= 0x110000 || (cp >= 0xD800 && cp < 0xE000))
                cp = 0xFFFD;
            n += put_utf8(dec + n, cp);
            break;
        }
        case 0:
            break;
        default:
            dec[n++] = c;
            break;
        }
    }
    *p = *s ? s + 1 : s;
    return n;
}

void weft_json_reemit_strings(FILE *f, const char *stored) {
    fputc('[', f);
    if (stored) {
        /* A decoded string is never longer than its literal (a 6-byte
         * \uXXXX gives at most 3 bytes, a 12-byte pair 4). */
        char *dec = malloc(strlen(stored) + 4);
        const char *p = stored;
        int first = 1;
        while (dec && (p = strchr(p, '"')) != NULL) {
            p++;
            size_t n = decode_str(&p, dec);
            if (!first)
                fputc(',', f);
            weft_json_write(f, dec, n);
            first = 0;
        }
        free(dec);
    }
    fputc(']', f);
}
