/* SPDX-License-Identifier: MIT */
/* elf_object.h: what a loaded object's program headers in memory say of
 * it: the addresses it spans and its GNU build id. The shim records both
 * in each MODULE record and finds its own object by address
 * (shim/modules.c); the ingest ties a live state to the build of its own
 * object (ingest/checkpoint.c). Header-only, libc only,
 * async-signal-safe. */
#ifndef WEFT_FORMAT_ELF_OBJECT_H
#define WEFT_FORMAT_ELF_OBJECT_H

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

/* The addresses the object info describes spans: from its lowest
 * loadable segment's start to its highest one's end ([0, 0): none). */
static inline void weft_object_span(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi) {
    uintptr_t l = UINTPTR_MAX, h = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + p->p_vaddr;
        if (a < l)
            l = a;
        if (a + p->p_memsz > h)
            h = a + p->p_memsz;
    }
    *lo = l == UINTPTR_MAX ? 0 : l;
    *hi = h;
}

/* The build id of the object info describes: its length, *out pointing
 * at it in the object's memory; 0 when its notes hold none. Notes are
 * padded to their segment's alignment (4, or 8 for a segment the linker
 * aligned so). */
static inline size_t weft_build_id(const struct dl_phdr_info *info, const unsigned char **out) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        size_t al = ph->p_align == 8 ? 8 : 4;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *nh = (const void *)p;
            const unsigned char *name = p + sizeof *nh;
            const unsigned char *desc = name + ((nh->n_namesz + al - 1) & ~(al - 1));
            if (desc > end || nh->n_descsz > (size_t)(end - desc))
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                *out = desc;
                return nh->n_descsz;
            }
            p = desc + ((nh->n_descsz + al - 1) & ~(al - 1));
        }
    }
    return 0;
}

#endif
