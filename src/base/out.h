/* SPDX-License-Identifier: MIT */
/*
 * out.h - the one output layer of vmlab: the --output formats, one JSON
 * writer with one escaper, CSV fields and safe text.  Commands (src/cli) and
 * library report writers (slabinfo, maps) share it.
 *
 * A command builds its result once and writes it in the format asked for; the
 * same fields appear in every format (docs/CONVENTIONS.md, "Output").
 * JSON is written as it goes by a small state machine that places the commas
 * and checks nesting (out_json_end aborts on a mismatched close), so a command
 * never hand-writes separators.  Strings are escaped per RFC 8259: '"', '\\'
 * and control bytes (U+0000..U+001F, and 0x7f for safety on terminals) as
 * \uXXXX or the short forms; other bytes pass through.  Doubles that are not
 * finite are written as null (JSON has no NaN).
 *
 * Errors: the writers only fprintf; the caller checks ferror()/fclose() of the
 * stream at the end (env_out_commit does for -o files).
 */
#ifndef VMLAB_BASE_OUT_H
#define VMLAB_BASE_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum out_format { OUT_TEXT = 0, OUT_JSON, OUT_CSV } out_format_t;

/* Parse a --output value among those a command accepts (a mask of
 * 1 << OUT_*): 0 and *fmt, or -EINVAL.  Commands call cli_output() (cli.h),
 * which prints the usage error naming the accepted formats. */
int out_format_parse(const char *val, unsigned accepted, out_format_t *fmt /* OUT */);

/* The accepted formats as "text, json" into buf (size n); returns buf. */
const char *out_format_list(unsigned accepted, char *buf, size_t n);

#define OUT_ACCEPT_TEXT_JSON ((1u << OUT_TEXT) | (1u << OUT_JSON))
#define OUT_ACCEPT_ALL ((1u << OUT_TEXT) | (1u << OUT_JSON) | (1u << OUT_CSV))

/* ---- JSON ---------------------------------------------------------------- */

#define OUT_JSON_DEPTH 32

typedef struct out_json {
    FILE *f;                      /* where it goes */
    int depth;                    /* open containers */
    char kind[OUT_JSON_DEPTH];    /* '{' or '[' per open container */
    char count[OUT_JSON_DEPTH];   /* has the container a member yet? (0/1) */
    int after_key;                /* a key was written, its value comes next */
    int pretty;                   /* an OUT_JSON_* layout */
} out_json_t;

/* Layouts: COMPACT {"a":1,"b":[2]}; PRETTY one member a line, indented;
 * LINES {"a": 1, "b": [2]} on one line, and a top-level array one element a
 * line ("[\n  {...},\n  {...}\n]"), so `grep -c` counts records. */
enum { OUT_JSON_COMPACT = 0, OUT_JSON_PRETTY = 1, OUT_JSON_LINES = 2 };

void out_json_init(out_json_t *j, FILE *f, int pretty /* OUT_JSON_* */);

/* Containers: a key (inside an object) or NULL (inside an array / at top). */
void out_json_obj(out_json_t *j, const char *key);
void out_json_arr(out_json_t *j, const char *key);
void out_json_end(out_json_t *j); /* closes the innermost container */

/* Members: key is NULL inside arrays. */
void out_json_str(out_json_t *j, const char *key, const char *s); /* NULL s -> null */
void out_json_strn(out_json_t *j, const char *key, const char *s, size_t n);
void out_json_i64(out_json_t *j, const char *key, int64_t v);
void out_json_u64(out_json_t *j, const char *key, uint64_t v);
void out_json_hex(out_json_t *j, const char *key, uint64_t v); /* "0x..." string */
void out_json_dbl(out_json_t *j, const char *key, double v);   /* %.17g, null if not finite */
/* v with a fixed number of decimals (%.*f), null if not finite: for figures
 * whose precision is part of the output (rates, nanoseconds). */
void out_json_fixed(out_json_t *j, const char *key, double v, int decimals);
void out_json_bool(out_json_t *j, const char *key, int v);
void out_json_null(out_json_t *j, const char *key);

/* Finish: every container must be closed; writes the final newline. */
void out_json_done(out_json_t *j);

/* The escaper alone: s as a JSON string literal with its quotes. */
void out_json_escape(FILE *f, const char *s, size_t n);

/* ---- CSV (RFC 4180) ------------------------------------------------------- */

/* One field: quoted (with "" for ") when it holds a comma, quote, CR or LF. */
void out_csv_field(FILE *f, const char *s);

/* ---- text ----------------------------------------------------------------- */

/* s with control bytes shown as \xNN, for echoing input in messages and tables. */
void out_text_safe(FILE *f, const char *s, size_t n);

#endif
