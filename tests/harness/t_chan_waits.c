/* SPDX-License-Identifier: MIT */
/* t_chan_waits.c: two threads pass a value back and forth ROUNDS times
 * (argv[1], default 20000) over two unbuffered channels, main by send
 * and receive, the echo thread by selects, so that one side waits in
 * almost every hand-off: thousands of begin records over many chunks of
 * the log, each written under a channel's lock and its stack found after
 * it (harness:chan_wait_stacks). Each waiting call is made from a
 * function of its own, so that a begin's innermost frame says which. At
 * the end the echo thread blocks for good in a receive (a leaked thread
 * whose begin must be in the trace with its stack): main returns once
 * that thread sleeps in it (asleep.h: /proc, which weft does not see).
 * main sends from two callers of the same frame size in turn, half of the
 * rounds each, with a close of the channel `half` between: the same
 * place on the stack with another caller above it, which a stack found
 * again without unwinding must tell apart (stack.c, "Wait stacks found
 * again"). Prints the sum of the values. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft/weft.h>

#include "asleep.h"

static weft_chan *to_echo, *to_main, *never, *half;

__attribute__((noinline)) static void main_sends(long v) {
    weft_chan_send(to_echo, &v);
}

/* The two callers: the same code, so the same frame size. */
__attribute__((noinline)) static void first_half(long v) {
    main_sends(v);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}

__attribute__((noinline)) static void second_half(long v) {
    main_sends(v);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static long main_receives(void) {
    long v = 0;
    weft_chan_recv(to_main, &v);
    return v;
}

__attribute__((noinline)) static long echo_selects_recv(void) {
    long v = 0;
    weft_case c[] = {{.ch = to_echo, .op = WEFT_RECV, .elem = &v}};
    weft_select(c, 1, 0);
    return v;
}

__attribute__((noinline)) static void echo_selects_send(long v) {
    weft_case c[] = {{.ch = to_main, .op = WEFT_SEND, .elem = &v}};
    weft_select(c, 1, 0);
}

__attribute__((noinline)) static void echo_leaks(void) {
    long v;
    weft_chan_recv(never, &v);
}

static long rounds;
static _Atomic pid_t echo_tid;

static void *echo(void *arg) {
    (void)arg;
    for (long i = 0; i < rounds; i++)
        echo_selects_send(echo_selects_recv() + 1);
    echo_tid = test_gettid();
    echo_leaks();
    return NULL;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atol(argv[1]) : 20000;
    to_echo = weft_chan_make(sizeof(long), 0);
    to_main = weft_chan_make(sizeof(long), 0);
    never = weft_chan_make(sizeof(long), 0);
    half = weft_chan_make(sizeof(long), 0);
    pthread_t t;
    if (!to_echo || !to_main || !never || !half || pthread_create(&t, NULL, echo, NULL) != 0)
        return 1;
    long sum = 0;
    for (long i = 0; i < rounds; i++) {
        if (i == rounds / 2)
            weft_chan_close(half);
        if (i < rounds / 2)
            first_half(i);
        else
            second_half(i);
        sum += main_receives();
    }
    test_wait_futex(&echo_tid);
    printf("%ld\n", sum);
    return 0;
}
