/* SPDX-License-Identifier: MIT */
/* go.c: weft_go, the goroutine: a detached thread running fn(arg). */
#include "internal.h"

int weft_go(void (*fn)(void *arg), void *arg) {
    if (!fn)
        return WEFT_EINVAL;
    return weft__spawn(fn, arg);
}
