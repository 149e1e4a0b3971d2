/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the parser of /proc/PID/maps and /proc/PID/smaps.
 *
 * Format (fs/proc/task_mmu.c, show_map_vma(); Documentation/filesystems/proc.rst 3.1):
 *
 *     START-END PERMS OFFSET MAJ:MIN INODE [PADDING PATH]
 *
 * START, END, OFFSET in hex, MAJ:MIN in hex, INODE in decimal.  The kernel
 * pads to column 73 before the path, and the path runs to the end of the
 * line: it may contain spaces, its newlines are escaped as "\012", and a
 * file deleted after being mapped gets " (deleted)" appended.  Pseudo paths
 * name special areas: [heap], [stack], [vdso], [vvar], [vsyscall],
 * [anon:NAME] (prctl PR_SET_VMA_ANON_NAME).
 *
 * smaps follows each such header with "Key:   VALUE kB" lines (a few, like
 * THPeligible, without the unit) and a "VmFlags: rd wr mr ..." line.  The
 * set of keys grows with kernel versions, so the field names are learnt
 * from the text, in order of first appearance, rather than hard-coded.
 */
#include "base/vec.h"
#include "vmlab/inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/parse.h"

static int is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Take the token [*p, first space) of the line [*p, end); advance past the
 * spaces after it.  Returns its length (0 if none). */
static size_t token(const char **p, const char *end, const char **tok)
{
    const char *s = *p, *q;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    q = s;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    *tok = s;
    *p = q;
    return (size_t)(q - s);
}

/* A header line starts with hex digits and a '-'. */
static int is_header(const char *s, const char *end)
{
    const char *p = s;
    while (p < end && is_hex((unsigned char)*p))
        p++;
    return p > s && p < end && *p == '-';
}

static int grow(inspect_maps_t *mm)
{
    return vl_grow((void **)&mm->m, &mm->cap, mm->n + 1, sizeof *mm->m) ? -ENOMEM : 0;
}

static int parse_header(const char *name, unsigned long ln, const char *s, const char *end,
                        inspect_map_t *m, diag_t *d)
{
    const char *p = s, *t, *dash, *colon;
    size_t tl;
    uint64_t v;

    memset(m, 0, sizeof *m);
    m->elf_seg = -1;
    tl = token(&p, end, &t);
    dash = memchr(t, '-', tl);
    if (!dash || parse_u64_hex(t, (size_t)(dash - t), &m->start) ||
        parse_u64_hex(dash + 1, (size_t)(t + tl - dash - 1), &m->end) || dash == t ||
        dash + 1 == t + tl)
        return diag_set(d, name, ln, EINVAL, "bad address range '%.*s' (expected START-END in hex)",
                        (int)(tl > 64 ? 64 : tl), t);
    if (m->start >= m->end)
        return diag_set(d, name, ln, EINVAL,
                        "empty or reversed range %jx-%jx (expected START < END)",
                        (uintmax_t)m->start, (uintmax_t)m->end);
    tl = token(&p, end, &t);
    if (tl != 4 || (t[0] != 'r' && t[0] != '-') || (t[1] != 'w' && t[1] != '-') ||
        (t[2] != 'x' && t[2] != '-') || (t[3] != 'p' && t[3] != 's'))
        return diag_set(d, name, ln, EINVAL, "bad permissions '%.*s' (expected like r-xp or rw-s)",
                        (int)(tl > 16 ? 16 : tl), t);
    memcpy(m->perms, t, 4);
    m->perms[4] = '\0';
    tl = token(&p, end, &t);
    if (!tl || parse_u64_hex(t, tl, &m->offset))
        return diag_set(d, name, ln, EINVAL, "bad offset '%.*s' (expected hex)",
                        (int)(tl > 32 ? 32 : tl), t);
    tl = token(&p, end, &t);
    colon = tl ? memchr(t, ':', tl) : NULL;
    if (!colon || colon == t || parse_u64_hex(t, (size_t)(colon - t), &v) || v > 0xfffff)
        return diag_set(d, name, ln, EINVAL, "bad device '%.*s' (expected MAJOR:MINOR in hex)",
                        (int)(tl > 32 ? 32 : tl), t);
    m->dev_major = (unsigned)v;
    if (parse_u64_hex(colon + 1, (size_t)(t + tl - colon - 1), &v) || v > 0xfffff)
        return diag_set(d, name, ln, EINVAL, "bad device '%.*s' (expected MAJOR:MINOR in hex)",
                        (int)(tl > 32 ? 32 : tl), t);
    m->dev_minor = (unsigned)v;
    tl = token(&p, end, &t);
    if (!tl || parse_u64_dec(t, tl, &m->inode))
        return diag_set(d, name, ln, EINVAL, "bad inode '%.*s' (expected a decimal number)",
                        (int)(tl > 32 ? 32 : tl), t);
    /* The path: everything after the padding, to the end of the line. */
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    {
        size_t pl = (size_t)(end - p);
        static const char del[] = " (deleted)";
        if (pl >= sizeof del - 1 && memcmp(end - (sizeof del - 1), del, sizeof del - 1) == 0) {
            m->deleted = 1;
            pl -= sizeof del - 1;
        }
        m->path = malloc(pl + 1);
        if (!m->path)
            return diag_set(d, name, ln, ENOMEM, "out of memory");
        memcpy(m->path, p, pl);
        m->path[pl] = '\0';
    }
    return 0;
}

static int field_index(inspect_maps_t *mm, const char *k, size_t kl, int kb)
{
    for (int i = 0; i < mm->nfields; i++)
        if (strlen(mm->field[i]) == kl && memcmp(mm->field[i], k, kl) == 0)
            return i;
    if (mm->nfields == INSPECT_MAX_FIELDS || kl >= sizeof mm->field[0])
        return -1; /* more or longer than any kernel has: ignored */
    memcpy(mm->field[mm->nfields], k, kl);
    mm->field[mm->nfields][kl] = '\0';
    mm->field_kb[mm->nfields] = kb;
    return mm->nfields++;
}

static int parse_field(inspect_maps_t *mm, const char *name, unsigned long ln, const char *s,
                       const char *end, diag_t *d)
{
    const char *colon = memchr(s, ':', (size_t)(end - s)), *p, *t;
    inspect_map_t *m;
    size_t kl, tl;
    uint64_t v;
    int kb = 0, i;

    for (p = s; colon && p < colon; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            break;
    if (!colon || p != colon || colon == s)
        return diag_set(d, name, ln, EINVAL,
                        "bad line '%.*s' (expected START-END PERMS ... or an smaps 'Key: value' line)",
                        (int)(end - s > 40 ? 40 : end - s), s);
    if (mm->n == 0)
        return diag_set(d, name, ln, EINVAL, "field before the first mapping (expected a START-END line)");
    m = &mm->m[mm->n - 1];
    kl = (size_t)(colon - s);
    p = colon + 1;
    if (kl == 7 && memcmp(s, "VmFlags", 7) == 0) {
        while (p < end && *p == ' ')
            p++;
        tl = (size_t)(end - p);
        if (tl >= sizeof m->vmflags)
            tl = sizeof m->vmflags - 1;
        memcpy(m->vmflags, p, tl);
        m->vmflags[tl] = '\0';
        while (tl && m->vmflags[tl - 1] == ' ')
            m->vmflags[--tl] = '\0';
        return 0;
    }
    tl = token(&p, end, &t);
    if (!tl || parse_u64_dec(t, tl, &v))
        return diag_set(d, name, ln, EINVAL, "%.*s: bad value '%.*s' (expected a decimal number)",
                        (int)(kl > 32 ? 32 : kl), s, (int)(tl > 32 ? 32 : tl), t);
    {
        const char *u;
        size_t ul = token(&p, end, &u);
        if (ul == 2 && memcmp(u, "kB", 2) == 0)
            kb = 1;
        else if (ul)
            return diag_set(d, name, ln, EINVAL, "%.*s: bad unit '%.*s' (expected kB or nothing)",
                            (int)(kl > 32 ? 32 : kl), s, (int)(ul > 16 ? 16 : ul), u);
        if (token(&p, end, &u))
            return diag_set(d, name, ln, EINVAL, "%.*s: trailing text (expected 'N kB')",
                            (int)(kl > 32 ? 32 : kl), s);
    }
    i = field_index(mm, s, kl, kb);
    if (i < 0)
        return 0;
    if (mm->field_kb[i] != kb)
        return diag_set(d, name, ln, EINVAL, "%s: unit differs from its first appearance",
                        mm->field[i]);
    if (m->have & ((uint64_t)1 << i))
        return diag_set(d, name, ln, EINVAL, "%s: given twice for one mapping", mm->field[i]);
    m->have |= (uint64_t)1 << i;
    m->val[i] = v;
    mm->smaps = 1;
    return 0;
}

int inspect_maps_parse(const char *name, const char *text, size_t len, inspect_maps_t *out,
                       diag_t *d)
{
    const char *p = text, *end = text + len;
    unsigned long ln = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        const char *s = p;
        ln++;
        p = nl ? nl + 1 : end;
        if (le > s && le[-1] == '\r')
            le--;
        if (le == s)
            continue;
        if (memchr(s, '\0', (size_t)(le - s))) {
            rc = diag_set(d, name, ln, EINVAL, "NUL byte in line (expected text)");
            break;
        }
        if (is_header(s, le)) {
            inspect_map_t m;
            if ((rc = parse_header(name, ln, s, le, &m, d)) != 0)
                break;
            if (out->n && m.start < out->m[out->n - 1].end) {
                free(m.path);
                rc = diag_set(d, name, ln, EINVAL,
                              "mapping %jx-%jx overlaps or precedes the previous one (expected ascending order)",
                              (uintmax_t)m.start, (uintmax_t)m.end);
                break;
            }
            if (grow(out)) {
                free(m.path);
                rc = diag_set(d, name, ln, ENOMEM, "out of memory");
                break;
            }
            out->m[out->n++] = m;
        } else if ((rc = parse_field(out, name, ln, s, le, d)) != 0) {
            break;
        }
    }
    if (rc) {
        inspect_maps_free(out);
        return rc;
    }
    VL_DEBUG_CHECK(inspect_maps_check(out));
    return 0;
}

void inspect_maps_free(inspect_maps_t *mm)
{
    for (size_t i = 0; i < mm->n; i++)
        free(mm->m[i].path);
    free(mm->m);
    memset(mm, 0, sizeof *mm);
}

void inspect_maps_check(const inspect_maps_t *mm)
{
    VL_ASSERT(mm->n <= mm->cap);
    VL_ASSERT(mm->nfields >= 0 && mm->nfields <= INSPECT_MAX_FIELDS);
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        VL_ASSERT(m->start < m->end);
        VL_ASSERT(i == 0 || mm->m[i - 1].end <= m->start);
        VL_ASSERT(m->path != NULL);
        VL_ASSERT(strlen(m->perms) == 4);
        VL_ASSERT((m->have >> mm->nfields) == 0);
        VL_ASSERT((unsigned)m->kind < INSPECT_K_COUNT);
    }
}

int inspect_maps_field(const inspect_maps_t *mm, const char *name)
{
    for (int i = 0; i < mm->nfields; i++)
        if (strcmp(mm->field[i], name) == 0)
            return i;
    return -1;
}

const inspect_map_t *inspect_maps_find(const inspect_maps_t *mm, uint64_t addr)
{
    size_t lo = 0, hi = mm->n;
    while (lo < hi) { /* first mapping with end > addr */
        size_t mid = lo + (hi - lo) / 2;
        if (mm->m[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < mm->n && mm->m[lo].start <= addr)
        return &mm->m[lo];
    return NULL;
}

int inspect_maps_load(const inspect_src_t *src, int pid, const char *name, inspect_maps_t *out,
                      diag_t *d)
{
    char *text = NULL, label[64];
    size_t len = 0;
    int rc = src->read_text(src->ctx, pid, name, &text, &len, d);
    if (rc)
        return rc;
    if (pid == 0)
        snprintf(label, sizeof label, "/proc/self/%s", name);
    else
        snprintf(label, sizeof label, "/proc/%d/%s", pid, name);
    rc = inspect_maps_parse(label, text, len, out, d);
    free(text);
    return rc;
}
