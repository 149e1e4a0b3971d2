/* SPDX-License-Identifier: MIT */
/*
 * leak_report.c - reads the leak finder's report (format in leak_report.h):
 * line by line, strict numbers, every field checked; bounded by the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gc/leak_report.h"

/* The next space-separated field of [*p, e) (no NUL inside): its length. */
static size_t field(const char **p, const char *e, const char **start)
{
    const char *s = *p;
    while (s < e && *s == ' ')
        s++;
    *start = s;
    while (s < e && *s != ' ')
        s++;
    *p = s;
    return (size_t)(s - *start);
}

static int num(const char *s, size_t n, int hex, uint64_t *out)
{
    char buf[32];
    char *end;
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (hex && (n < 3 || buf[0] != '0' || buf[1] != 'x'))
        return -1;
    if (!hex && (buf[0] < '0' || buf[0] > '9'))
        return -1;
    errno = 0;
    *out = strtoull(buf, &end, hex ? 16 : 10);
    return errno || *end ? -1 : 0;
}

int gcl_report_parse(const char *text, size_t len, const char *name, gcl_report_t *r, diag_t *d)
{
    const char *p = text, *e = text + len;
    unsigned long line = 0;
    int ended = 0;
    memset(r, 0, sizeof *r);
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e, *f;
        size_t n;
        line++;
        if (ended)
            goto bad;
        if (memchr(p, '\0', (size_t)(le - p)))
            goto bad;
        n = field(&p, le, &f);
        if (n == 3 && memcmp(f, "end", 3) == 0) {
            ended = 1;
        } else if (n == 4 && memcmp(f, "leak", 4) == 0) {
            gcl_leak_t L = {0};
            const char *k;
            size_t kn;
            n = field(&p, le, &f);
            if (num(f, n, 0, &L.size) != 0)
                goto bad;
            kn = field(&p, le, &k);
            if (kn == 8 && memcmp(k, "definite", 8) == 0)
                L.indirect = 0;
            else if (kn == 8 && memcmp(k, "indirect", 8) == 0)
                L.indirect = 1;
            else
                goto bad;
            n = field(&p, le, &f);
            if (num(f, n, 1, &L.addr) != 0)
                goto bad;
            L.frame0 = r->frames.n;
            if (vl_vec_push(&r->leaks, L) != 0)
                goto nomem;
        } else if (n == 5 && memcmp(f, "frame", 5) == 0) {
            gcl_frame_t F;
            const char *o;
            size_t on;
            if (r->leaks.n == 0)
                goto bad;
            n = field(&p, le, &f);
            if (num(f, n, 1, &F.addr) != 0)
                goto bad;
            while (p < le && *p == ' ')
                p++;
            o = p;
            on = (size_t)(le - p);
            p = le;
            if (on == 0)
                goto bad;
            F.obj = strndup(o, on);
            if (!F.obj || vl_vec_push(&r->frames, F) != 0) {
                free(F.obj);
                goto nomem;
            }
            r->leaks.v[r->leaks.n - 1].nframes++;
        } else {
            goto bad;
        }
        if (field(&p, le, &f) != 0)
            goto bad;
        p = nl ? nl + 1 : e;
    }
    if (!ended) {
        gcl_report_free(r);
        return diag_set(d, name, line, EINVAL, "the report ends without its 'end' line "
                        "(expected the program to finish writing it)");
    }
    return 0;
bad:
    gcl_report_free(r);
    return diag_set(d, name, line, EINVAL, "bad report line (expected 'leak SIZE definite|indirect 0xADDR', "
                    "'frame 0xADDR OBJECT' or 'end')");
nomem:
    gcl_report_free(r);
    return diag_set(d, name, line, ENOMEM, "out of memory reading the report");
}

void gcl_report_free(gcl_report_t *r)
{
    for (size_t i = 0; i < r->frames.n; i++)
        free(r->frames.v[i].obj);
    vl_vec_free(&r->frames);
    vl_vec_free(&r->leaks);
}
