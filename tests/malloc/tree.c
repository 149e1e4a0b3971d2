/* SPDX-License-Identifier: MIT */
/*
 * tree.c - the C file tests/test_preload.sh compiles with gcc under each
 * design (and runs: it prints a checksum of a random binary search tree).
 * Not a helper itself: module.mk builds it like the others, harmlessly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *l, *r; int key; char name[24]; };
static struct node *insert(struct node *t, int k) {
    if (!t) { t = calloc(1, sizeof *t); t->key = k; snprintf(t->name, sizeof t->name, "n%d", k); return t; }
    if (k < t->key) t->l = insert(t->l, k); else t->r = insert(t->r, k);
    return t;
}
static unsigned long walk(const struct node *t, unsigned long h) {
    if (!t) return h;
    h = walk(t->l, h);
    for (const char *c = t->name; *c; c++) h = h * 131 + (unsigned char)*c;
    return walk(t->r, h);
}
int main(void) {
    struct node *t = NULL; unsigned x = 1;
    for (int i = 0; i < 100000; i++) { x = x * 1103515245u + 12345u; t = insert(t, (int)(x >> 8)); }
    printf("%lu\n", walk(t, 7));
    return 0;
}
