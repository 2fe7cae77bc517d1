/* SPDX-License-Identifier: MIT */
/* infile.h: the check of weft's input files (infile.c), for the command
 * and the reports alike. */
#ifndef WEFT_HARNESS_INFILE_H
#define WEFT_HARNESS_INFILE_H

/* Is path a regular file? Checked without blocking (a FIFO, a device or a
 * directory is refused, never opened for real): 0, or -1 after one line
 * "what path: why". */
int weft_check_regular(const char *what, const char *path);

#endif
