/* SPDX-License-Identifier: MIT */
/*
 * xlate_text.c - the explicit problem format of `vmlab translate`: read
 * (xl_parse) and write (xl_write).  docs/translate.md describes it:
 *
 *     model multi            first, before anything else
 *     asize 32k              sizes: decimal, 0x hex, k/m/g suffixes
 *     psize 4k
 *     page-size 32
 *     pte-bytes 1
 *     levels 5,5             multi: VPN bits per level, root first
 *     pdbr 108               multi: frame of the root table
 *     page 0: 1b1d05...      multi: one page of memory, page_size hex bytes
 *     pte 0x8000000c         linear: the next entry (VPN 0, 1, ...)
 *     base 0x3082 / limit 472            bounds
 *     segment BASE LIMIT up|down [rwx]   seg: the next segment
 *     va 0x611c [r|w|x]      an address to translate
 *
 * '#' starts a comment.  Tables (pte, page) come after the sizes they depend
 * on: the first one fixes the sizes.
 */
#include "vmlab/xlate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/parse.h"

enum { MAX_TOK = 8 };

typedef struct line {
    const char *tok[MAX_TOK]; /* tokens of the line */
    size_t len[MAX_TOK];      /* their lengths */
    unsigned n;               /* tokens (more than MAX_TOK: MAX_TOK + 1) */
} line_t;

static void split(const char *s, size_t len, line_t *l)
{
    size_t i = 0;
    l->n = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i >= len || s[i] == '#')
            break;
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#')
            i++;
        if (l->n == MAX_TOK) {
            l->n++;
            return;
        }
        l->tok[l->n] = s + st;
        l->len[l->n++] = i - st;
    }
}

static int tok_is(const line_t *l, unsigned i, const char *w)
{
    return i < l->n && l->len[i] == strlen(w) && memcmp(l->tok[i], w, l->len[i]) == 0;
}

/* A number token: decimal, 0x hex, or a k/m/g size. */
static int tok_num(const line_t *l, unsigned i, uint64_t *v)
{
    char buf[64];
    if (i >= l->n || l->len[i] >= sizeof buf)
        return -EINVAL;
    memcpy(buf, l->tok[i], l->len[i]);
    buf[l->len[i]] = '\0';
    return parse_size(buf, v);
}

/* A value (address, entry, register): decimal or 0x hex, no size suffix. */
static int tok_val(const line_t *l, unsigned i, uint64_t *v)
{
    if (i >= l->n)
        return -EINVAL;
    if (l->len[i] > 2 && l->tok[i][0] == '0' && (l->tok[i][1] == 'x' || l->tok[i][1] == 'X'))
        return parse_u64_hex(l->tok[i], l->len[i], v);
    return parse_u64_dec(l->tok[i], l->len[i], v);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned parse_prot(const char *s, size_t n)
{
    unsigned prot = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'r' && !(prot & XL_READ))
            prot |= XL_READ;
        else if (s[i] == 'w' && !(prot & XL_WRITE))
            prot |= XL_WRITE;
        else if (s[i] == 'x' && !(prot & XL_EXEC))
            prot |= XL_EXEC;
        else if (s[i] != '-')
            return 0x100;
    }
    return prot;
}

static int parse_levels(const char *s, size_t n, xl_problem_t *p)
{
    size_t i = 0;
    p->nlevels = 0;
    while (i < n) {
        size_t st = i;
        uint64_t v;
        while (i < n && s[i] != ',')
            i++;
        if (p->nlevels == XL_MAX_LEVELS || parse_u64_dec(s + st, i - st, &v) || v == 0 || v > 32)
            return -EINVAL;
        p->level_bits[p->nlevels++] = (unsigned)v;
        i++; /* the comma */
    }
    return p->nlevels ? 0 : -EINVAL;
}

/* Hex bytes of one page from tokens [from, n): "1b1d05" or "1b 1d 05". */
static int parse_page_bytes(const line_t *l, unsigned from, uint8_t *dst, uint64_t size)
{
    uint64_t got = 0;
    for (unsigned t = from; t < l->n; t++) {
        if (l->len[t] % 2)
            return -EINVAL;
        for (size_t i = 0; i < l->len[t]; i += 2) {
            int hi = hexval(l->tok[t][i]), lo = hexval(l->tok[t][i + 1]);
            if (hi < 0 || lo < 0 || got == size)
                return -EINVAL;
            dst[got++] = (uint8_t)(hi << 4 | lo);
        }
    }
    return got == size ? 0 : -EINVAL;
}

#define BAD(...) return diag_set(d, file, lineno, EINVAL, __VA_ARGS__)

static int parse_line(const line_t *l, const char *file, unsigned long lineno, xl_problem_t *p,
                      int *tables, diag_t *d)
{
    uint64_t v = 0, w = 0;
    int rc;
    if (l->n > MAX_TOK && !tok_is(l, 0, "page"))
        BAD("too many fields (expected a key and its values)");
    if (tok_is(l, 0, "asize") || tok_is(l, 0, "psize") || tok_is(l, 0, "page-size") ||
        tok_is(l, 0, "pte-bytes") || tok_is(l, 0, "levels")) {
        if (*tables)
            BAD("'%.*s' after the table or memory (expected the sizes first)", (int)l->len[0],
                l->tok[0]);
        if (l->n != 2)
            BAD("'%.*s' takes one value", (int)l->len[0], l->tok[0]);
        if (tok_is(l, 0, "levels")) {
            if (p->model != XL_MULTI || parse_levels(l->tok[1], l->len[1], p))
                BAD("bad levels '%.*s' (expected multi: bits per level, root first, e.g. 5,5)",
                    (int)l->len[1], l->tok[1]);
            return 0;
        }
        if (tok_num(l, 1, &v) || v == 0)
            BAD("bad size '%.*s' (expected a positive number, e.g. 16k)", (int)l->len[1],
                l->tok[1]);
        if (tok_is(l, 0, "asize"))
            p->asize = v;
        else if (tok_is(l, 0, "psize"))
            p->psize = v;
        else if (tok_is(l, 0, "page-size"))
            p->page_size = v;
        else
            p->pte_bytes = v > 64 ? 64 : (unsigned)v;
        return 0;
    }
    if (tok_is(l, 0, "base") || tok_is(l, 0, "limit") || tok_is(l, 0, "pdbr") ||
        tok_is(l, 0, "ptbr")) {
        if (l->n != 2 || tok_val(l, 1, &v))
            BAD("bad '%.*s' line (expected one number)", (int)l->len[0], l->tok[0]);
        if (tok_is(l, 0, "base"))
            p->base = v;
        else if (tok_is(l, 0, "limit"))
            p->limit = v;
        else if (tok_is(l, 0, "pdbr"))
            p->pdbr = v;
        else
            p->ptbr = v;
        return 0;
    }
    if (tok_is(l, 0, "segment")) {
        xl_seg_t *s;
        if (p->model != XL_SEG)
            BAD("'segment' in a %s problem (expected model seg)", xl_model_name(p->model));
        if (p->nsegs == XL_MAX_SEGS)
            BAD("more than %d segments", XL_MAX_SEGS);
        if (l->n < 3 || l->n > 5 || tok_val(l, 1, &v) || tok_val(l, 2, &w))
            BAD("bad segment (expected 'segment BASE LIMIT [up|down] [rwx]')");
        s = &p->seg[p->nsegs];
        s->base = v;
        s->limit = w;
        s->down = 0;
        s->prot = XL_READ | XL_WRITE;
        for (unsigned i = 3; i < l->n; i++) {
            if (tok_is(l, i, "up") || tok_is(l, i, "down"))
                s->down = tok_is(l, i, "down");
            else if ((s->prot = parse_prot(l->tok[i], l->len[i])) > 7)
                BAD("bad segment field '%.*s' (expected up, down or a protection like rw-)",
                    (int)l->len[i], l->tok[i]);
        }
        p->nsegs++;
        return 0;
    }
    if (tok_is(l, 0, "va")) {
        unsigned acc = XL_READ;
        if (l->n < 2 || l->n > 3 || tok_val(l, 1, &v))
            BAD("bad address (expected 'va ADDRESS [r|w|x]')");
        if (l->n == 3) {
            acc = parse_prot(l->tok[2], l->len[2]);
            if (acc != XL_READ && acc != XL_WRITE && acc != XL_EXEC)
                BAD("bad access '%.*s' (expected r, w or x)", (int)l->len[2], l->tok[2]);
        }
        if ((rc = xl_problem_add(p, v, acc, lineno)))
            return diag_set(d, file, lineno, -rc, "out of memory");
        return 0;
    }
    if (tok_is(l, 0, "pte") || tok_is(l, 0, "page")) {
        int is_pte = tok_is(l, 0, "pte");
        if (p->model != (is_pte ? XL_LINEAR : XL_MULTI))
            BAD("'%s' in a %s problem (expected model %s)", is_pte ? "pte" : "page",
                xl_model_name(p->model), is_pte ? "linear" : "multi");
        if (!*tables) {
            diag_t d2;
            if ((rc = xl_problem_check(p, file, &d2))) {
                d2.line = lineno;
                *d = d2;
                return rc;
            }
            *tables = 1;
        }
        if (is_pte) {
            if (l->n != 2 || tok_val(l, 1, &v))
                BAD("bad entry (expected 'pte VALUE')");
            if (p->npte == p->asize / p->page_size)
                BAD("more than %llu entries (one per virtual page)",
                    (unsigned long long)p->npte);
            if (p->pte_bytes < 8 && v >> (8 * p->pte_bytes))
                BAD("entry 0x%llx is wider than %u bytes", (unsigned long long)v, p->pte_bytes);
            p->pt[p->npte++] = v;
            return 0;
        }
        /* "page N: hex" or "page N hex" */
        if (l->n < 2)
            BAD("bad page line (expected 'page N: HEXBYTES')");
        {
            line_t m = *l;
            size_t nl = m.len[1];
            unsigned from = 2;
            if (nl > 1 && m.tok[1][nl - 1] == ':')
                nl--;
            else if (tok_is(l, 2, ":"))
                from = 3;
            if (m.n > MAX_TOK)
                BAD("too many groups of hex bytes (expected at most %d)", MAX_TOK - 2);
            m.len[1] = nl;
            if (tok_val(&m, 1, &v) || v >= p->psize / p->page_size)
                BAD("bad page number '%.*s' (expected 0..%llu)", (int)l->len[1], l->tok[1],
                    (unsigned long long)(p->psize / p->page_size - 1));
            if (parse_page_bytes(l, from, p->mem + v * p->page_size, p->page_size))
                BAD("page %llu: bad contents (expected %llu bytes as hex pairs)",
                    (unsigned long long)v, (unsigned long long)p->page_size);
        }
        return 0;
    }
    BAD("unknown key '%.*s' (expected asize, psize, page-size, pte-bytes, levels, base, limit, "
        "segment, pdbr, ptbr, pte, page or va)", (int)(l->len[0] > 40 ? 40 : l->len[0]),
        l->tok[0]);
}

int xl_parse(const char *text, size_t len, const char *file, xl_problem_t *p, diag_t *d)
{
    unsigned long lineno = 0;
    size_t i = 0;
    int have_model = 0, tables = 0, rc;
    memset(p, 0, sizeof *p);
    while (i < len) {
        const char *s = text + i;
        const char *e = memchr(s, '\n', len - i);
        size_t n = e ? (size_t)(e - s) : len - i;
        line_t l;
        i += n + 1;
        lineno++;
        split(s, n, &l);
        if (l.n == 0)
            continue;
        if (!have_model) {
            int m;
            char name[16] = "";
            if (tok_is(&l, 0, "model") && l.n == 2 && l.len[1] < sizeof name) {
                memcpy(name, l.tok[1], l.len[1]);
                name[l.len[1]] = '\0';
            }
            if ((m = xl_model_parse(name)) < 0) {
                rc = diag_set(d, file, lineno, EINVAL, "expected 'model bounds|seg|linear|multi' "
                              "first");
                goto fail;
            }
            xl_problem_init(p, (xl_model_t)m);
            p->nsegs = 0;
            have_model = 1;
            continue;
        }
        if ((rc = parse_line(&l, file, lineno, p, &tables, d)))
            goto fail;
    }
    if (!have_model) {
        rc = diag_set(d, file, lineno, EINVAL, "empty problem (expected 'model ...' first)");
        goto fail;
    }
    if (p->model == XL_BOUNDS && (p->base == UINT64_MAX || p->limit == UINT64_MAX)) {
        rc = diag_set(d, file, lineno, EINVAL, "missing base or limit (expected both)");
        goto fail;
    }
    if (p->model == XL_SEG && p->nsegs == 0) {
        rc = diag_set(d, file, lineno, EINVAL, "no segment (expected 'segment BASE LIMIT ...')");
        goto fail;
    }
    if ((rc = xl_problem_check(p, file, d)))
        goto fail;
    return 0;
fail:
    xl_problem_free(p);
    return rc;
}

void xl_write(const xl_problem_t *p, FILE *f)
{
    fprintf(f, "model %s\nasize %llu\npsize %llu\n", xl_model_name(p->model),
            (unsigned long long)p->asize, (unsigned long long)p->psize);
    switch (p->model) {
    case XL_BOUNDS:
        fprintf(f, "base %llu\nlimit %llu\n", (unsigned long long)p->base,
                (unsigned long long)p->limit);
        break;
    case XL_SEG:
        for (unsigned i = 0; i < p->nsegs; i++) {
            const xl_seg_t *s = &p->seg[i];
            fprintf(f, "segment %llu %llu %s %c%c%c\n", (unsigned long long)s->base,
                    (unsigned long long)s->limit, s->down ? "down" : "up",
                    s->prot & XL_READ ? 'r' : '-', s->prot & XL_WRITE ? 'w' : '-',
                    s->prot & XL_EXEC ? 'x' : '-');
        }
        break;
    case XL_LINEAR:
        fprintf(f, "page-size %llu\npte-bytes %u\nptbr %llu\n", (unsigned long long)p->page_size,
                p->pte_bytes, (unsigned long long)p->ptbr);
        for (uint64_t v = 0; v < p->npte; v++)
            fprintf(f, "pte 0x%llx\n", (unsigned long long)p->pt[v]);
        break;
    case XL_MULTI:
        fprintf(f, "page-size %llu\npte-bytes %u\nlevels ", (unsigned long long)p->page_size,
                p->pte_bytes);
        for (unsigned i = 0; i < p->nlevels; i++)
            fprintf(f, "%s%u", i ? "," : "", p->level_bits[i]);
        fprintf(f, "\npdbr %llu\n", (unsigned long long)p->pdbr);
        for (uint64_t pg = 0; pg < p->psize / p->page_size; pg++) {
            const uint8_t *b = p->mem + pg * p->page_size;
            uint64_t j;
            for (j = 0; j < p->page_size && !b[j]; j++)
                ;
            if (j == p->page_size)
                continue; /* zero pages are implied */
            fprintf(f, "page %llu:", (unsigned long long)pg);
            for (j = 0; j < p->page_size; j++)
                fprintf(f, "%s%02x", j ? "" : " ", b[j]);
            fputc('\n', f);
        }
        break;
    }
    for (size_t i = 0; i < p->naddr; i++)
        fprintf(f, "va 0x%llx%s\n", (unsigned long long)p->addr[i].va,
                p->addr[i].access == XL_WRITE ? " w" : p->addr[i].access == XL_EXEC ? " x" : "");
}
