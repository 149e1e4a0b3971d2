/* SPDX-License-Identifier: MIT */
/*
 * json_scan.h - find the top-level values of a JSON text without building a
 * tree: what `vmlab merge` needs to join the JSON that independent jobs wrote.
 *
 * The scanner is a recognizer of RFC 8259 JSON (strings with every escape,
 * numbers, true/false/null, nesting up to JSON_SCAN_DEPTH) that reports the
 * byte ranges of the document's value, or of each element when the document
 * is an array.  It never allocates; memory is bounded by the depth.
 */
#ifndef VMLAB_BASE_JSON_SCAN_H
#define VMLAB_BASE_JSON_SCAN_H

#include <stddef.h>

#include "vmlab/diag.h"

#define JSON_SCAN_DEPTH 256

/* Called once per top-level element ([s, s + n) is its text, whitespace
 * trimmed): the elements of a top-level array, or the document itself when it
 * is not an array.  A non-zero return stops the scan and is returned. */
typedef int (*json_scan_fn)(const char *s, size_t n, void *ctx);

/* Scan text[0, len) (file names the input in diagnostics).  0, the callback's
 * non-zero return, or -EINVAL with *d saying where (line) and what was
 * expected.  The callback only runs once the whole text is known to be valid,
 * so a caller never acts on half of a broken file. */
int json_scan_top(const char *file, const char *text, size_t len, json_scan_fn fn, void *ctx,
                  diag_t *d);

#endif
