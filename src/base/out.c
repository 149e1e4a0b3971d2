/* SPDX-License-Identifier: MIT */
/*
 * out.c - the output layer (see out.h): --output formats, the JSON writer and
 * escaper, CSV fields, safe text.
 */
#include "base/out.h"

#include <errno.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

static const char *const fmt_names[] = {"text", "json", "csv"};

int out_format_parse(const char *val, unsigned accepted, out_format_t *fmt)
{
    for (int i = 0; i < 3; i++) {
        if ((accepted & (1u << i)) && strcmp(val, fmt_names[i]) == 0) {
            *fmt = (out_format_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *out_format_list(unsigned accepted, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (accepted & (1u << i)) {
            int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", fmt_names[i]);
            if (w < 0 || (size_t)w >= n - used)
                break;
            used += (size_t)w;
        }
    }
    return buf;
}

void out_json_escape(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

void out_json_init(out_json_t *j, FILE *f, int pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
}

/* Whitespace before a member (more: not the container's first) or before the
 * close of the container now at depth j->depth (close). */
static void indent(out_json_t *j, int more, int close)
{
    if (j->pretty == OUT_JSON_LINES) {
        if (j->depth == (close ? 0 : 1) && j->kind[0] == '[')
            fputs(close ? "\n" : "\n  ", j->f);
        else if (more && !close)
            fputc(' ', j->f);
        return;
    }
    if (j->pretty != OUT_JSON_PRETTY)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Before any value: the comma, the indent and the key as the context needs. */
static void member(out_json_t *j, const char *key)
{
    if (j->depth == 0) {
        VL_ASSERT(key == NULL);
        return;
    }
    int in_obj = j->kind[j->depth - 1] == '{';
    VL_ASSERT(in_obj == (key != NULL));
    int more = j->count[j->depth - 1];
    if (more)
        fputc(',', j->f);
    j->count[j->depth - 1] = 1;
    indent(j, more, 0);
    if (key) {
        out_json_escape(j->f, key, strlen(key));
        fputs(j->pretty != OUT_JSON_COMPACT ? ": " : ":", j->f);
    }
}

static void json_open(out_json_t *j, const char *key, char kind)
{
    member(j, key);
    VL_ASSERT(j->depth < OUT_JSON_DEPTH);
    fputc(kind, j->f);
    j->kind[j->depth] = kind;
    j->count[j->depth] = 0;
    j->depth++;
}

void out_json_obj(out_json_t *j, const char *key) { json_open(j, key, '{'); }
void out_json_arr(out_json_t *j, const char *key) { json_open(j, key, '['); }

void out_json_end(out_json_t *j)
{
    VL_ASSERT(j->depth > 0);
    j->depth--;
    if (j->count[j->depth])
        indent(j, 1, 1);
    fputc(j->kind[j->depth] == '{' ? '}' : ']', j->f);
}

void out_json_str(out_json_t *j, const char *key, const char *s)
{
    if (!s) {
        out_json_null(j, key);
        return;
    }
    out_json_strn(j, key, s, strlen(s));
}

void out_json_strn(out_json_t *j, const char *key, const char *s, size_t n)
{
    member(j, key);
    out_json_escape(j->f, s, n);
}

void out_json_i64(out_json_t *j, const char *key, int64_t v)
{
    member(j, key);
    fprintf(j->f, "%lld", (long long)v);
}

void out_json_u64(out_json_t *j, const char *key, uint64_t v)
{
    member(j, key);
    fprintf(j->f, "%llu", (unsigned long long)v);
}

void out_json_hex(out_json_t *j, const char *key, uint64_t v)
{
    member(j, key);
    fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void out_json_dbl(out_json_t *j, const char *key, double v)
{
    member(j, key);
    char buf[32];
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    /* the shortest of %.15g / %.17g that reads back as v */
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, j->f);
}

void out_json_fixed(out_json_t *j, const char *key, double v, int decimals)
{
    member(j, key);
    if (!isfinite(v))
        fputs("null", j->f);
    else
        fprintf(j->f, "%.*f", decimals, v);
}

void out_json_bool(out_json_t *j, const char *key, int v)
{
    member(j, key);
    fputs(v ? "true" : "false", j->f);
}

void out_json_null(out_json_t *j, const char *key)
{
    member(j, key);
    fputs("null", j->f);
}

void out_json_done(out_json_t *j)
{
    VL_ASSERT(j->depth == 0);
    fputc('\n', j->f);
}

void out_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void out_text_safe(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}
