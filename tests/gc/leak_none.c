/* SPDX-License-Identifier: MIT */
/* leak_none.c - frees everything it allocates (a list, a tree, realloc'd
 * and aligned buffers) and prints through stdio: `vmlab gc leaks` must report
 * nothing, as valgrind does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; int v; };

int main(void)
{
    struct node *head = NULL;
    char *buf = NULL;
    void *al;
    for (int i = 0; i < 1000; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = head;
        n->v = i;
        head = n;
    }
    for (int i = 1; i <= 50; i++) {
        buf = realloc(buf, (size_t)i * 100);
        memset(buf, 'x', (size_t)i * 100);
    }
    if (posix_memalign(&al, 256, 1000) != 0)
        return 2;
    long sum = 0;
    while (head) {
        struct node *n = head->next;
        sum += head->v;
        free(head);
        head = n;
    }
    free(buf);
    free(al);
    printf("sum %ld\n", sum);
    return 0;
}
