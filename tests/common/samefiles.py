#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""samefiles.py DIR_A DIR_B: exit 0 when the two directories hold the same
file names with the same bytes, else 1 with the first difference on
stderr. Reads only where either file has data (SEEK_DATA/SEEK_HOLE): a
weft log is a 4 GiB sparse file, and `diff -r` reads every zero of its
holes (80 s of system time for two copies of one log)."""
import os
import sys


def extents(fd, size):
    """The data extents of fd, as (start, end) pairs."""
    out, off = [], 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:  # ENXIO: no data after off
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        out.append((start, end))
        off = end
    return out


def same(a, b):
    sa, sb = os.stat(a), os.stat(b)
    if sa.st_size != sb.st_size:
        return "sizes %d and %d" % (sa.st_size, sb.st_size)
    with open(a, "rb") as fa, open(b, "rb") as fb:
        spans = sorted(extents(fa.fileno(), sa.st_size) + extents(fb.fileno(), sb.st_size))
        for start, end in spans:
            off = start
            while off < end:
                n = min(1 << 20, end - off)
                if os.pread(fa.fileno(), n, off) != os.pread(fb.fileno(), n, off):
                    return "bytes differ in [%d, %d)" % (off, off + n)
                off += n
    return None


def main():
    da, db = sys.argv[1], sys.argv[2]
    na, nb = sorted(os.listdir(da)), sorted(os.listdir(db))
    if na != nb:
        print("samefiles: names differ: %s / %s" % (na, nb), file=sys.stderr)
        return 1
    for n in na:
        pa, pb = os.path.join(da, n), os.path.join(db, n)
        if os.path.isdir(pa) or os.path.isdir(pb):
            print("samefiles: %s: a directory" % n, file=sys.stderr)
            return 1
        why = same(pa, pb)
        if why:
            print("samefiles: %s: %s" % (n, why), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
