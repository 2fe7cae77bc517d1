/* replay.c: the fuzz targets without libFuzzer (any compiler): runs
 * LLVMFuzzerTestOneInput once over each file named, or each file of each
 * directory named: the seed corpus and the regressions (inputs that once
 * crashed) in every build. `--pack LOG OUT` writes a raw log's packed
 * form (pack.h), for seeds. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat sb;
    uint8_t *buf = NULL;
    if (fstat(fileno(f), &sb) == 0 && (buf = malloc((size_t)sb.st_size + 1)) != NULL)
        *n = fread(buf, 1, (size_t)sb.st_size, f);
    fclose(f);
    return buf;
}

static int one(const char *path) {
    size_t n = 0;
    uint8_t *buf = slurp(path, &n);
    if (!buf) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--pack")) {
        size_t n = 0, pn = 0;
        uint8_t *log = slurp(argv[2], &n), *packed = log ? fuzz_pack(log, n, &pn) : NULL;
        FILE *f = packed ? fopen(argv[3], "wb") : NULL;
        int ok = f && fwrite(packed, 1, pn, f) == pn;
        if (f && fclose(f) != 0)
            ok = 0;
        free(log);
        free(packed);
        if (!ok)
            fprintf(stderr, "replay: cannot pack %s into %s\n", argv[2], argv[3]);
        return !ok;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int bad = 0, runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s: no such file\n", argv[i]);
            bad = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                bad |= one(p);
                runs++;
            }
            if (d)
                closedir(d);
        } else {
            bad |= one(argv[i]);
            runs++;
        }
    }
    printf("replay: %d inputs\n", runs);
    return bad;
}
/* SPDX-License-Identifier: MIT */
