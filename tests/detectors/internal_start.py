#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""internal_start.py: libweft's own thread is never a finding, also when
its creator's THREAD_CREATE record is missing (the process ended just as
libweft started its timer thread: pthread_create had not returned to
write it). The thread's own THREAD_START then says what it is (aux
WEFT_START_INTERNAL, harness/format/log.h). A raw log is made by hand:
main adopted, thread 2 started by main with no create record, then
main returns. With the flag: no finding. Without it: the same log gives
the leaked-thread that weft reported before (thread 2 running), so the
test can fail. Environment: WEFT (the weft binary)."""
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

WEFT = os.environ["WEFT"]

# harness/format/log.h
HEADER_SIZE, CHUNK_SIZE, CHUNK_HDR, WORD = 4096, 65536, 64, 8
CHUNK_MAGIC = 0x4B4E4843
W_TS, W_OBJ, W_ARG, W_ARG2, W_SA, W_DATA = 1, 2, 4, 8, 16, 256
K_OWNER, K_PROC_START, K_MAIN_RETURN, K_PROC_END = 1, 10, 14, 19
K_THREAD_START, K_THREAD_ADOPT = 32, 33
START_INTERNAL = 1
F_FINISHED = 1
PID, PPID, T0 = 3999991, 1, 1_000_000

def record(kind, ts, obj=None, arg=None, arg2=None, stack=0, aux=None, data=None):
    """One record's words, every field it uses present (ts always)."""
    fields, words = W_TS, [ts]
    for bit, v in ((W_OBJ, obj), (W_ARG, arg), (W_ARG2, arg2)):
        if v is not None:
            fields |= bit
            words.append(v)
    if aux is not None or stack:
        fields |= W_SA
        words.append(stack | (aux or 0) << 32)
    if data is not None:
        fields |= W_DATA
        words.append(len(data))
        pad = data + b"\0" * (-len(data) % WORD)
        words += list(struct.unpack("<%dQ" % (len(pad) // WORD), pad))
    return [kind | fields << 8] + words

def log_bytes(flag):
    recs = []
    recs += record(K_OWNER, T0 + 10, arg=1)
    recs += record(K_PROC_START, T0 + 10, obj=PID, arg=PPID, data=b"prog\0")
    recs += record(K_THREAD_ADOPT, T0 + 11, obj=0x7F0000001000, arg=PID, aux=0)
    recs += record(K_OWNER, T0 + 20, arg=2)
    # thread 2, started by main (arg2 = creator tid): its create record
    # never came
    recs += record(K_THREAD_START, T0 + 20, obj=0x7F0000002000, arg=PID + 1, arg2=1,
                   aux=START_INTERNAL if flag else 0)
    recs += record(K_OWNER, T0 + 30, arg=1)
    recs += record(K_MAIN_RETURN, T0 + 30, arg=0)
    recs += record(K_PROC_END, T0 + 31)
    chunk = struct.pack("<IIIIQQ", len(recs), CHUNK_MAGIC, 1, 0, T0, 0)
    chunk += b"\0" * (CHUNK_HDR - len(chunk)) + struct.pack("<%dQ" % len(recs), *recs)
    chunk += b"\0" * (CHUNK_SIZE - len(chunk))
    hdr = struct.pack("<8sIIIIQiiQQIIQQIIIIIIQQQ", b"WEFTLOG\0", 2, HEADER_SIZE, CHUNK_SIZE,
                      WORD, 1, PID, PPID, T0, 0, 0, 32, 1, 0, 2, F_FINISHED, 0, 0, 0, 0, 0,
                      T0 + 40, 0)
    return hdr + b"\0" * (HEADER_SIZE - len(hdr)) + chunk

def findings(flag, work):
    log = os.path.join(work, "log.%d" % flag)
    db = os.path.join(work, "t%d.db" % flag)
    with open(log, "wb") as f:
        f.write(log_bytes(flag))
    p = subprocess.run([WEFT, "ingest", "-q", "-o", db, log], capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(db):
        sys.exit("internal_start: weft ingest exited %d: %s" % (p.returncode, p.stderr))
    con = sqlite3.connect(db)
    threads = con.execute("SELECT count(*), sum(internal) FROM threads WHERE tid = 2").fetchone()
    got = con.execute("SELECT kind, message FROM findings").fetchall()
    con.close()
    return threads, got

def main():
    bad = 0
    with tempfile.TemporaryDirectory() as work:
        threads, got = findings(1, work)
        if threads != (1, 1) or got:
            print("internal_start: with WEFT_START_INTERNAL: want thread 2 internal and no "
                  "finding; got (threads, internal) %s, findings %s" % (threads, got))
            bad = 1
        threads, got = findings(0, work)
        if threads != (1, 0) or [k for k, _ in got] != ["leaked-thread"]:
            print("internal_start: without the flag: want thread 2 a program thread, reported "
                  "leaked (the log is read as before); got %s, findings %s" % (threads, got))
            bad = 1
    print("internal_start: %s" % ("FAIL" if bad else "ok"))
    return bad

if __name__ == "__main__":
    sys.exit(main())
