/* SPDX-License-Identifier: MIT */
/* xmlesc.c: XML 1.0 text and attribute values for any bytes. The five
 * markup characters become entities (so the text is good inside an
 * element and inside a quoted attribute, and "]]>" or "</testcase>" stay
 * text); tab and newline stay; the other control characters, which XML
 * 1.0 cannot hold at all (not even as &#...;), become a visible \xNN;
 * bytes that are not UTF-8, and U+FFFE/U+FFFF, become U+FFFD, one per
 * "maximal subpart" as json.c does. So any XML parser reads the file,
 * whatever the program printed or named. */
#include "xmlesc.h"

#include <string.h>

#include "json.h"

void weft_xml_str(FILE *f, const char *str) {
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t left = strlen((const char *)s);
    while (left) {
        unsigned c = *s;
        int n = 1;
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&apos;", f);
        else if (c == '\t' || c == '\n')
            fputc((int)c, f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else if (c < 0x80)
            fputc((int)c, f);
        else {
            n = weft__utf8_len(s, left);
            if (n < 0) {
                n = -n;
                fputs("\xEF\xBF\xBD", f);
            } else if (n == 3 && s[0] == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) {
                fputs("\xEF\xBF\xBD", f); /* U+FFFE, U+FFFF: not XML characters */
            } else if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
                /* C1 controls: allowed by XML 1.0 but "discouraged", and
                 * invisible: shown like the C0 ones */
                fprintf(f, "\\u%04x", s[1]);
            } else {
                fwrite(s, 1, (size_t)n, f);
            }
        }
        s += n;
        left -= (size_t)n;
    }
}
