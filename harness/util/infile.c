/* SPDX-License-Identifier: MIT */
/* infile.c: the check that an input (a log, a trace, a baseline, a
 * suppressions file, a manifest) is a regular file, made without blocking,
 * so that a FIFO or a device given as one is refused instead of hanging
 * weft. Here, in harness/util/, because the command and the reports
 * (a baseline's path) both check their inputs so. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"
#include "weft.h"

int weft_check_regular(const char *what, const char *path) {
    /* O_NONBLOCK: opening a FIFO without a writer must not wait; O_NOCTTY:
     * a terminal device must not become ours. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        weft_err("%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    int rc = fstat(fd, &st);
    int e = errno;
    close(fd);
    if (rc != 0) {
        weft_err("%s %s: %s", what, path, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        weft_err("%s %s: not a regular file (%s)", what, path,
                 S_ISFIFO(st.st_mode)   ? "a FIFO"
                 : S_ISDIR(st.st_mode)  ? "a directory"
                 : S_ISCHR(st.st_mode)  ? "a character device"
                 : S_ISBLK(st.st_mode)  ? "a block device"
                 : S_ISSOCK(st.st_mode) ? "a socket"
                                        : "not a file");
        return -1;
    }
    return 0;
}
