/* t_many.c: 3,000 threads created and joined in waves of 100. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

static void *work(void *a) {
    return (void *)((uintptr_t)a * 2);
}

int main(void) {
    enum { WAVES = 30, WAVE = 100 };
    uintptr_t sum = 0;
    for (int w = 0; w < WAVES; w++) {
        pthread_t t[WAVE];
        for (int i = 0; i < WAVE; i++)
            if (pthread_create(&t[i], NULL, work, (void *)(uintptr_t)i) != 0)
                return 1;
        for (int i = 0; i < WAVE; i++) {
            void *r;
            pthread_join(t[i], &r);
            sum += (uintptr_t)r;
        }
    }
    printf("%lu\n", (unsigned long)sum);
    return 0;
}
/* SPDX-License-Identifier: MIT */
