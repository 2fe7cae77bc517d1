/* test_noalloc.c: checks the contract's "no allocation per weft_select
 * call" and "no allocation per tick" of timer channels. Every allocation
 * made by libweft on the calling thread is counted while a select runs,
 * in one of two ways:
 *   - in a plain build, this binary defines malloc/calloc/realloc/free and
 *     friends itself (forwarding to glibc's __libc_* entry points). That
 *     process-wide interposition is why this lives in its own binary and
 *     not in test_conformance.c. Under Valgrind (Helgrind, DRD) the
 *     definitions in the executable stay ours: the tool replaces the
 *     allocator in libc (__libc_malloc included, which ours calls), not in
 *     the main program, so the counts hold there too;
 *   - under ASan the sanitizer runtime owns malloc and a second definition
 *     would fight it, so the counting is done by its allocation hook
 *     (__sanitizer_install_malloc_and_free_hooks), which it calls on every
 *     allocation, whatever function made it.
 * test_interposer_counts proves in each build that the counting sees
 * libweft's allocations, so that a zero means something. Counts are
 * thread-local, so that the counting itself adds no shared state for
 * Helgrind/DRD to report. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define NOALLOC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NOALLOC_SANITIZED 1
#endif
#endif
#ifndef NOALLOC_SANITIZED
#define NOALLOC_SANITIZED 0
#endif

static _Thread_local int counting;  /* count this thread's allocations now */
static _Thread_local long n_allocs; /* allocations counted on this thread */
/* Every thread's allocations, while counting_all is set: a ticker's ticks
 * are made on libweft's timer thread. */
static _Atomic int counting_all;
static _Atomic long n_allocs_all;

static void note(void) {
    if (counting)
        n_allocs++;
    if (atomic_load_explicit(&counting_all, memory_order_relaxed))
        atomic_fetch_add_explicit(&n_allocs_all, 1, memory_order_relaxed);
}

#if NOALLOC_SANITIZED
/* The sanitizer allocator's interface (sanitizer/allocator_interface.h,
 * which gcc does not install). */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
size_t __sanitizer_get_current_allocated_bytes(void);

static void malloc_hook(const volatile void *p, size_t n) {
    (void)p;
    (void)n;
    note();
}

static void free_hook(const volatile void *p) {
    (void)p;
}

static void install_counting(void) {
    if (!__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook)) {
        fprintf(stderr, "test_noalloc: the sanitizer refused the allocation hooks\n");
        exit(1);
    }
}

/* Bytes the program has allocated and not freed. */
static size_t heap_in_use(void) {
    return __sanitizer_get_current_allocated_bytes();
}
#else
/* glibc's real allocator, exported under these names. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

void *malloc(size_t n) {
    note();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m) {
    note();
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n) {
    note();
    return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t m) {
    if (m && n > SIZE_MAX / m) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * m);
}

void free(void *p) {
    __libc_free(p);
}

void *memalign(size_t align, size_t n) {
    note();
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n) {
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t n) {
    return memalign(4096, n);
}

void *pvalloc(size_t n) {
    return memalign(4096, (n + 4095) & ~(size_t)4095);
}

static void install_counting(void) {}

/* Bytes the program has allocated and not freed (glibc's arenas; under
 * Valgrind, the tool's replacement answers mallinfo2 for its own heap). */
static size_t heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}
#endif

/* One counted select. */
static int counted_select(weft_case *cs, size_t n, int flags) {
    counting = 1;
    int k = weft_select(cs, n, flags);
    counting = 0;
    return k;
}

/* Proves that the interposer sees libweft's allocations at all, so that a
 * zero below means something: making a channel allocates. */
START_TEST(test_interposer_counts) {
    n_allocs = 0;
    counting = 1;
    weft_chan *c = weft_chan_make(sizeof(int), 4);
    counting = 0;
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(n_allocs > 0, "the allocation counting did not see weft_chan_make allocate");
    weft_chan_free(c);
}
END_TEST

/* The timer channels' contract: a tick allocates nothing, on any thread
 * (the timer thread sends into the ring and moves the same heap entry). */
START_TEST(test_ticks_do_not_allocate) {
    weft_ticker *t = weft_ticker_new(TU_MS);
    ck_assert_ptr_nonnull(t);
    weft_chan *c = weft_ticker_chan(t);
    /* Warm up: the timer thread and its heap exist from the first tick. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_chan_recv(c, NULL), 0);
    atomic_store(&n_allocs_all, 0);
    atomic_store(&counting_all, 1);
    for (int i = 0; i < 20; i++)
        weft_chan_recv(c, NULL);
    atomic_store(&counting_all, 0);
    long allocs = atomic_load(&n_allocs_all);
    ck_assert_int_eq(allocs, 0);
    weft_ticker_free(t);
}
END_TEST

/* Up to 8 cases, all kinds mixed, every one ready or never ready: */
enum { NC = 8 };

typedef struct {
    weft_chan *ch[NC];
    weft_case cs[NC];
    int v;
} ready_set;

static void ready_set_init(ready_set *r) {
    r->v = 1;
    for (int i = 0; i < NC; i++) {
        r->ch[i] = weft_chan_make(sizeof(int), 1);
        if (i % 2 == 0) /* recv cases on channels holding a value */
            weft_chan_send(r->ch[i], &r->v);
        r->cs[i] = (weft_case){i == 5 ? NULL : r->ch[i], i % 2 ? WEFT_SEND : WEFT_RECV, &r->v, 0};
    }
}

static void ready_set_restore(ready_set *r, int k) {
    if (r->cs[k].op == WEFT_RECV)
        weft_chan_try_send(r->ch[k], &r->v);
    else
        weft_chan_try_recv(r->ch[k], NULL);
}

static void ready_set_free(ready_set *r) {
    for (int i = 0; i < NC; i++)
        weft_chan_free(r->ch[i]);
}

START_TEST(test_ready_selects_do_not_allocate) {
    long iters = tu_scaled(100000, 2000);
    ready_set r;
    ready_set_init(&r);
    for (size_t n = 1; n <= NC; n++) { /* warm-up: one of each size */
        int k = weft_select(r.cs, n, 0);
        ck_assert_int_ge(k, 0);
        ready_set_restore(&r, k);
    }
    n_allocs = 0;
    for (long i = 0; i < iters; i++) {
        size_t n = 1 + (size_t)(i % NC);
        int k = counted_select(r.cs, n, i % 3 == 0 ? WEFT_NONBLOCK : 0);
        tu_assert(k >= 0 && (size_t)k < n);
        ready_set_restore(&r, k);
    }
    ck_assert_msg(n_allocs == 0, "%ld allocations in %ld ready selects", n_allocs, iters);
    /* A select with nothing ready and WEFT_NONBLOCK neither. */
    weft_chan *e = weft_chan_make(sizeof(int), 0);
    weft_case none[] = {
        {e, WEFT_RECV, NULL, 0}, {e, WEFT_SEND, &r.v, 0}, {NULL, WEFT_RECV, NULL, 0}};
    weft_select(none, 3, WEFT_NONBLOCK);
    for (long i = 0; i < iters / 10; i++)
        tu_assert(counted_select(none, 3, WEFT_NONBLOCK) == WEFT_EAGAIN);
    ck_assert_msg(n_allocs == 0, "%ld allocations in non-blocking selects", n_allocs);
    weft_chan_free(e);
    ready_set_free(&r);
}
END_TEST

/* Selects that park: a partner thread sends (or receives) with plain ops
 * after a pause-free handoff; the selecting thread counts its own
 * allocations, including the parking and the wake-up. */
typedef struct {
    weft_chan *a, *b;
    long n;
    int op; /* what the partner does: WEFT_SEND or WEFT_RECV */
} partner_arg;

static void *partner_main(void *p) {
    partner_arg *pa = p;
    for (long i = 0; i < pa->n; i++) {
        weft_chan *c = i % 2 ? pa->a : pa->b;
        if (pa->op == WEFT_SEND)
            weft_chan_send(c, &i);
        else
            weft_chan_recv(c, NULL);
    }
    return NULL;
}

static void blocking_run(int my_op) {
    long n = tu_scaled(20000, 300);
    weft_chan *a = weft_chan_make(sizeof(long), 0);
    weft_chan *b = weft_chan_make(sizeof(long), 0);
    weft_chan *idle[5];
    for (int i = 0; i < 5; i++)
        idle[i] = weft_chan_make(sizeof(long), 0); /* never ready */
    long v = 0;
    weft_case cs[NC] = {
        {idle[0], WEFT_RECV, &v, 0}, {a, my_op, &v, 0},           {idle[1], WEFT_SEND, &v, 0},
        {NULL, WEFT_RECV, &v, 0},    {b, my_op, &v, 0},           {idle[2], WEFT_RECV, &v, 0},
        {idle[3], WEFT_SEND, &v, 0}, {idle[4], WEFT_RECV, &v, 0},
    };
    partner_arg pa = {a, b, n + 1, my_op == WEFT_RECV ? WEFT_SEND : WEFT_RECV};
    pthread_t t = tu_spawn(partner_main, &pa);
    weft_select(cs, NC, 0); /* warm-up: may set up per-thread state */
    n_allocs = 0;
    for (long i = 0; i < n; i++) {
        int k = counted_select(cs, NC, 0);
        tu_assert(k == 1 || k == 4);
    }
    tu_join(t);
    ck_assert_msg(n_allocs == 0, "%ld allocations in %ld blocking selects", n_allocs, n);
    weft_chan_free(a);
    weft_chan_free(b);
    for (int i = 0; i < 5; i++)
        weft_chan_free(idle[i]);
}

START_TEST(test_blocking_recv_selects_do_not_allocate) {
    blocking_run(WEFT_RECV);
}
END_TEST

START_TEST(test_blocking_send_selects_do_not_allocate) {
    blocking_run(WEFT_SEND);
}
END_TEST

/* The heap in use stays flat across many selects (no leak per call),
 * measured by the allocator itself rather than by the counting. */
START_TEST(test_heap_flat) {
    long iters = tu_scaled(100000, 2000);
    ready_set r;
    ready_set_init(&r);
    int k = weft_select(r.cs, NC, 0);
    ready_set_restore(&r, k);
    size_t in_before = heap_in_use();
    for (long i = 0; i < iters; i++) {
        k = weft_select(r.cs, NC, i % 2 ? WEFT_NONBLOCK : 0);
        tu_assert(k >= 0);
        ready_set_restore(&r, k);
    }
    size_t in_after = heap_in_use();
    ck_assert_msg(in_after <= in_before + 4096,
                  "heap in use grew from %zu to %zu bytes over %ld selects", in_before, in_after,
                  iters);
    ready_set_free(&r);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("noalloc");
    TCase *tc = tcase_create("noalloc");
    tcase_add_test(tc, test_interposer_counts);
    tcase_add_test(tc, test_ready_selects_do_not_allocate);
    tcase_add_test(tc, test_blocking_recv_selects_do_not_allocate);
    tcase_add_test(tc, test_blocking_send_selects_do_not_allocate);
    tcase_add_test(tc, test_ticks_do_not_allocate);
    tcase_add_test(tc, test_heap_flat);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    install_counting();
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
