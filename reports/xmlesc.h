/* SPDX-License-Identifier: MIT */
/* xmlesc.h: text from the traced program or a manifest written into XML
 * 1.0 (weft scenarios' JUnit file, weft report's JUnit): always
 * well-formed, whatever the bytes (xmlesc.c says how). */
#ifndef WEFT_HARNESS_XMLESC_H
#define WEFT_HARNESS_XMLESC_H

#include <stdio.h>

/* Writes s (NULL: nothing) escaped for XML text and attribute values. */
void weft_xml_str(FILE *f, const char *s);

#endif
