/* SPDX-License-Identifier: MIT */
/*
 * stream.c - decompressing byte stream under every trace reader (stream.h).
 *
 * The first bytes of the source are read into an input buffer and sniffed
 * for a magic number; raw input is then handed out from that buffer and,
 * once it is drained, read() straight into the caller's buffer (no copy).
 * gzip goes through zlib's inflate with automatic header detection
 * (windowBits 15 + 32), zstd through ZSTD_decompressStream.
 */
#include "trace/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef VMLAB_HAVE_ZSTD
#include <zstd.h>
#endif

#define TSTREAM_IN_CAP (256u << 10)

/* Unconsumed input starts here (memory sources are their own buffer). */
static const unsigned char *in_base(const tstream_t *s)
{
    return s->mem ? s->mem : s->in;
}

static size_t in_avail(const tstream_t *s)
{
    return s->in_len - s->in_pos;
}

/* Make more source bytes available in in[in_pos, in_len), keeping the
 * unconsumed ones.  0, or -errno on a read error. */
static int in_refill(tstream_t *s, diag_t *d)
{
    if (s->in_eof)
        return 0;
    if (s->in_pos > 0) {
        memmove(s->in, s->in + s->in_pos, in_avail(s));
        s->in_len -= s->in_pos;
        s->in_pos = 0;
    }
    while (s->in_len < s->in_cap) {
        ssize_t r = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return diag_set(d, s->name, 0, errno, "cannot read: %s", strerror(errno));
        if (r == 0) {
            s->in_eof = 1;
            break;
        }
        s->in_len += (size_t)r;
        s->raw_bytes += (uint64_t)r;
        break; /* one read() is enough: callers loop */
    }
    return 0;
}

static int is_gzip(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int is_zstd(const unsigned char *p, size_t n)
{
    return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

static int sniff(tstream_t *s, diag_t *d)
{
    int rc;
    /* A pipe may deliver fewer than 4 bytes at first. */
    while (!s->in_eof && in_avail(s) < 4)
        if ((rc = in_refill(s, d)) < 0)
            return rc;
    const unsigned char *p = in_base(s) + s->in_pos;
    size_t n = in_avail(s);
    if (is_gzip(p, n)) {
        z_stream *z = calloc(1, sizeof *z);
        if (!z)
            return diag_set(d, s->name, 0, ENOMEM, "out of memory");
        if (inflateInit2(z, 15 + 32) != Z_OK) {
            free(z);
            return diag_set(d, s->name, 0, ENOMEM, "cannot start zlib");
        }
        s->z = z;
        s->kind = TSTREAM_GZIP;
    } else if (is_zstd(p, n)) {
#ifdef VMLAB_HAVE_ZSTD
        ZSTD_DStream *zd = ZSTD_createDStream();
        if (!zd)
            return diag_set(d, s->name, 0, ENOMEM, "out of memory");
        ZSTD_initDStream(zd);
        s->zd = zd;
        s->kind = TSTREAM_ZSTD;
        s->zret = 1;
#else
        return diag_set(d, s->name, 0, ENOTSUP,
                        "zstd-compressed input, but vmlab was built without zstd (expected "
                        "gzip or plain input; install libzstd-dev and rebuild, or unzstd it first)");
#endif
    } else {
        s->kind = TSTREAM_RAW;
    }
    return 0;
}

int tstream_open(tstream_t *s, const char *path, diag_t *d)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    int is_stdin = strcmp(path, "-") == 0;
    snprintf(s->name, sizeof s->name, "%s", is_stdin ? "stdin" : path);
    if (is_stdin) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
            return diag_set(d, s->name, 0, errno, "cannot open: %s", strerror(errno));
        s->own_fd = 1;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode))
        s->size = (uint64_t)st.st_size;
    s->in = malloc(TSTREAM_IN_CAP);
    if (!s->in) {
        tstream_close(s);
        return diag_set(d, s->name, 0, ENOMEM, "out of memory");
    }
    s->in_cap = TSTREAM_IN_CAP;
    int rc = sniff(s, d);
    if (rc < 0)
        tstream_close(s);
    return rc;
}

int tstream_open_mem(tstream_t *s, const void *data, size_t len, const char *name, diag_t *d)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->name, sizeof s->name, "%s", name ? name : "memory");
    s->mem = data ? data : (const unsigned char *)"";
    s->mem_len = len;
    s->in_len = len;
    s->in_eof = 1;
    s->raw_bytes = len;
    s->size = len;
    int rc = sniff(s, d);
    if (rc < 0)
        tstream_close(s);
    return rc;
}

static ssize_t read_raw(tstream_t *s, unsigned char *dst, size_t n, diag_t *d)
{
    if (in_avail(s) > 0) {
        size_t k = in_avail(s) < n ? in_avail(s) : n;
        memcpy(dst, in_base(s) + s->in_pos, k);
        s->in_pos += k;
        return (ssize_t)k;
    }
    if (s->mem || s->in_eof)
        return 0;
    for (;;) {
        ssize_t r = read(s->fd, dst, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return diag_set(d, s->name, 0, errno, "cannot read: %s", strerror(errno));
        if (r == 0)
            s->in_eof = 1;
        s->raw_bytes += (uint64_t)r;
        return r;
    }
}

static ssize_t read_gzip(tstream_t *s, unsigned char *dst, size_t n, diag_t *d)
{
    z_stream *z = s->z;
    int rc;
    for (;;) {
        if (s->done)
            return 0;
        if (in_avail(s) == 0 && (rc = in_refill(s, d)) < 0)
            return rc;
        z->next_in = (Bytef *)(in_base(s) + s->in_pos);
        z->avail_in = (uInt)(in_avail(s) < UINT32_MAX ? in_avail(s) : UINT32_MAX);
        z->next_out = dst;
        z->avail_out = (uInt)(n < UINT32_MAX ? n : UINT32_MAX);
        int zr = inflate(z, Z_NO_FLUSH);
        s->in_pos = (size_t)(z->next_in - in_base(s));
        size_t got = (size_t)(z->next_out - dst);
        if (zr == Z_STREAM_END) {
            /* A member ended: another may follow (cat a.gz b.gz). */
            while (!s->in_eof && in_avail(s) < 2)
                if ((rc = in_refill(s, d)) < 0)
                    return rc;
            if (in_avail(s) == 0) {
                s->done = 1;
            } else if (is_gzip(in_base(s) + s->in_pos, in_avail(s))) {
                inflateReset(z);
            } else {
                return diag_set(d, s->name, 0, EINVAL,
                                "data after the end of the gzip stream (expected another gzip "
                                "member or the end of the file)");
            }
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return diag_set(d, s->name, 0, EINVAL, "corrupt gzip input: %s (expected gzip data)",
                            z->msg ? z->msg : "inflate failed");
        }
        if (got > 0)
            return (ssize_t)got;
        if (!s->done && in_avail(s) == 0 && s->in_eof)
            return diag_set(d, s->name, 0, EINVAL,
                            "truncated gzip input (the data ends inside the compressed stream; "
                            "expected the gzip end marker)");
    }
}

#ifdef VMLAB_HAVE_ZSTD
static ssize_t read_zstd(tstream_t *s, unsigned char *dst, size_t n, diag_t *d)
{
    int rc;
    for (;;) {
        if (in_avail(s) == 0 && (rc = in_refill(s, d)) < 0)
            return rc;
        if (in_avail(s) == 0 && s->in_eof && s->zret == 0)
            return 0; /* the last frame is complete and flushed */
        ZSTD_inBuffer ib = {in_base(s) + s->in_pos, in_avail(s), 0};
        ZSTD_outBuffer ob = {dst, n, 0};
        size_t r = ZSTD_decompressStream(s->zd, &ob, &ib);
        s->in_pos += ib.pos;
        if (ZSTD_isError(r))
            return diag_set(d, s->name, 0, EINVAL, "corrupt zstd input: %s (expected zstd data)",
                            ZSTD_getErrorName(r));
        s->zret = r;
        if (ob.pos > 0)
            return (ssize_t)ob.pos;
        if (in_avail(s) == 0 && s->in_eof) {
            if (r != 0)
                return diag_set(d, s->name, 0, EINVAL,
                                "truncated zstd input (the data ends inside a zstd frame; "
                                "expected the end of the frame)");
            return 0;
        }
    }
}
#endif

ssize_t tstream_read(tstream_t *s, void *dst, size_t n, diag_t *d)
{
    if (n == 0)
        return 0;
    switch (s->kind) {
    case TSTREAM_GZIP:
        return read_gzip(s, dst, n, d);
#ifdef VMLAB_HAVE_ZSTD
    case TSTREAM_ZSTD:
        return read_zstd(s, dst, n, d);
#endif
    default:
        return read_raw(s, dst, n, d);
    }
}

const char *tstream_kind_name(const tstream_t *s)
{
    return s->kind == TSTREAM_GZIP ? "gzip" : s->kind == TSTREAM_ZSTD ? "zstd" : "none";
}

void tstream_close(tstream_t *s)
{
    if (s->z) {
        inflateEnd(s->z);
        free(s->z);
    }
#ifdef VMLAB_HAVE_ZSTD
    if (s->zd)
        ZSTD_freeDStream(s->zd);
#endif
    free(s->in);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}
