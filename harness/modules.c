/* modules.c: the module map: every loaded ELF object with its load bias,
 * address range, path and GNU build-id, written to the log at start and
 * again after each dlopen, so that ingest can turn recorded return
 * addresses into module + offset and symbolize them despite ASLR. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

struct self_query {
    uintptr_t addr, lo, hi;
};

static void range_of(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi) {
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

static size_t build_id(struct dl_phdr_info *info, const unsigned char **out) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_NOTE)
            continue;
        const unsigned char *n = (const unsigned char *)(info->dlpi_addr + p->p_vaddr);
        const unsigned char *end = n + p->p_memsz;
        while (n + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const void *)n;
            size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
            const unsigned char *name = n + sizeof *nh, *desc = name + namesz;
            if (desc + descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *out = desc;
                return nh->n_descsz;
            }
            n = desc + descsz;
        }
    }
    return 0;
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct self_query *q = data;
    uintptr_t lo, hi;
    range_of(info, &lo, &hi);
    if (q->addr >= lo && q->addr < hi) {
        q->lo = lo;
        q->hi = hi;
        return 1;
    }
    return 0;
}

void weft__modules_range_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi) {
    struct self_query q = {addr, 0, 0};
    dl_iterate_phdr(self_cb, &q);
    *lo = q.lo;
    *hi = q.hi;
}

void weft__modules_self_range(uintptr_t *lo, uintptr_t *hi) {
    struct self_query q = {(uintptr_t)&weft__modules_self_range, 0, 0};
    dl_iterate_phdr(self_cb, &q);
    *lo = q.lo;
    *hi = q.hi;
}

static int emit_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    /* path, NUL, then the raw build-id bytes */
    char buf[4096 + 64];
    size_t plen;
    const char *name = info->dlpi_name;
    if (!name || !*name) {
        /* The main program: the loader leaves its name empty. */
        ssize_t r = readlink("/proc/self/exe", buf, 4096);
        plen = r > 0 ? (size_t)r : 0;
    } else {
        plen = strnlen(name, 4095);
        memcpy(buf, name, plen);
    }
    buf[plen] = 0;
    const unsigned char *bid = NULL;
    size_t blen = build_id(info, &bid);
    if (blen > 64)
        blen = 0;
    if (blen)
        memcpy(buf + plen + 1, bid, blen);
    uintptr_t lo, hi;
    range_of(info, &lo, &hi);
    weft__emit_data(WEFT_K_MODULE, info->dlpi_addr, lo, hi, (uint32_t)blen, (uint32_t)plen, buf,
                    plen + 1 + blen);
    return 0;
}

void weft__modules_emit(void) { dl_iterate_phdr(emit_cb, NULL); }
