/* SPDX-License-Identifier: MIT */
/* error.c: error strings and the version, the one place that names every
 * WEFT_E* code in words. */
#include <string.h>

#include "internal.h"

const char *weft_strerror(int err) {
    switch (err) {
    case 0:
        return "success";
    case WEFT_ECLOSED:
        return "channel closed";
    case WEFT_EAGAIN:
        return "operation would block";
    case WEFT_ECANCELED:
        return "context canceled";
    case WEFT_ETIMEDOUT:
        return "context deadline exceeded";
    case WEFT_EINVAL:
        return "invalid argument";
    case WEFT_ENOMEM:
        return "out of memory";
    case WEFT_ERANGE:
        return "counter out of range";
    default:
        /* Any other negated errno: strerror's static table (no allocation). */
        return err < 0 ? strerror(-err) : "unknown error";
    }
}

const char *weft_version(void) {
    return WEFT_VERSION_STRING;
}
