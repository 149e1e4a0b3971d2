/* SPDX-License-Identifier: MIT */
/*
 * xlate_ostep.c - read the problem from what OSTEP's homework programs print
 * (github.com/remzi-arpacidusseau/ostep-homework: vm-mechanism/relocation.py,
 * vm-segmentation/segmentation.py, vm-paging/paging-linear-translate.py,
 * vm-smalltables/paging-multilevel-translate.py), with or without -c, so a
 * student can paste a question and get its answers.
 *
 * Lines recognised (leading spaces ignored):
 *   ARG address space size SIZE / ARG phys mem size SIZE / ARG page size SIZE
 *   Base   : 0xHEX (decimal N)                         relocation.py
 *   Limit  : N
 *   Segment I base  (grows positive|negative) : 0xHEX (decimal N)
 *   Segment I limit                  : N              segmentation.py
 *   Page Table (from entry 0 down to the max size)    then one entry a line,
 *   0xHEX  or  [  VPN]  0xHEX                          until a blank line
 *   VA  I: 0xHEX (decimal: N) --> ...                  relocation, segmentation
 *   VA 0xHEX (decimal: N) --> ...                      linear
 *   page  N:HEXBYTES                                   multi: memory, one page
 *   PDBR: N  (decimal) ...                             multi
 *   Virtual Address HEX: ...                           multi
 * Everything else (prose, answers, "-->" walk lines) is skipped.  A line that
 * starts like one of these but does not parse is an error at its line.
 * The multi-level geometry comes from the dump: the page size is a line's
 * byte count, memory is the pages dumped, entries are 1 byte, and the space
 * is two full levels (paging-multilevel-translate.py's 32-byte pages give
 * 5 + 5 + 5 = 15 bits, 32 KiB).
 */
#include "vmlab/xlate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/parse.h"

typedef struct cur {
    const char *s; /* current position */
    const char *e; /* end of the line */
} cur_t;

static void skip_sp(cur_t *c)
{
    while (c->s < c->e && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r'))
        c->s++;
}

static int eat(cur_t *c, const char *w)
{
    size_t n = strlen(w);
    skip_sp(c);
    if ((size_t)(c->e - c->s) < n || memcmp(c->s, w, n) != 0)
        return 0;
    c->s += n;
    return 1;
}

/* A token up to a space or one of stop; hex (with 0x or when hex != 0) or a
 * size; 0 or -EINVAL. */
static int num(cur_t *c, const char *stop, int hex, uint64_t *v)
{
    const char *st;
    char buf[40];
    skip_sp(c);
    st = c->s;
    while (c->s < c->e && *c->s != ' ' && *c->s != '\t' && *c->s != '\r' &&
           !strchr(stop, *c->s))
        c->s++;
    if (c->s == st || (size_t)(c->s - st) >= sizeof buf)
        return -EINVAL;
    if (hex)
        return parse_u64_hex(st, (size_t)(c->s - st), v);
    memcpy(buf, st, (size_t)(c->s - st));
    buf[c->s - st] = '\0';
    return parse_size(buf, v);
}

typedef struct st {
    xl_problem_t *p;   /* being filled */
    int in_table;      /* linear: reading page-table entries */
    int sizes_fixed;   /* a table or dump began: no more ARG sizes */
    uint8_t *dump;     /* multi: pages read so far (grown), page_size each */
    uint64_t dump_pages; /* pages in dump */
    uint64_t seen_pdbr;  /* multi: 1 + PDBR, 0 if none */
    int have_limit[XL_MAX_SEGS], have_base[XL_MAX_SEGS];
} st_t;

#define BAD(...) return diag_set(d, file, ln, EINVAL, __VA_ARGS__)

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int dump_line(st_t *t, cur_t *c, const char *file, unsigned long ln, diag_t *d)
{
    xl_problem_t *p = t->p;
    uint64_t pg, nbytes;
    const char *h;
    size_t n;
    if (num(c, ":", 0, &pg) || !eat(c, ":"))
        BAD("bad memory dump line (expected 'page N:HEXBYTES')");
    skip_sp(c);
    h = c->s;
    n = (size_t)(c->e - h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\r' || h[n - 1] == '\t'))
        n--;
    nbytes = n / 2;
    if (n == 0 || n % 2 || (nbytes & (nbytes - 1)))
        BAD("page %llu: %zu hex digits (expected a power-of-two count of bytes as hex pairs)",
            (unsigned long long)pg, n);
    if (t->dump_pages == 0) {
        p->page_size = nbytes;
        t->sizes_fixed = 1; /* a later ARG page size would not match the pages read */
    } else if (nbytes != p->page_size)
        BAD("page %llu has %llu bytes, the first page had %llu (expected equal pages)",
            (unsigned long long)pg, (unsigned long long)nbytes,
            (unsigned long long)p->page_size);
    if (pg != t->dump_pages)
        BAD("page %llu out of order (expected page %llu)", (unsigned long long)pg,
            (unsigned long long)t->dump_pages);
    if ((t->dump_pages + 1) * nbytes > (1u << 24))
        BAD("memory dump larger than 16 MiB (expected a homework-sized memory)");
    {
        uint8_t *nd = realloc(t->dump, (size_t)((t->dump_pages + 1) * nbytes));
        if (!nd)
            return diag_set(d, file, ln, ENOMEM, "out of memory");
        t->dump = nd;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(h[i]), lo = hexval(h[i + 1]);
        if (hi < 0 || lo < 0)
            BAD("page %llu: '%c%c' is not a hex byte", (unsigned long long)pg, h[i], h[i + 1]);
        t->dump[t->dump_pages * nbytes + i / 2] = (uint8_t)(hi << 4 | lo);
    }
    t->dump_pages++;
    return 0;
}

static int one_line(st_t *t, const char *s, size_t len, const char *file, unsigned long ln,
                    xl_model_t model, diag_t *d)
{
    xl_problem_t *p = t->p;
    cur_t c = {s, s + len};
    uint64_t v, w;
    int rc;
    skip_sp(&c);
    if (c.s == c.e) {
        t->in_table = 0;
        return 0;
    }
    if (t->in_table) {
        cur_t c2 = c;
        if (eat(&c2, "[")) { /* -v: "[       0]  0x8000000c" */
            if (num(&c2, "]", 0, &w) || !eat(&c2, "]"))
                BAD("bad page-table line (expected '[VPN]  0xENTRY')");
            if (w != p->npte)
                BAD("entry for VPN %llu out of order (expected VPN %llu)",
                    (unsigned long long)w, (unsigned long long)p->npte);
            c = c2;
        }
        skip_sp(&c);
        if (c.e - c.s >= 2 && c.s[0] == '0' && (c.s[1] == 'x' || c.s[1] == 'X')) {
            if (num(&c, "", 1, &v) || (skip_sp(&c), c.s != c.e) || v >> 32)
                BAD("bad page-table entry (expected 0xHEX, 32 bits)");
            if (p->npte == p->asize / p->page_size)
                BAD("more page-table entries than the %llu virtual pages",
                    (unsigned long long)(p->asize / p->page_size));
            p->pt[p->npte++] = v;
            return 0;
        }
        t->in_table = 0; /* the table ended without a blank line */
    }
    if (eat(&c, "ARG ")) {
        uint64_t *dst = NULL;
        if (eat(&c, "address space size"))
            dst = &p->asize;
        else if (eat(&c, "phys mem size"))
            dst = &p->psize;
        else if (eat(&c, "page size"))
            dst = &p->page_size;
        if (!dst)
            return 0; /* seed, verbose, addresses, ...: not part of the machine */
        if (t->sizes_fixed)
            BAD("ARG sizes after the page table or memory dump (expected them first)");
        if (num(&c, "", 0, &v) || v == 0 || (skip_sp(&c), c.s != c.e))
            BAD("bad size (expected a positive number like 16k)");
        *dst = v;
        return 0;
    }
    if (model == XL_BOUNDS && eat(&c, "Base ")) {
        if (!eat(&c, ":") || num(&c, "(", 1, &v))
            BAD("bad Base line (expected 'Base   : 0xHEX (decimal N)')");
        p->base = v;
        return 0;
    }
    if (model == XL_BOUNDS && eat(&c, "Limit ")) {
        if (!eat(&c, ":") || num(&c, "", 0, &v))
            BAD("bad Limit line (expected 'Limit  : N')");
        p->limit = v;
        return 0;
    }
    if (model == XL_SEG && eat(&c, "Segment ") && (skip_sp(&c), c.s < c.e) && *c.s >= '0' &&
        *c.s <= '9') {
        uint64_t i;
        xl_seg_t *sg;
        if (num(&c, "", 0, &i) || i >= XL_MAX_SEGS)
            BAD("bad segment number (expected 0..%d)", XL_MAX_SEGS - 1);
        sg = &p->seg[i];
        if (eat(&c, "base")) {
            if (eat(&c, "(grows positive)"))
                sg->down = 0;
            else if (eat(&c, "(grows negative)"))
                sg->down = 1;
            else
                BAD("bad segment base (expected '(grows positive)' or '(grows negative)')");
            if (!eat(&c, ":") || num(&c, "(", 1, &v))
                BAD("bad segment base (expected ': 0xHEX (decimal N)')");
            sg->base = v;
            t->have_base[i] = 1;
        } else if (eat(&c, "limit")) {
            if (!eat(&c, ":") || num(&c, "", 0, &v))
                BAD("bad segment limit (expected ': N')");
            sg->limit = v;
            t->have_limit[i] = 1;
        } else if (eat(&c, "protection")) { /* vmlab's own question, non-default rights */
            unsigned prot = 0;
            if (!eat(&c, ":"))
                BAD("bad segment protection (expected ': rwx')");
            skip_sp(&c);
            for (int k = 0; k < 3; k++, c.s++) {
                static const char want[3] = {'r', 'w', 'x'};
                if (c.s >= c.e || (*c.s != want[k] && *c.s != '-'))
                    BAD("bad segment protection (expected three of r, w, x or -)");
                if (*c.s != '-')
                    prot |= 1u << k;
            }
            sg->prot = prot;
        } else {
            BAD("bad segment line (expected 'Segment N base', 'limit' or 'protection')");
        }
        if (i + 1 > p->nsegs)
            p->nsegs = (unsigned)i + 1;
        return 0;
    }
    if (model == XL_LINEAR && eat(&c, "Page Table")) {
        diag_t d2;
        if (t->sizes_fixed)
            BAD("a second page table (expected one)");
        if ((rc = xl_problem_check(p, file, &d2))) {
            d2.line = ln;
            *d = d2;
            return rc;
        }
        t->sizes_fixed = 1;
        t->in_table = 1;
        return 0;
    }
    if ((model == XL_BOUNDS || model == XL_SEG || model == XL_LINEAR) && eat(&c, "VA ")) {
        if (model != XL_LINEAR && (num(&c, ":", 0, &w) || !eat(&c, ":")))
            BAD("bad address line (expected 'VA  I: 0xHEX (decimal: N)')");
        if (!eat(&c, "0x") || num(&c, "(", 1, &v))
            BAD("bad address line (expected a 0xHEX virtual address)");
        if ((rc = xl_problem_add(p, v, XL_READ, ln)))
            return diag_set(d, file, ln, -rc, "out of memory");
        return 0;
    }
    if (model == XL_MULTI && eat(&c, "page ")) {
        if (t->seen_pdbr)
            BAD("memory dump after the PDBR (expected the pages first)");
        return dump_line(t, &c, file, ln, d);
    }
    if (model == XL_MULTI && eat(&c, "PDBR:")) {
        if (num(&c, "", 0, &v))
            BAD("bad PDBR line (expected 'PDBR: N  (decimal)')");
        t->seen_pdbr = v + 1;
        return 0;
    }
    if (model == XL_MULTI && eat(&c, "Virtual Address ")) {
        if (num(&c, ":", 1, &v) || !eat(&c, ":"))
            BAD("bad address line (expected 'Virtual Address HEX:')");
        if ((rc = xl_problem_add(p, v, XL_READ, ln)))
            return diag_set(d, file, ln, -rc, "out of memory");
        return 0;
    }
    return 0;
}

int xl_parse_ostep(const char *text, size_t len, const char *file, xl_model_t model,
                   xl_problem_t *p, diag_t *d)
{
    st_t t;
    size_t i = 0;
    unsigned long ln = 0;
    int rc;
    xl_problem_init(p, model);
    memset(&t, 0, sizeof t);
    t.p = p;
    while (i < len) {
        const char *s = text + i;
        const char *e = memchr(s, '\n', len - i);
        size_t n = e ? (size_t)(e - s) : len - i;
        i += n + 1;
        ln++;
        if ((rc = one_line(&t, s, n, file, ln, model, d)))
            goto fail;
    }
    switch (model) {
    case XL_BOUNDS:
        if (p->base == UINT64_MAX || p->limit == UINT64_MAX) {
            rc = diag_set(d, file, ln, EINVAL, "no Base or Limit line (expected relocation.py's "
                          "output)");
            goto fail;
        }
        break;
    case XL_SEG:
        for (unsigned s = 0; s < p->nsegs; s++)
            if (!t.have_base[s] || !t.have_limit[s]) {
                rc = diag_set(d, file, ln, EINVAL, "segment %u lacks its base or limit (expected "
                              "segmentation.py's output)", s);
                goto fail;
            }
        if (p->nsegs == 0) {
            rc = diag_set(d, file, ln, EINVAL, "no segment registers (expected segmentation.py's "
                          "output)");
            goto fail;
        }
        break;
    case XL_LINEAR:
        if (!t.sizes_fixed) {
            rc = diag_set(d, file, ln, EINVAL, "no page table (expected "
                          "paging-linear-translate.py's output)");
            goto fail;
        }
        break;
    case XL_MULTI: {
        uint64_t per;
        if (t.dump_pages == 0 || !t.seen_pdbr) {
            rc = diag_set(d, file, ln, EINVAL, "no memory dump or PDBR (expected "
                          "paging-multilevel-translate.py's output)");
            goto fail;
        }
        p->pte_bytes = 1;
        per = p->page_size;
        p->psize = t.dump_pages * p->page_size;
        if (per > (1u << 20) / per / per) {
            rc = diag_set(d, file, ln, EINVAL, "pages of %llu bytes are too big for two levels "
                          "(expected a homework-sized dump)", (unsigned long long)per);
            goto fail;
        }
        p->asize = per * per * per;
        p->pdbr = t.seen_pdbr - 1;
        p->nlevels = 0;
        if ((rc = xl_problem_check(p, file, d)))
            goto fail;
        memcpy(p->mem, t.dump, (size_t)p->psize);
        break;
    }
    }
    if ((rc = xl_problem_check(p, file, d)))
        goto fail;
    free(t.dump);
    return 0;
fail:
    free(t.dump);
    xl_problem_free(p);
    return rc;
}
