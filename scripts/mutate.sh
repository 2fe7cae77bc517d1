#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mutate.sh: the curated mutation sweep (issue 13, "tests that bite"). Each
# mutation below is a deliberate bug in critical behaviour: a name, a file,
# an exact text and its replacement, and the CTest regex of the tests that
# must catch it. The sweep copies the checkout (tracked and untracked,
# not ignored, files: uncommitted changes included) into a work
# directory, builds it once, checks that the named tests pass unmutated,
# then applies one mutation at a time, rebuilds incrementally (one build
# directory, each mutation reverted before the next), runs the named tests
# and prints a table: the mutation, the test that caught it or SURVIVED,
# and the score. Exit 0 when every mutation was caught, 1 when one
# survived (or did not apply or build), 2 on an error of the sweep itself.
#
# A mutation's text must occur exactly once in its file: when the code
# moves, the sweep fails loudly ("not found") instead of testing nothing.
#
# usage: scripts/mutate.sh [--list|--check] [--only NAME[,NAME...]] [-j N] [--work DIR]
#   --list   the mutations and their tests, nothing run
#   --check  only check that every mutation's text is found exactly once
#   --only   these mutations only
#   -j N     build and test jobs (default: the CPUs)
#   --work   the work directory (default: build/mutate; reused, so a second
#            sweep only rebuilds what changed)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
py=/usr/bin/python3
[ -x "$py" ] || py=python3
jobs=$(nproc)
only=""
list=0
work=$src/build/mutate

usage() {
  sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --list) list=1 ;;
    --check) list=check ;;
    --only) only=${2:?--only needs a name}; shift ;;
    --only=*) only=${1#--only=} ;;
    -j) jobs=${2:?-j needs a number}; shift ;;
    -j*) jobs=${1#-j} ;;
    --work) work=${2:?--work needs a directory}; shift ;;
    --work=*) work=${1#--work=} ;;
    -h|--help) usage ;;
    *) echo "mutate.sh: unknown option '$1'" >&2; usage ;;
  esac
  shift
done

# The mutations: blocks of "name:", "file:", "from:", "to:", "tests:"
# (and an optional "why:") lines, one blank line between blocks. from/to
# are one line each, exact: everything after "from: " counts, leading
# spaces included; a \n in them is a line break.
mutations=$(cat <<'EOF'
name: wg-wait-wrong-generation
why: a Wait that slept acquires the next generation, not the one it waited for
file: runtime/wg.c
from:     WEFT__HB_ACQUIRE(wg, epoch);
to:     WEFT__HB_ACQUIRE(wg, epoch + 1);
tests: ^integration:hb_interpose$

name: wg-wait-fast-generation
why: Wait at a zero counter acquires the current epoch, not the one that ended
file: runtime/wg.c
from:             WEFT__HB_ACQUIRE(wg, epoch - 1);
to:             WEFT__HB_ACQUIRE(wg, epoch);
tests: ^integration:hb_interpose$

name: wg-done-no-release
why: Done never announces its release
file: runtime/wg.c
from:         if (delta < 0 && released != wg_epoch(old)) {
to:         if (delta < -1 && released != wg_epoch(old)) {
tests: ^integration:hb_interpose$

name: sem-release-no-hb
why: a semaphore release is no release
file: runtime/sem.c
from:     WEFT__HB_RELEASE(s, 0);
to:     (void)s;
tests: ^integration:hb_interpose$

name: sem-try-acquire-no-hb
why: try_acquire's success acquires nothing
file: runtime/sem.c
from:     if (ok)\n        WEFT__HB_ACQUIRE(s, 0);
to:     if (!ok)\n        WEFT__HB_ACQUIRE(s, 0);
tests: ^integration:hb_interpose$

name: ctx-cancel-no-release
why: a cancel publishes its error without a release
file: runtime/ctx.c
from:     WEFT__HB_RELEASE(c, 0);
to:     (void)0;
tests: ^integration:hb_interpose$

name: ctx-err-no-acquire
why: Err of a cancelled context acquires nothing
file: runtime/ctx.c
from:     if (err != 0)\n        WEFT__HB_ACQUIRE(ctx, 0);
to:     if (err == 0)\n        WEFT__HB_ACQUIRE(ctx, 0);
tests: ^integration:hb_interpose$

name: group-wait-no-acquire
why: a group's Wait acquires nothing
file: runtime/group.c
from:     WEFT__HB_ACQUIRE(g, 0);
to:     (void)g;
tests: ^integration:hb_interpose$

name: json-skips-tab
why: the JSON escaper writes TAB raw (invalid JSON)
file: harness/util/json.c
from:     if (*s < 0x20 || *s == 0x7f)
to:     if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
tests: ^reports:escapes$

name: json-skips-del
why: the JSON escaper writes DEL raw
file: harness/util/json.c
from:     if (*s < 0x20 || *s == 0x7f)
to:     if (*s < 0x20)
tests: ^reports:escapes$

name: json-skips-backslash
why: a backslash is written unescaped
file: harness/util/json.c
from:     if (*s == '"' || *s == '\\')
to:     if (*s == '"')
tests: ^reports:escapes$

name: json-invalid-utf8-kept
why: a stray byte >= 0x80 goes out raw (invalid UTF-8)
file: harness/util/json.c
from:         return (size_t)snprintf(buf, 8, "\\ufffd");
to:         return (size_t)snprintf(buf, 8, "%c", *s);
tests: ^reports:escapes$

name: unbounded-threads-off-by-one
why: the threshold fires at N, not above N
file: detectors/d_threads.c
from:         if (st->ps[i].peak <= max)
to:         if (st->ps[i].peak < max)
tests: ^detectors:threads$

name: deadlock-timeout-ignored
why: weft run never passes --deadlock-timeout on
file: cli/cmd_run.c
from:             setenv("WEFT_DEADLOCK_TIMEOUT_MS", d, 1);
to:             (void)d;
tests: ^harness:deadlock_timeout$

name: run-missing-exits-1
why: weft run of a missing program exits 1, not 127
file: cli/cmd_run.c
from:         return 127;
to:         return 1;
tests: ^harness:exit_codes$

name: run-noexec-exits-125
why: a program that cannot be run exits 125, not 126
file: cli/cmd_run.c
from:         rc = 126;
to:         rc = 125;
tests: ^harness:exit_codes$

name: run-signal-status
why: a death by signal N is reported as N, not 128+N
file: cli/cmd_run.c
from:     int result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
to:     int result = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
tests: ^harness:exit_codes$

name: chan-release-wrong-seq
why: a channel's release names a ticket no acquire waits for
file: runtime/chan.c
from: #define REL(ch, t) WEFT__HB_RELEASE(&(ch)->hb, (t))
to: #define REL(ch, t) WEFT__HB_RELEASE(&(ch)->hb, (t) + 4)
tests: ^integration:hb_interpose$

name: json-c1-raw
why: C1 controls U+0090..U+009F go out raw
file: harness/util/json.c
from:     if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) /* C1 controls */
to:     if (n == 2 && s[0] == 0xC2 && s[1] < 0x90) /* C1 controls */
tests: ^reports:escapes$

name: xml-skips-us
why: the XML escaper writes 0x1f raw (not well-formed XML)
file: reports/xmlesc.c
from:         else if (c < 0x20 || c == 0x7f)
to:         else if (c < 0x1f || c == 0x7f)
tests: ^reports:escapes$

name: xml-raw-ampersand
why: the XML escaper writes & raw
file: reports/xmlesc.c
from:             fputs("&amp;", f);
to:             fputc('&', f);
tests: ^reports:(escapes|junit_hostile)$

name: xml-bad-utf8-raw
why: bytes that are not UTF-8 go into the XML raw
file: reports/xmlesc.c
from:                 fputs("\xEF\xBF\xBD", f);\n            } else if (n == 3
to:                 fwrite(s, 1, (size_t)n, f);\n            } else if (n == 3
tests: ^reports:escapes$

name: text-raw-escape
why: the text escaper lets ESC through (terminal escape sequences)
file: harness/util/textesc.c
from:     int bad = n < 0 || s[0] < 0x20 || s[0] == 0x7f || (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
to:     int bad = n < 0 || s[0] < 0x1b || s[0] == 0x7f || (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
tests: ^reports:escapes$

name: text-raw-bidi
why: the text escaper lets U+202E (right-to-left override) through
file: harness/util/textesc.c
from:     int bidi = (cp >= 0x202A && cp <= 0x202E) ||
to:     int bidi = (cp >= 0x202A && cp <= 0x202D) ||
tests: ^reports:escapes$

name: html-raw-lt
why: the HTML report's data lets < through (</script> breaks out)
file: reports/html.c
from:         if (c == '<' || c == '>' || c == '&')
to:         if (c == '>' || c == '&')
tests: ^reports:html_escape$

name: double-close-first-stack
why: a channel's double close shows the second close as the first
file: detectors/d_chan.c
from:                                          {"first_close", ch->close_stack, 0},
to:                                          {"first_close", e->stack, 0},
tests: ^detectors:closes$

name: double-close-fd-swapped
why: an fd's double close swaps its two stacks
file: detectors/d_chan.c
from: {{"close", e->stack, 0},\n                                         {"first_close", f->close_stack, 0}};
to: {{"close", f->close_stack, 0},\n                                         {"first_close", e->stack, 0}};
tests: ^detectors:closes$

name: sem-over-release-roles
why: semaphore-over-release swaps its release and creation stacks
file: detectors/d_sem.c
from: {{"release", e->stack, 0},\n                                 {"creation", have ? o.create_stack : 0, 0}};
to: {{"release", have ? o.create_stack : 0, 0},\n                                 {"creation", e->stack, 0}};
tests: ^detectors:misc$

name: wg-negative-not-reported
why: Done on an empty WaitGroup is not reported
file: detectors/d_wg.c
from:         if (e->arg2 == -34) {
to:         if (e->arg2 == -35) {
tests: ^detectors:wg$

name: unbounded-threads-default
why: the default threshold is 999, not 1000
file: detectors/d_threads.c
from:     int max = c->opts->max_threads > 0 ? c->opts->max_threads : 1000;
to:     int max = c->opts->max_threads > 0 ? c->opts->max_threads : 999;
tests: ^harness:threads_default_threshold$

name: engine-mutex-unlock-no-release
why: a mutex unlock orders nothing for the detectors
file: detectors/engine.c
from:     case WEFT_K_MUTEX_UNLOCK:\n    case WEFT_K_MUTEX_RELOCKS: /* its locks took back the thread's own clock */\n        if (locks)\n            weft__vc_obj_release(h, t, KEY(e->pid, TAG_MUTEX), obj, 0, 1);
to:     case WEFT_K_MUTEX_UNLOCK:\n    case WEFT_K_MUTEX_RELOCKS:\n        (void)obj;
tests: ^detectors:(wg|answered)$

name: answered-ticket-tag-unread
why: the ticket a partner acquired is not read back from the clock table: a thread whose channel wait was answered, still finishing at exit, is reported leaked
file: detectors/answered.c
from:     acquired(c, e, c->acq_tag_thread, c->acq_tag_event);
to:     acquired(c, e, 0, 0);
tests: ^detectors:(answered|stale_ticket)$

name: answered-stale-tag-taken
why: a ticket tagged with a call that has ended answers whatever call its thread is in now: a thread blocked for good after an answered wait is not reported
file: detectors/answered.c
from:     if (w && w->call.kind && w->call.event == block_event)\n        w->call.answered = block_event;
to:     if (w && w->call.kind)\n        w->call.answered = w->call.event;
tests: ^detectors:stale_ticket$

name: engine-cond-wait-no-reacquire
why: the end of a condition wait does not reacquire its mutex
file: detectors/engine.c
from:         if (locks)\n            weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_MUTEX), (uint64_t)e->arg2, 0);
to:         (void)locks;
tests: ^detectors:(wg|answered)$

name: engine-rwlock-unlock-no-release
why: a rwlock unlock orders nothing for the detectors
file: detectors/engine.c
from:         if (locks)\n            weft__vc_obj_release(h, t, KEY(e->pid, TAG_RW), obj, 0, 0);
to:         (void)obj;
tests: ^detectors:wg$

name: engine-thread-start-no-acquire
why: a thread's start is not ordered after its creation
file: detectors/engine.c
from:             weft__vc_acquire(h, t, srv);
to:             (void)srv;
tests: ^detectors:(misc|wg)$

name: close-by-receiver-ended-senders
why: a close after every sender ended is still reported as close-by-receiver
file: detectors/d_chan.c
from:           (!t->ended || t->ended > ch->close_event);
to:           (1 || t->ended > ch->close_event);
tests: ^detectors:closes$

name: thread-findings-not-folded
why: every thread of one creation site is a finding of its own again
file: detectors/findings.c
from:     return !strcmp(kind, "leaked-thread") || !strcmp(kind, "unjoined-thread");
to:     return !kind;
tests: ^detectors:cli$

name: suppress-start-function-ignored
why: a suppression by the thread's start function matches nothing
file: detectors/suppress.c
from:         return (t && glob(r->pattern, t->start)) ||
to:         return (t && glob(r->pattern, "?")) ||
tests: ^detectors:cli$

name: spawner-any-frame
why: a suppression's spawner= matches any frame of the creation stack, as creator= does
file: detectors/suppress.c
from:         if (what & F_SPAWNER)
to:         if (what & 0)
tests: ^detectors:cli$

name: prepare-written-chunks-again
why: the shim's thread prepares the chunks claimed before it started, faulting the written log back into the program
file: harness/shim/log_writer.c
from:         if (p < claimed) {
to:         if (0) {
tests: ^harness:log_rss$

name: release-clock-overwritten
why: a release of an hb object by a thread whose clock lags pulls the object's release time back, so an acquire of an earlier release is stamped before it
file: harness/shim/log_writer.c
from:     while (cur < weft__t.last_ts &&
to:     while (cur != weft__t.last_ts &&
tests: ^harness:fold_skew$

name: lock-time-unfenced
why: the time of a lock's record is taken by an rdtsc that may run ahead of the lock itself: a lock handed over comes before the unlock it waited for
file: harness/shim/log_writer.c
from:     return !(kind & WEFT_EMIT_OWN) && fenced_kinds[kind & 0xffu];
to:     return !(kind & WEFT_EMIT_OWN) && fenced_kinds[kind & 0xffu] && 0;
tests: ^harness:lock_pingpong$

name: anchor-site-ignored
why: a lock names an anchor of its mutex taken from another call site: its stack is the anchor's, not its own
file: harness/shim/log_writer.c
from:     return weft__t.anchor[i].obj == obj && weft__t.anchor[i].site == site;
to:     return (void)site, weft__t.anchor[i].obj == obj;
tests: ^harness:backref_same$

name: stage-run-not-recopied
why: a relock run copied from its staging slot while open is not copied again after it changed: its later locks are lost
file: harness/ingest/stage.c
from:         if (x->run_at && run_again(g, x, w, cnt, all ? WEFT_STAGE_FULL : state) != 0)
to:         if (0 && x->run_at && run_again(g, x, w, cnt, all ? WEFT_STAGE_FULL : state) != 0)
tests: ^harness:stage_(runs|live)$

name: stage-check-slots-ignored
why: the in-process check reads a chunk in its own place while its records are still in a staging slot: the leaks it reports lose their start routine and their wait
file: harness/shim/shim_check.c
from:     if (!h->stage_n || !__atomic_load_n(&h->stage_copier, __ATOMIC_ACQUIRE))
to:     if (1)
tests: ^check:shim_staged$

name: reach-wait-by-tid
why: the watchdog's channel check tracks a waiter by thread, not by wait: the threads of a working pipeline, caught in a new wait at every check, are reported as stuck for good
file: harness/shim/reach.c
from:             if (track[k].tid == tid && track[k].waits == waits)
to:             if (track[k].tid == tid)
tests: ^harness:reach_check$

name: block-hook-ignored
why: the shim ignores libweft's announcement that a channel operation queues its thread: a send or receive that waits has no begin record, so a thread blocked in it for good is not said to wait, and the deadlock watchdog never counts it
file: harness/shim/shim_weft.c
from:     if (!k || weft__t.fold_done)
to:     if (1)
tests: ^harness:(weft|send_woken_by_close|deadlock_chan)$

name: late-run-unchecked
why: a relock run that the live reader took as final by the clock is not read again: the locks its held writer stored after are missing from the trace, and no loss says so
file: harness/ingest/stream.c
from:             l->late_relocks += run_changes(e->slots, now);
to:             (void)run_changes(e->slots, now);
tests: ^harness:runs_late$

name: stage-heal-skipped
why: a log whose copier was killed is read without its slots written to their chunks: what the program wrote after weft died is missing, and no loss says so
file: harness/ingest/stage.c
from:     if (cp && (cp == getpid() || kill(cp, 0) == 0 || errno != ESRCH))
to:     if ((void)cp, 1)
tests: ^harness:stage_heal$

name: run-held-lock-dropped
why: a relock run's lock still held (counted in the run, never unlocked) is not handed to the pass: the thread that returned holding it has no lock-held-at-exit, the one that held it at exit holds nothing
file: harness/ingest/ingest.c
from:         if (held && !rc) {
to:         if (0 && held && !rc) {
tests: ^harness:runs_same$

name: run-read-open
why: a live reader hands out a relock run its thread still counts in, as read when it was first seen: the pairs counted after are lost
file: harness/ingest/stream.c
from:     if (c->rec.kind == WEFT_K_MUTEX_RUN && m->logs[c->log]->live) {
to:     if (0 && c->rec.kind == WEFT_K_MUTEX_RUN && m->logs[c->log]->live) {
tests: ^harness:runs_live$

name: run-moves-last-site
why: a lock counted in a relock run becomes the thread's last lock site in the shim, which the reader cannot know (it cannot tell which of a run's locks came last): the next lock from that site is written without its stack and read with another's
file: harness/shim/log_writer.c
from:         weft__t.pc_last = last;
to:         (void)last;
tests: ^harness:runs_same$

name: anchor-out-of-reach-accepted
why: the reader follows a WEFT_H_BACK record to an anchor further back than the words it may read (before the run's buffer or the chunk)
file: harness/format/log.h
from:         if (f || (h & WEFT_H_ONCE) || d == 0 || d > back ||
to:         if (f || (h & WEFT_H_ONCE) || d == 0 || d > back + WEFT_BACK_MAX ||
tests: ^harness:log_decode$

name: thread-start-routine-ignored
why: a thread whose creation record never came (it ended the process first) keeps an unknown start function, though its own start record names it
file: harness/ingest/model.c
from:         if (!self->start_routine && r->dlen == 2 * sizeof(uint64_t)) {
to:         if (!self->start_routine && r->dlen == 2 * sizeof(uint64_t) && 0) {
tests: ^harness:fault_exit_first$

name: thread-clock-not-inherited
why: a new thread's record clock does not start at its creator's: with a lagging clock its records come before what its creator did before creating it
file: harness/shim/shim_thread.c
from:     weft__clock_after(((struct start *)p)->clock);
to:     (void)0;
tests: ^scenario-skew:all$

name: held-signal-never-passed-on
why: a signal held for PROG is dropped when its wait is over instead of passed on
file: cli/cmd_run.c
from:             kill(child, sig);
to:             (void)sig;
tests: ^harness:signals_once$

name: error-exitcode-ignored
why: --error-exitcode is not applied when an error finding is reported
file: cli/cmd_run.c
from:                 if (dr.errors && error_exit > 0)
to:                 if (dr.errors && error_exit > 255)
tests: ^detectors:cli$

name: fingerprint-ignores-kind
why: a finding's fingerprint does not depend on its kind
file: reports/fingerprint.c
from:     h = fnv(h, f->kind);
to:     (void)f->kind;
tests: ^reports:(fingerprint_oracle|fingerprint_runs|fingerprint_rebuild|group)$

name: log-chunks-unmarked
why: a thread that leaves a full log chunk does not mark it: no sweep gives it back, and the program's memory grows with its log
file: harness/shim/log_writer.c
from:     __atomic_fetch_or(&left_bits[idx / 64], 1ull << (idx % 64), __ATOMIC_RELEASE);
to:     (void)0;
tests: ^harness:log_rss(_threads)?$

name: hold-room-none
why: a held begin record is written with no room kept after it: where its chunk runs out before its stack is known, the begin goes without one
file: harness/shim/log_writer.c
from: #define HOLD_ROOM 160u
to: #define HOLD_ROOM 0u
tests: ^harness:chan_wait_stacks$

name: wait-hook-no-stack
why: libweft's weft__hb_wait commits the held begin record without looking up its stack
file: harness/shim/shim_weft.c
from:         weft__log_unhold(weft__stack_user());
to:         weft__log_unhold(0);
tests: ^harness:chan_wait_stacks$

name: unhold-not-committed
why: the held begin record gets its stack but is not committed: a thread that then sleeps for good is not seen waiting
file: harness/shim/log_writer.c
from:     weft__t.hold = 0;\n    __atomic_store_n(&c->committed, weft__t.pos, __ATOMIC_RELEASE);\n    __atomic_sub_fetch(&holders, 1, __ATOMIC_RELEASE);\n}
to:     weft__t.hold = 0;\n    __atomic_sub_fetch(&holders, 1, __ATOMIC_RELEASE);\n}
tests: ^harness:chan_wait_stacks$

name: exit-does-not-wait-for-held
why: the process's end does not wait for other threads' held records: a worker whose one send was just answered loses its begin and looks leaked
file: harness/shim/log_writer.c
from:         for (uint64_t end = weft__now() + WEFT_LOG_EXIT_WAIT_MS * 1000000ull;
to:         for (uint64_t end = weft__now();
tests: ^harness:exit_held$

name: symcache-fingerprint-ignored
why: a cached answer is taken whatever debug file libdw would read now: a module whose debug file went (or came) keeps the names of the other
file: harness/ingest/symcache.c
from: memcmp(h.bid, bid, blen) != 0 || memcmp(&h.fp, fp, sizeof *fp) != 0)
to: memcmp(h.bid, bid, blen) != 0 || !fp)
tests: ^harness:symtab_cache$

name: symcache-sum-unchecked
why: a cache file's body is used without its sum: a byte changed in its strings names frames wrongly
file: harness/ingest/symcache.c
from: weft__log_pread(fd, body, size, sizeof h) != size || fnv(FNV0, body, size) != h.sum ||
to: weft__log_pread(fd, body, size, sizeof h) != size ||
tests: ^harness:symtab_cache$

name: prepare-window-full
why: the shim prepares 64 log chunks ahead from the start: a short program gets 4 MiB of log pages it never writes faulted into its memory
file: harness/shim/log_writer.c
from: return claimed < PREPARE_MIN ? PREPARE_MIN : claimed > PREPARE_AHEAD ? PREPARE_AHEAD : claimed;
to: return claimed * 0 + PREPARE_AHEAD;
tests: ^harness:short_rss$

name: unwind-fast-always
why: every thread unwinds with libunwind's fast trace from its first unwind: 256 KiB of frame cache each, 2,000 threads that wait once hold 683 MB
file: harness/shim/stack.c
from: static int unwind(void **buf, int cap) {\n    if (!weft__t.fast_unwind) {
to: static int unwind(void **buf, int cap) {\n    return unw_backtrace(buf, cap);\n    if (!weft__t.fast_unwind) {
tests: ^harness:threads_rss$

name: stack-found-by-place
why: a wait stack is found again by the place of weft__stack_user's frame alone, its words not compared: another caller above that place gets the first caller's stack
file: harness/shim/stack.c
from:         while (i < e->n && *(const volatile uint64_t *)(base + e->off[i]) == e->val[i])
to:         while (i < e->n && base)
tests: ^harness:chan_wait_stacks$

name: dropped-not-counted
why: a record that finds no room in the log is not counted as dropped
file: harness/shim/log_writer.c
from:     if (!c) {\n        weft__log_count_dropped(1);\n        return NULL;
to:     if (!c) {\n        (void)0;\n        return NULL;
tests: ^harness:dropped_events$

name: shim-mutex-unlock-unrecorded
why: the shim does not record pthread_mutex_unlock
file: harness/shim/shim_sync.c
from:     WEFT_RECORD(relock_unlock(m); weft__emit_unlock((uint64_t)(uintptr_t)m, st()));
to:     WEFT_RECORD(relock_unlock(m));
tests: ^(detectors:misc|harness:threads)$

name: shim-errno-clobbered
why: a lock's try call clobbers errno for the program
file: harness/shim/shim_sync.c
from:         int saved_ = errno;
to:         int saved_ = 0;
tests: ^harness:errno$

name: reader-chunk-magic-unchecked
why: the log reader accepts a chunk with a bad magic
file: harness/ingest/log_reader.c
from:     if (c->magic != WEFT_LOG_CHUNK_MAGIC)
to:     if (0 && c->magic != WEFT_LOG_CHUNK_MAGIC)
tests: ^(harness:ingest_bad_chunk|fuzz:replay)$

name: ingest-handoff-known-ignored
why: the ingest keeps the rows of a mutex hand-off the taker already knew
file: harness/ingest/rows.c
from:     if (had >= m->rel_seq)\n        return 1;
to:     if (had >= m->rel_seq)\n        return 0;
tests: ^harness:handoff_counted$

name: ingest-handoff-known-too-soon
why: the ingest counts a mutex hand-off whose taker knew only an older release of the releaser
file: harness/ingest/rows.c
from:     if (had >= m->rel_seq)\n        return 1;
to:     if (had)\n        return 1;
tests: ^harness:handoff_counted$

name: resume-consumed-read-again
why: a resumed live ingest reads again the records its killed weft had committed
file: harness/ingest/stream.c
from:         if (sk < l->nskip && l->skip[sk].chunk == i && l->skip[sk].from <= k) {
to:         if (0 && sk < l->nskip && l->skip[sk].chunk == i && l->skip[sk].from <= k) {
tests: ^harness:live_resume_again$

name: resume-rate-not-restored
why: a resumed log's times are converted at a rate of its own, not at the one the killed weft fixed
file: harness/ingest/stream.c
from:     if (ready) {\n        l->rate = rate;
to:     if (0 && ready) {\n        l->rate = rate;
tests: ^harness:live_resume_anywhere$

name: resume-cursor-record-lost
why: a checkpoint counts a run's next record, not yet handed out, as consumed
file: harness/ingest/stream.c
from:             upto[c->idx] = c->run.word + (c == m->last ? c->pos : c->at);
to:             upto[c->idx] = c->run.word + c->pos;
tests: ^harness:live_resume_again$

name: engine-psem-post-no-release
why: a POSIX sem_post orders nothing for the detectors
file: detectors/engine.c
from:         weft__vc_obj_release(h, t, KEY(e->pid, TAG_SEM), obj, 0, 0);
to:         (void)obj;
tests: ^detectors:wg$

name: engine-hb-acquire-ignored
why: libweft's happens-before acquires (folded into the events) order nothing for the detectors
file: detectors/engine.c
from:     if (e->has_acq) {\n        weft__vc_obj_acquire(
to:     if (0 && e->has_acq) {\n        weft__vc_obj_acquire(
tests: ^detectors:wg$

name: lockorder-no-happens-before
why: lock orders that a join or a channel handover keeps apart are reported as inversions
file: detectors/d_lockorder.c
from:     return weft__vc_knows(c->hb_nolock, &y->rv, x->thread, x->epoch) ||\n           weft__vc_knows(c->hb_nolock, &x->rv, y->thread, y->epoch);
to:     return (weft__vc_knows(c->hb_nolock, &y->rv, x->thread, x->epoch) ||\n            weft__vc_knows(c->hb_nolock, &x->rv, y->thread, y->epoch)) && 0;
tests: ^detectors:lockorder$

name: lockorder-no-gate
why: opposite orders under one common gate lock are reported as inversions
file: detectors/d_lockorder.c
from:             if (x->gate[i] == y->gate[j] && (x->gate_w[i] || y->gate_w[j]))
to:             if (0 && x->gate[i] == y->gate[j] && (x->gate_w[i] || y->gate_w[j]))
tests: ^detectors:lockorder$

name: lockorder-trylock-edge
why: a successful trylock, which cannot wait, makes a lock-order edge
file: detectors/d_lockorder.c
from:     if (ts->n && !try) {
to:     if (ts->n && (!try || 1)) {
tests: ^detectors:lockorder$

name: lockorder-destroy-kept
why: a mutex destroyed and made again at the same address is taken for the old one
file: detectors/d_lockorder.c
from:         weft__table_del(&st->nodes, k);
to:         (void)k;
tests: ^detectors:lockorder$

name: lockorder-recursive-edge
why: a thread taking its own recursive mutex again makes a lock-order edge
file: detectors/d_lockorder.c
from:         if (ts->h[i].addr == addr) {\n            ts->h[i].count++; /* already its own
to:         if (0) {\n            ts->h[i].count++; /* already its own
tests: ^detectors:lockorder$

name: uri-raw-ampersand
why: SARIF's file URIs let & through unencoded
file: reports/uri.c
from:             c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
to:             c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '&')
tests: ^reports:sarif_hostile$

name: reach-recv-carry-dropped
why: a receive no longer learns what the channel's senders could reach (a reply channel inside a request)
file: harness/shim/shim_weft.c
from:     int r = chan_op(ch, elem, 0);\n    weft__reach_pull(P(ch), WEFT_REACH_CHAN);
to:     int r = chan_op(ch, elem, 0);
tests: ^harness:chan_leak_reply$

name: reach-unlock-carry-dropped
why: an unlock no longer passes on what its thread could reach (a reply channel in a queue under a mutex)
file: harness/shim/shim_sync.c
from:     WEFT_RECORD(relock_unlock(m); weft__emit_unlock((uint64_t)(uintptr_t)m, st()));\n    weft__reach_sync_push((uintptr_t)m);
to:     WEFT_RECORD(relock_unlock(m); weft__emit_unlock((uint64_t)(uintptr_t)m, st()));
tests: ^harness:chan_leak_queue$

name: reach-not-inherited
why: a new thread no longer inherits the channels its creator could reach
file: harness/shim/shim_thread.c
from:         weft__reach_start(&s.reach);
to:         weft__reach_start(&(const struct weft__reach_set){0});
tests: ^harness:chan_leak_later$

name: reach-report-dropped
why: the watchdog's channel check never reports
file: harness/shim/reach.c
from:     weft__wd_report_chans(w, nw);
to:     (void)w;
tests: ^harness:chan_leak_(pool|pair|abandon)$

name: reach-list-unread
why: the channel check takes every thread's filter at its word, never its list of channels (a filter whose other channels set both of a channel's bits says "maybe": a leak goes unreported)
file: harness/shim/reach.c
from:     int listed = !__atomic_load_n(&s->many, __ATOMIC_RELAXED);
to:     int listed = 0;
tests: ^harness:chan_leak_lookalike$

name: reach-carry-unkeyed
why: a receive also learns from a carry entry keyed by another object (two objects whose hashes meet pass on each other's reach: a leak goes unreported)
file: harness/shim/reach.c
from:         if (k != obj && k != WEFT_REACH_SHARED)
to:         if (j == 1 && k != obj && k != WEFT_REACH_SHARED)
tests: ^harness:chan_leak_crowded$

name: vc-inplace-shared
why: an acquire takes its thread's old clock as the next scratch although a release shares it (an object's stored clock learns what its releaser's next merge wrote: edges that never were, races missed)
file: detectors/vc.c
from:     if (b && b->ref == 1) {
to:     if (b && b->ref >= 1) {
tests: ^detectors:vc$

name: ingest-lone-end-ends-call
why: the ingest takes a lock that did not wait, in a signal handler, for the end of the thread's sem_wait (blocked_at_exit loses it, the lock's row gets the wait's begin_ts)
file: harness/ingest/ingest.c
from:     if (blk == 2 && weft_kind_lone_end(r->kind, r->arg2))
to:     if (0 && weft_kind_lone_end(r->kind, r->arg2))
tests: ^harness:sigwait_lock$

name: engine-lone-end-ends-call
why: the detectors take a lock that did not wait, in a signal handler, for the end of the thread's sem_wait (leaked-thread says running)
file: detectors/internal.h
from:     return phase == 2 && weft_kind_lone_end((unsigned)e->kind, (uint64_t)e->arg2) ? 0 : phase;
to:     return phase;
tests: ^harness:sigwait_lock$

name: engine-nested-call-not-restored
why: a signal handler's lock that waited ends the sem_wait it interrupted for the detectors (leaked-thread says running)
file: detectors/engine.c
from:     } else if (phase == 2 && t->nested) {
to:     } else if (phase == 3 && t->nested) {
tests: ^harness:sigwait_wait$
EOF
)

# The sweep's engine, in Python: parsing, applying, building, testing.
engine=$(cat <<'PY'
import os, re, shutil, subprocess, sys, time

src, work, jobs, list_only, only = sys.argv[1:6]
text = sys.argv[6]
jobs = int(jobs)

def die(msg, code=2):
    print("mutate.sh: " + msg, file=sys.stderr)
    sys.exit(code)

muts = []
for block in re.split(r"\n\s*\n", text.strip()):
    m = {}
    for line in block.split("\n"):
        key, sep, val = line.partition(": ")
        if not sep and line.endswith(":"):
            key, val = line[:-1], ""
        if key in m:
            die("mutation block has %s twice:\n%s" % (key, block))
        m[key] = val
    for key in ("name", "file", "from", "to", "tests"):
        if key not in m:
            die("mutation block without %s:\n%s" % (key, block))
    m["from"] = m["from"].replace("\\n", "\n")
    m["to"] = m["to"].replace("\\n", "\n")
    muts.append(m)
names = [m["name"] for m in muts]
if len(set(names)) != len(names):
    die("two mutations share a name")
if only:
    want = only.split(",")
    unknown = [w for w in want if w not in names]
    if unknown:
        die("no mutation named " + ", ".join(unknown))
    muts = [m for m in muts if m["name"] in want]

if list_only == "1":
    for m in muts:
        print("%-32s %-28s %s" % (m["name"], m["file"], m["tests"]))
        if m.get("why"):
            print("%-32s %s" % ("", m["why"]))
    print("%d mutations" % len(muts))
    sys.exit(0)

# Every mutation's text must be in the checkout exactly once.
for m in muts:
    body = open(os.path.join(src, m["file"]), encoding="utf-8").read()
    n = body.count(m["from"])
    if n != 1:
        die("%s: its text is %s in %s (the code moved: update the mutation)"
            % (m["name"], "not found" if n == 0 else "found %d times" % n, m["file"]))
if list_only == "check":
    print("mutate: the %d mutations' texts are each found once" % len(muts))
    sys.exit(0)

# The copy: files whose content changed are rewritten (a new mtime, so the
# build sees them); the others keep theirs (so the build stays incremental).
copy = os.path.join(work, "src")
build = os.path.join(work, "build")
os.makedirs(copy, exist_ok=True)
files = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], cwd=src,
                       check=True, capture_output=True).stdout.decode().split("\0")
for f in files:
    a = os.path.join(src, f)
    if not f or not os.path.isfile(a) or os.path.islink(a):
        continue
    b = os.path.join(copy, f)
    data = open(a, "rb").read()
    if os.path.isfile(b) and open(b, "rb").read() == data:
        continue
    os.makedirs(os.path.dirname(b), exist_ok=True)
    with open(b, "wb") as out:
        out.write(data)
    shutil.copymode(a, b)
# No git metadata in the copy: no test a mutation names reads history.

def log(msg):
    print(msg, flush=True)

def run(cmd, logf):
    with open(logf, "w") as out:
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode

def build_it(logf):
    return run(["cmake", "--build", build, "-j%d" % jobs], logf) == 0

def ctest(regex, logf, stop):
    """The failed tests' names ([] when all passed); None when no test matched."""
    cmd = ["ctest", "--test-dir", build, "-R", regex, "-j%d" % jobs, "--output-on-failure",
           "--no-tests=error"]
    if stop:
        cmd.append("--stop-on-failure")
    # The detectors' cases run 4 times each, not 20: a mutation shows on
    # every run, and the sweep stays within minutes.
    with open(logf, "w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                            env=dict(os.environ, WEFT_TEST_RUNS="4")).returncode
    out = open(logf, errors="replace").read()
    if "No tests were found" in out:
        return None
    failed = re.findall(r"^\s*\d+ - (\S+) \(", out.split("The following tests FAILED:")[-1],
                        re.M) if "The following tests FAILED:" in out else []
    if rc != 0 and not failed:
        failed = ["(ctest status %d)" % rc]
    return failed

logs = os.path.join(work, "logs")
os.makedirs(logs, exist_ok=True)
t0 = time.time()
log("mutate: building %s" % build)
# A change inside libweft.so need not relink the hundreds of programs that
# link it (CMAKE_LINK_DEPENDS_NO_SHARED): each mutation then rebuilds in
# seconds, not a minute.
if run(["cmake", "-S", copy, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
        "-DCMAKE_LINK_DEPENDS_NO_SHARED=ON"], os.path.join(logs, "configure.log")):
    die("cannot configure the copy: see %s/configure.log" % logs)
if not build_it(os.path.join(logs, "build-base.log")):
    die("the unmutated copy does not build: see %s/build-base.log" % logs)
# The tests there are, matched here (CTest's regex engine allows few
# groups): the union of the named tests runs once unmutated.
listing = subprocess.run(["ctest", "--test-dir", build, "-N"], capture_output=True,
                         text=True).stdout
tests = re.findall(r"^\s*Test\s+#\d+: (\S+)$", listing, re.M)
union = sorted({t for m in muts for t in tests if re.search(m["tests"], t)})
if not union:
    die("no test matches any mutation's tests")
log("mutate: the named tests, unmutated (%d)" % len(union))
failed = ctest("^(%s)$" % "|".join(union), os.path.join(logs, "tests-base.log"), False)
if failed:
    die("tests fail before any mutation: %s (see %s/tests-base.log)" % (" ".join(failed), logs))

rows = []
caught = 0
for m in muts:
    path = os.path.join(copy, m["file"])
    orig = open(path, encoding="utf-8").read()
    if orig.count(m["from"]) != 1:
        rows.append((m["name"], "NOT APPLIED (text not found once)"))
        continue
    t = time.time()
    with open(path, "w", encoding="utf-8") as f:
        f.write(orig.replace(m["from"], m["to"]))
    try:
        blog = os.path.join(logs, m["name"] + ".build.log")
        if not any(re.search(m["tests"], t) for t in tests):
            verdict = "NO TEST matches " + m["tests"]
        elif not build_it(blog):
            verdict = "BROKEN (does not build: %s)" % blog
        else:
            failed = ctest(m["tests"], os.path.join(logs, m["name"] + ".log"), True)
            if failed is None:
                verdict = "NO TEST matches " + m["tests"]
            elif failed:
                verdict = "caught by " + ", ".join(failed)
                caught += 1
            else:
                verdict = "SURVIVED"
    finally:
        # Written anew (a new mtime), so that the next build recompiles it.
        with open(path, "w", encoding="utf-8") as f:
            f.write(orig)
    rows.append((m["name"], verdict))
    log("mutate: %-32s %s (%.0f s)" % (m["name"], verdict, time.time() - t))

print()
print("%-32s %s" % ("mutation", "verdict"))
for name, verdict in rows:
    print("%-32s %s" % (name, verdict))
print("caught %d of %d (%.0f s; logs in %s)" % (caught, len(rows), time.time() - t0, logs))
# Leave the build as the checkout is.
build_it(os.path.join(logs, "build-restore.log"))
sys.exit(0 if caught == len(rows) else 1)
PY
)
exec "$py" -c "$engine" "$src" "$work" "$jobs" "$list" "$only" "$mutations"
