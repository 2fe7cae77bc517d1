/* SPDX-License-Identifier: MIT */
/* elfcheck.c: can LD_PRELOAD work for this program? Only a dynamically
 * linked ELF (one with a PT_INTERP program header) goes through the
 * dynamic loader that honours LD_PRELOAD; a static binary would run
 * untraced, so weft run refuses it with a clear message. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int weft_elf_check_dynamic(const char *path) {
    /* Not blocking: PROG could be a FIFO, which must be refused, not
     * waited on. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        weft_err("%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        weft_err("%s: not a regular file: it cannot be run", path);
        close(fd);
        return -1;
    }
    unsigned char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
        close(fd);
        return 1; /* a script: its interpreter is what runs */
    }
    if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0) {
        close(fd);
        weft_err("%s: not an ELF executable or a script", path);
        return -1;
    }
    if (buf[EI_CLASS] != ELFCLASS64) {
        close(fd);
        weft_err("%s: not a 64-bit ELF executable: the weft shim cannot be preloaded into it",
                 path);
        return -1;
    }
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    int dynamic = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
            (ssize_t)sizeof ph)
            break;
        if (ph.p_type == PT_INTERP)
            dynamic = 1;
    }
    close(fd);
    if (!dynamic) {
        weft_err("%s: statically linked (no PT_INTERP): LD_PRELOAD cannot work, so weft "
                 "cannot trace it; link it dynamically",
                 path);
        return 0;
    }
    return 1;
}
