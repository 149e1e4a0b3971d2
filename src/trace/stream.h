/* SPDX-License-Identifier: MIT */
/*
 * stream.h - a byte stream over a file, stdin or memory that transparently
 * decompresses gzip (zlib) and zstd (libzstd, when built with it).
 *
 * The compression is recognised by its magic bytes (gzip 1f 8b, zstd
 * 28 b5 2f fd, RFC 1952 and RFC 8878), so "-" (stdin) works as well as a file:
 * nothing is ever re-read or seeked.  Concatenated gzip members (what
 * `cat a.gz b.gz` gives) and concatenated zstd frames read as one stream.
 * A compressed stream that ends before its end marker is an error
 * ("truncated gzip input"), never a silent short read.
 */
#ifndef VMLAB_TRACE_STREAM_H
#define VMLAB_TRACE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmlab/diag.h"

enum { TSTREAM_RAW, TSTREAM_GZIP, TSTREAM_ZSTD };

typedef struct tstream {
    char name[512];            /* file name for messages ("stdin" for "-") */
    int fd;                    /* source file descriptor, -1 for memory */
    int own_fd;                /* 1: close fd at the end */
    const unsigned char *mem;  /* memory source (borrowed), NULL for fd */
    size_t mem_len;            /* bytes at mem */
    int kind;                  /* TSTREAM_RAW, _GZIP or _ZSTD */
    unsigned char *in;         /* compressed (or sniffed raw) input buffer */
    size_t in_cap;             /* bytes allocated at in */
    size_t in_pos, in_len;     /* unconsumed input is in[in_pos, in_len) */
    int in_eof;                /* the source has no more bytes */
    int done;                  /* the decompressed stream ended cleanly */
    void *z;                   /* z_stream *, gzip only */
    void *zd;                  /* ZSTD_DStream *, zstd only */
    size_t zret;               /* last ZSTD_decompressStream() hint: 0 = frame complete */
    uint64_t raw_bytes;        /* source bytes read so far */
    uint64_t size;             /* source size if known (a regular file), else 0 */
} tstream_t;

/* Open path ("-": stdin).  0 or -errno with *d filled. */
int tstream_open(tstream_t *s, const char *path, diag_t *d);
/* Open over [data, data + len) (borrowed: must outlive the stream); name is
 * used in messages. */
int tstream_open_mem(tstream_t *s, const void *data, size_t len, const char *name, diag_t *d);
/* Read up to n decompressed bytes into dst: how many (0 only at the end of the
 * stream) or -errno with *d filled (I/O error, corrupt or truncated input). */
ssize_t tstream_read(tstream_t *s, void *dst, size_t n, diag_t *d);
/* Name of the compression ("gzip", "zstd", "none"). */
const char *tstream_kind_name(const tstream_t *s);
void tstream_close(tstream_t *s);

#endif
