/* SPDX-License-Identifier: MIT */
/* leak_thread.c - starts a thread: `vmlab gc leaks` refuses it clearly. */
#include <pthread.h>
#include <stdio.h>

static void *run(void *arg) { return arg; }

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL) != 0)
        return 2;
    pthread_join(t, NULL);
    puts("joined");
    return 0;
}
