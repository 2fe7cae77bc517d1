/* SPDX-License-Identifier: MIT */
/* elfcheck.c: can LD_PRELOAD work for this program? Only a dynamically
 * linked ELF (one with a PT_INTERP program header) goes through the
 * dynamic loader that honours LD_PRELOAD; a static binary would run
 * untraced, so weft run refuses it with a clear message. Also what else
 * weft run reads from an ELF file's program headers: the sanitizer
 * runtime it must preload first, and a module's load bias (--leak-check's
 * symbols). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_PHDRS 128

/* The program headers of the 64-bit ELF file open at fd, up to
 * MAX_PHDRS of them: their number, or -1 when it is not one. */
static int read_phdrs(int fd, Elf64_Phdr *ph) {
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
        return -1;
    unsigned n = eh.e_phnum < MAX_PHDRS ? eh.e_phnum : MAX_PHDRS;
    ssize_t got = pread(fd, ph, n * sizeof *ph, (off_t)eh.e_phoff);
    return got < 0 ? -1 : (int)((size_t)got / sizeof *ph);
}

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
    Elf64_Phdr ph[MAX_PHDRS];
    int nph = read_phdrs(fd, ph), dynamic = 0;
    for (int i = 0; i < nph; i++)
        if (ph[i].p_type == PT_INTERP)
            dynamic = 1;
    close(fd);
    if (!dynamic) {
        weft_err("%s: statically linked (no PT_INTERP): LD_PRELOAD cannot work, so weft "
                 "cannot trace it; link it dynamically",
                 path);
        return 0;
    }
    return 1;
}

/* The file offset of virtual address va, from the PT_LOAD headers. */
static int va_to_off(const Elf64_Phdr *ph, int n, uint64_t va, uint64_t *off) {
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr && va - ph[i].p_vaddr < ph[i].p_filesz) {
            *off = ph[i].p_offset + (va - ph[i].p_vaddr);
            return 0;
        }
    return -1;
}

/* AddressSanitizer insists that its runtime be the first object the
 * loader maps after the program ("ASan runtime does not come first in
 * initial library list"), so a program linked against the shared
 * libasan dies at start once the shim is preloaded ahead of it. weft run
 * preloads that runtime first for such a program; this finds its name in
 * the program's DT_NEEDED entries. Anything unreadable is "none": the
 * program then runs as before. */
int weft_elf_sanitizer_runtime(const char *path, char *soname, size_t n) {
    static const char *const runtimes[] = {"libasan.so", "libhwasan.so"};
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), found = 0;
    if (fd < 0)
        return 0;
    Elf64_Phdr ph[MAX_PHDRS];
    Elf64_Dyn dyn[512];
    int nph = read_phdrs(fd, ph);
    for (int i = 0; i < nph && !found; i++) {
        if (ph[i].p_type != PT_DYNAMIC)
            continue;
        size_t want = ph[i].p_filesz < sizeof dyn ? ph[i].p_filesz : sizeof dyn;
        ssize_t got = pread(fd, dyn, want, (off_t)ph[i].p_offset);
        if (got <= 0)
            goto out;
        size_t nd = (size_t)got / sizeof *dyn;
        uint64_t strtab = 0, strsz = 0, off;
        for (size_t d = 0; d < nd && dyn[d].d_tag != DT_NULL; d++) {
            if (dyn[d].d_tag == DT_STRTAB)
                strtab = dyn[d].d_un.d_ptr;
            else if (dyn[d].d_tag == DT_STRSZ)
                strsz = dyn[d].d_un.d_val;
        }
        if (!strtab || va_to_off(ph, nph, strtab, &off) != 0)
            goto out;
        for (size_t d = 0; d < nd && dyn[d].d_tag != DT_NULL && !found; d++) {
            char name[256];
            if (dyn[d].d_tag != DT_NEEDED || dyn[d].d_un.d_val >= strsz)
                continue;
            ssize_t m = pread(fd, name, sizeof name - 1, (off_t)(off + dyn[d].d_un.d_val));
            if (m <= 0)
                continue;
            name[m] = 0;
            for (size_t r = 0; r < sizeof runtimes / sizeof *runtimes; r++)
                if (!strncmp(name, runtimes[r], strlen(runtimes[r])) && !strchr(name, '/') &&
                    strlen(name) < n) {
                    strcpy(soname, name);
                    found = 1;
                }
        }
    }
out:
    close(fd);
    return found;
}

/* The load bias of the ELF file at path mapped from file offset 0 at
 * start (a line of /proc/PID/maps): start less its first loadable
 * segment's page. 0, or -1 when it is not a 64-bit ELF file. */
int weft_elf_load_bias(const char *path, uint64_t start, uint64_t *bias) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    Elf64_Phdr ph[MAX_PHDRS];
    int nph = read_phdrs(fd, ph), rc = -1;
    close(fd);
    for (int i = 0; i < nph && rc != 0; i++)
        if (ph[i].p_type == PT_LOAD) {
            uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
            *bias = start - (ph[i].p_vaddr & ~(page - 1));
            rc = 0;
        }
    return rc;
}
