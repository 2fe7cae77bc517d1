/* SPDX-License-Identifier: MIT */
/* build_id.h: the GNU build id of a loaded object, read from its
 * program headers in memory. The shim records it in each MODULE record
 * (shim/modules.c), the ingest ties a live state to its own build with it
 * (ingest/checkpoint.c). Header-only, libc only, async-signal-safe. */
#ifndef WEFT_FORMAT_BUILD_ID_H
#define WEFT_FORMAT_BUILD_ID_H

#include <elf.h>
#include <link.h>
#include <string.h>

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
