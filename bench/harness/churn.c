/* SPDX-License-Identifier: MIT */
/* churn.c: the thread-churn workload: N short threads, created and joined
 * in batches of B. Usage: churn [N] [B]. Prints the sum of their results. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *work(void *p) {
    return (void *)((uintptr_t)p * 2 + 1);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int b = argc > 2 ? atoi(argv[2]) : 100;
    pthread_t *t = malloc(sizeof *t * (size_t)b);
    uintptr_t sum = 0;
    for (long done = 0; done < n;) {
        int k = n - done < b ? (int)(n - done) : b;
        for (int i = 0; i < k; i++)
            if (pthread_create(&t[i], NULL, work, (void *)(uintptr_t)(done + i)) != 0)
                return 1;
        for (int i = 0; i < k; i++) {
            void *r;
            pthread_join(t[i], &r);
            sum += (uintptr_t)r;
        }
        done += k;
    }
    free(t);
    printf("sum %lu\n", (unsigned long)sum);
    return 0;
}
