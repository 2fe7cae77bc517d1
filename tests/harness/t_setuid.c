/* t_setuid.c: run setuid: says whether the shim is mapped into it (so a
 * test knows the loader did load it) and exits 0. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

int main(int argc, char **argv) {
    const char *needle = argc > 1 ? argv[1] : "weft";
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int mapped = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, needle))
            mapped = 1;
    if (f)
        fclose(f);
    printf("secure=%lu mapped=%d\n", getauxval(AT_SECURE), mapped);
    return 0;
}
/* SPDX-License-Identifier: MIT */
