-- SPDX-License-Identifier: MIT
-- schema.sql: the weft trace database, version 7 (PRAGMA user_version).
-- Written by `weft ingest` from raw logs; read by detectors, reports and
-- people with sqlite3. docs/schema.md documents every table and column.
-- Times are CLOCK_MONOTONIC nanoseconds (comparable across the processes
-- of one trace); addresses are stored as signed 64-bit integers.
-- Indexes are made after the load (see index_sql in ingest.c); the two on
-- events only with `weft ingest/run --index` (they cost more than the load).

PRAGMA application_id = 1466263156; -- 'WEFT'
PRAGMA user_version = 7;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT
);

CREATE TABLE kinds (
  id       INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  family   TEXT NOT NULL,
  blocking INTEGER NOT NULL  -- 1: starts a blocking call, 2: ends one, 0: neither
);

CREATE TABLE processes (
  pid           INTEGER PRIMARY KEY,
  parent_pid    INTEGER,
  parent_thread INTEGER,          -- threads.id of the thread that forked it
  argv          TEXT,             -- JSON array of strings (of its last image: see images)
  exe           TEXT,             -- of its last image
  start_ns      INTEGER,
  start_realtime_ns INTEGER,
  end_ns        INTEGER,          -- last record of the process
  exit_kind     TEXT,             -- return | exit | _exit | signal | unknown
  exit_code     INTEGER,          -- when exited (NULL when killed by a signal)
  signal        INTEGER,          -- when killed by a signal
  finished      INTEGER,          -- 1: we saw the end; 0: the log stops (e.g. SIGKILL)
  events        INTEGER,
  dropped_events INTEGER,         -- over all its images
  stack_depth   INTEGER,
  log_path      TEXT,             -- of its last image
  complete      INTEGER NOT NULL DEFAULT 1, -- 0: records of it were lost (see losses)
  images        INTEGER NOT NULL DEFAULT 1  -- programs it ran: 1 + traced execs
);

-- Each program a process ran: its first image (fork or start), then one
-- per exec whose new program was traced (--trace-children).
CREATE TABLE images (
  pid       INTEGER NOT NULL,
  seq       INTEGER NOT NULL,       -- 0 = first
  exe       TEXT,
  argv      TEXT,                   -- JSON array of strings
  start_ns  INTEGER,
  end_ns    INTEGER,                -- its last record
  exec_path TEXT,                   -- the program it exec'd (the exec did not fail), or NULL
  untraced  INTEGER NOT NULL,       -- 1: it exec'd exec_path and no later image is in the trace
  log_path  TEXT,
  PRIMARY KEY (pid, seq)
) WITHOUT ROWID;

-- What the trace could not hold: one row per loss (docs/schema.md lists
-- the kinds). A trace with no row here is whole.
CREATE TABLE losses (
  pid      INTEGER,                 -- the process, when known
  log      TEXT,                    -- the log file, when there is one
  what     TEXT NOT NULL,           -- dropped-events | bad-chunk | unwritten-chunk | truncated |
                                    -- unreadable-log | empty-log | duplicate-log | missing-log | running |
                                    -- live-consumed
  count    INTEGER NOT NULL,        -- events (dropped-events), chunks (*-chunk, truncated), logs
  detail   TEXT NOT NULL            -- one line saying what happened
);

CREATE TABLE threads (
  id            INTEGER PRIMARY KEY, -- unique in the trace
  pid           INTEGER NOT NULL,
  tid           INTEGER NOT NULL,    -- trace thread id in the process (1 = first thread)
  os_tid        INTEGER,
  handle        INTEGER,             -- pthread_t
  name          TEXT,
  parent        INTEGER,             -- threads.id of the creator
  start_routine INTEGER,
  start_function TEXT,               -- start_routine symbolized
  arg           INTEGER,
  created_ns    INTEGER,
  started_ns    INTEGER,
  exited_ns     INTEGER,
  exit_kind     TEXT,                -- return | pthread_exit | canceled | NULL (still running at the end)
  exit_value    INTEGER,
  joined_ns     INTEGER,
  joined_by     INTEGER,             -- threads.id
  detached_ns   INTEGER,
  create_stack  INTEGER,             -- stacks.id
  exit_stack    INTEGER,
  adopted       INTEGER NOT NULL DEFAULT 0, -- 1: existed before we saw it created (e.g. main)
  created_by    TEXT,                -- pthread_create | weft_go | weft_group_go | weft_future_start | libweft
  internal      INTEGER NOT NULL DEFAULT 0, -- 1: libweft's own thread (its timer), 2: weft's watchdog
  UNIQUE (pid, tid)
);

CREATE TABLE objects (
  id           INTEGER PRIMARY KEY,
  pid          INTEGER NOT NULL,
  kind         TEXT NOT NULL,        -- thread | mutex | rwlock | cond | barrier | sem | fd | chan | ...
  address      INTEGER NOT NULL,     -- the address, or the fd number, or the pthread_t
  generation   INTEGER NOT NULL,     -- >0 when the same address/fd is reused after close/destroy
  created_ns   INTEGER,
  create_stack INTEGER,
  destroyed_ns INTEGER,
  destroy_stack INTEGER,
  thread       INTEGER,              -- for kind 'thread': threads.id
  info         TEXT                  -- e.g. how an fd was made (pipe, socketpair, ...)
);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY,       -- global order: by time, then thread
  pid     INTEGER NOT NULL,
  thread  INTEGER NOT NULL,          -- threads.id
  ts      INTEGER NOT NULL,
  kind    INTEGER NOT NULL,          -- kinds.id
  object  INTEGER,                   -- objects.id
  obj     INTEGER,                   -- the raw object value as recorded
  arg     INTEGER,
  arg2    INTEGER,
  stack   INTEGER,                   -- stacks.id
  -- libweft's happens-before annotations made inside this call: it
  -- acquired (hb_obj, acq), then released (hb_obj, rel), then the event
  -- took effect. NULL when none (annotations outside our calls are rows
  -- of kind hb_acquire / hb_release with arg = the ticket).
  hb_obj  INTEGER,
  acq     INTEGER,
  rel     INTEGER,
  -- The end of a blocking call (kinds.blocking = 2): when its begin was.
  -- Without --all-events, a channel send or receive that waited is this
  -- one row: its begin has no row of its own (its id is left out), and
  -- stack is the call's, taken at the begin. A begin whose call never
  -- ended keeps its row (see blocked_at_exit).
  begin_ts INTEGER
);

-- High-volume events counted per thread, object and kind instead of a row
-- each: channel sends and receives that completed without error and
-- without waiting, or after a wait shorter than --min-wait (default
-- 100 us; a waited one stands for its begin and its end), libweft's
-- hb_release/hb_acquire annotations made outside its calls' own rows, and
-- a mutex lock that did not wait and carried no new happens-before edge,
-- with the unlock before it (docs/schema.md says which). They
-- have no row in events unless the trace was made with --all-events (meta
-- all_events = 1); events.id leaves their ids out (first_id .. last_id).
CREATE TABLE event_counts (
  pid      INTEGER NOT NULL,
  thread   INTEGER NOT NULL,         -- threads.id
  object   INTEGER,                  -- objects.id (the channel; for hb_*: the hb object)
  obj      INTEGER,                  -- its raw address
  kind     TEXT NOT NULL,            -- chan_send_end | chan_recv_end | hb_release | hb_acquire |
                                    -- mutex_lock_end | mutex_trylock | mutex_unlock
  count    INTEGER NOT NULL,
  first_ns INTEGER NOT NULL,
  last_ns  INTEGER NOT NULL,
  first_id INTEGER NOT NULL,         -- the ids these events would have in events
  last_id  INTEGER NOT NULL,
  waited   INTEGER NOT NULL,         -- how many of them waited (below --min-wait)
  wait_ns  INTEGER NOT NULL,         -- their waits, in all
  max_wait_ns INTEGER NOT NULL       -- the longest of them
);

-- The cases of each select (select_begin, or select_end when it did not
-- wait), in the caller's order.
CREATE TABLE select_cases (
  event    INTEGER NOT NULL,         -- events.id
  idx      INTEGER NOT NULL,         -- case index (what select_end's arg names)
  chan     INTEGER NOT NULL,         -- channel address (0: a nil channel)
  op       TEXT NOT NULL,            -- send | recv
  object   INTEGER,                  -- objects.id of the channel
  PRIMARY KEY (event, idx)
) WITHOUT ROWID;

-- What every thread waited on when the watchdog ended a deadlock.
CREATE TABLE deadlock_waits (
  event    INTEGER NOT NULL,         -- events.id of the deadlock event
  thread   INTEGER NOT NULL,         -- threads.id
  kind     TEXT NOT NULL,            -- the blocking call: chan_send_begin, mutex_lock_begin, ...
  obj      INTEGER,                  -- what it waits on (raw address)
  object   INTEGER                   -- objects.id
);

-- What weft run --leak-check reported while the program ran (cli/livecheck.c):
-- one row per (thread, wait) that lasted longer than the threshold, written
-- by weft run after the ingest. Traces of other runs have it empty.
CREATE TABLE leak_checks (
  pid       INTEGER NOT NULL,
  tid       INTEGER NOT NULL,         -- trace thread id in the process
  thread    INTEGER,                  -- threads.id
  kind      TEXT NOT NULL,            -- the begin kind of its wait: chan_recv_begin, ...
  obj       INTEGER,                  -- what it waits on (raw address or handle)
  waited_ns INTEGER NOT NULL          -- how long it had waited when reported
);

CREATE TABLE stacks (
  id       INTEGER PRIMARY KEY,      -- unique in the trace
  pid      INTEGER NOT NULL,
  local_id INTEGER NOT NULL,         -- id inside the process's log
  depth    INTEGER NOT NULL
);

CREATE TABLE frames (
  stack    INTEGER NOT NULL,         -- stacks.id
  depth    INTEGER NOT NULL,         -- 0 = innermost
  pc       INTEGER NOT NULL,
  module   TEXT,
  offset   INTEGER,                  -- pc relative to the module's load bias
  function TEXT,
  file     TEXT,
  line     INTEGER,
  PRIMARY KEY (stack, depth)
) WITHOUT ROWID;

CREATE TABLE modules (
  id       INTEGER PRIMARY KEY,
  pid      INTEGER NOT NULL,
  path     TEXT,
  bias     INTEGER,                  -- load bias (dlpi_addr)
  lo       INTEGER,                  -- first mapped address
  hi       INTEGER,                  -- end of the last PT_LOAD
  build_id TEXT,                     -- hex
  seen_ns  INTEGER
);

CREATE TABLE findings (
  id       INTEGER PRIMARY KEY,
  kind     TEXT NOT NULL,
  severity TEXT NOT NULL,            -- error | warning
  pid      INTEGER,
  thread   INTEGER,                  -- threads.id
  object   INTEGER,                  -- objects.id
  message  TEXT NOT NULL,
  stacks   TEXT,                     -- JSON object: role -> stacks.id
  uncertain INTEGER NOT NULL DEFAULT 0, -- 1: its process lost records that could explain it
  ts       INTEGER,                  -- when: the event that showed it; NULL: found at the end of
                                     -- the trace (a leak, a lock held at exit)
  count    INTEGER NOT NULL DEFAULT 1, -- threads it stands for: the thread kinds' findings of one
                                     -- process with the same stacks (creation site) are one row
  detail   TEXT                      -- count > 1: those threads, the first 16 named
);

-- Views: the tables joined the way people ask.

CREATE VIEW event_log AS
  SELECT e.id, e.pid, t.tid, t.name AS thread_name,
         (e.ts - p.start_ns) / 1e6 AS ms, k.name AS kind, k.family,
         o.kind AS object_kind, e.obj, e.arg, e.arg2, e.stack
  FROM events e
  JOIN kinds k ON k.id = e.kind
  JOIN threads t ON t.id = e.thread
  JOIN processes p ON p.pid = e.pid
  LEFT JOIN objects o ON o.id = e.object;

CREATE VIEW thread_summary AS
  SELECT t.id, t.pid, t.tid, t.os_tid, t.name,
         CASE WHEN t.adopted AND t.tid = 1 THEN 'main'
              WHEN t.adopted THEN '(adopted)'
              ELSE coalesce(t.start_function, printf('0x%x', t.start_routine)) END AS start,
         pt.tid AS parent_tid, t.created_by, t.internal,
         CASE
           WHEN t.internal THEN 'internal'
           WHEN t.exit_kind IS NULL THEN 'alive-at-exit'
           WHEN t.joined_ns IS NOT NULL THEN 'joined'
           WHEN t.detached_ns IS NOT NULL THEN 'detached'
           WHEN t.adopted THEN 'exited'
           ELSE 'exited-unjoined'
         END AS state,
         t.exit_kind,
         (coalesce(t.started_ns, t.created_ns) - p.start_ns) / 1e6 AS start_ms,
         (t.exited_ns - p.start_ns) / 1e6 AS exit_ms,
         t.create_stack
  FROM threads t
  JOIN processes p ON p.pid = t.pid
  LEFT JOIN threads pt ON pt.id = t.parent;

CREATE VIEW stack_text AS
  SELECT stack,
         group_concat(printf('#%d %s %s:%s', depth, coalesce(function, printf('0x%x', pc)),
                             coalesce(file, coalesce(module, '?')), coalesce(line, '?')),
                      char(10)) AS text
  FROM (SELECT * FROM frames ORDER BY stack, depth)
  GROUP BY stack;

-- Threads that block at the moment the trace ends: the last begin without
-- its end, per thread (what a leaked thread waits on). A table filled at
-- ingest (a view over events would need an index on events by thread).
CREATE TABLE blocked_at_exit (
  thread   INTEGER PRIMARY KEY,      -- threads.id
  pid      INTEGER NOT NULL,
  kind     TEXT NOT NULL,            -- the begin kind: chan_recv_begin, join_begin, ...
  obj      INTEGER,                  -- what it waits on (raw address or handle)
  object   INTEGER,                  -- objects.id
  stack    INTEGER,                  -- stacks.id of the wait
  event    INTEGER NOT NULL          -- events.id of the begin
);
