/* t_shrink.c: a log whose file shrinks while the reader reads it. This
 * program defines pread (the reader, linked in statically, calls ours):
 * before the read of the chunks it truncates the file to its header and
 * one chunk, as another process could at that moment. A mapped reader
 * died of SIGBUS there; this one must return the chunk that is left and
 * count the rest as missing. Usage: t_shrink LOG (a copy it may cut).
 * Prints "chunks N missing M records R". */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log_reader.h"

static int calls;
static const char *path;

ssize_t pread(int fd, void *buf, size_t n, off_t off) {
    /* the first read is the header; the next ones are the chunks */
    if (calls++ == 1 && truncate(path, WEFT_LOG_HEADER_SIZE + WEFT_LOG_CHUNK_SIZE) != 0)
        perror("t_shrink: truncate");
    return syscall(SYS_pread64, fd, buf, n, off);
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    path = argv[1];
    struct weft_log l;
    if (weft_log_open(&l, argv[1]) != 0) {
        fprintf(stderr, "t_shrink: %s\n", l.err);
        return 1;
    }
    printf("chunks %llu missing %llu records %llu\n", (unsigned long long)l.nchunks,
           (unsigned long long)l.missing_chunks, (unsigned long long)l.nevents);
    weft_log_close(&l);
    return 0;
}
/* SPDX-License-Identifier: MIT */
