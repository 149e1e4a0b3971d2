/* SPDX-License-Identifier: MIT */
/*
 * cmd_mrc.c - `vmlab mrc`: whole fault curves (page faults for every frame
 * count) of one trace, for several policies, with Belady's anomaly listed.
 *
 * LRU, OPT and SHARDS are streamed: one read of the trace feeds all of them
 * (mrc_stream_trace), holding state for the distinct (or sampled) pages,
 * never the references.  Other policies need the trace in memory
 * (trace_load_pages) for one simulation per frame count on all cores; it is
 * loaded only for them.  Everything is computed before the first byte of
 * output, which -o writes atomically.
 *
 * parse() fills an mrc_cli_t; stream() and load() read the trace; curve()
 * computes one policy's curve; print_{csv,json,text} write them.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progress.h"
#include "base/vec.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/mrc.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

static const char mrc_help[] =
    "usage: vmlab mrc [-p lru,opt,fifo,...] [--frames LIST | --max-frames N] [-F FORMAT]\n"
    "                 [--output text|csv|json] [--shards RATE | --shards-size S] TRACE\n"
    "       vmlab mrc -p lru --shards RATE --shards-part I/N [-o PART] TRACE\n"
    "       vmlab mrc --merge [--frames LIST] [--output F] PART...\n"
    "\n"
    "The whole fault curve: page faults at every frame count, for each policy.\n"
    "lru and opt are exact at every size from one pass over the trace (Mattson's\n"
    "stack distances); any other policy of `vmlab sim` runs one simulation per size\n"
    "on all cores, on a coarser grid unless --frames says otherwise.  Sizes where a\n"
    "policy faults more with more frames (Belady's anomaly) are listed.\n"
    "\n"
    "  -p, --policy LIST      policies, comma-separated, with parameters as in\n"
    "                         `vmlab sim` (default lru,opt)\n"
    "  -n, --frames LIST      frame counts: N, A-B (every size) or A-B:STEP, comma-\n"
    "                         separated (e.g. 1-64,128,256)\n"
    "      --max-frames N     sizes 1..N (default: the trace's distinct pages)\n"
    "      --points K         without --frames: sizes per curve, spread evenly and\n"
    "                         on a log scale (default: every size up to 2000 for\n"
    "                         lru and opt, else 200; 32 for simulated policies);\n"
    "                         'all' for every size\n"
    "      --shards RATE      lru approximated by fixed-rate SHARDS (e.g. 0.01)\n"
    "      --shards-size S    lru by fixed-size SHARDS, at most S sampled pages\n"
    "      --seed N           SHARDS sampling seed (default 1)\n"
    "      --shards-part I/N  partitioned SHARDS: sample only the I-th of N hash\n"
    "                         ranges (0 <= I < N <= 4096) and write a partial\n"
    "                         result for --merge; I = all: every range here,\n"
    "                         merged as --merge does (docs/sweeps.md)\n"
    "      --merge            the arguments are the N partial results of one\n"
    "                         --shards-part run: print the curve they make\n"
    "  -F, --format F         trace format: @FORMATS@\n"
    "                         (default: detected)\n"
    "  -P, --multi-pid        text lines start with a decimal pid column\n"
    "      --page-size BYTES  a power of two (default 4096)\n"
    "      --no-progress      no progress line (shown on a terminal for long runs)\n"
    "      --output F         text (default), csv (policy,frames,page_faults,\n"
    "                         miss_ratio) or json\n"
    "  -o, --out FILE         write to FILE (atomically) instead of stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "example: vmlab mrc -p lru,opt,fifo --max-frames 64 --output csv trace.rw\n";

typedef VL_VEC(uint64_t) sizes_t; /* frame counts */

typedef struct curve {
    char *policy;     /* spec as given ("lru", "aging:bits=8"); "lru-shards" */
    int exact;        /* 1: exact; 0: SHARDS estimate */
    size_t k;         /* sizes */
    uint64_t *frames; /* ascending */
    uint64_t *faults; /* at each size */
    size_t *anom;     /* indices i with faults[i] > faults[i - 1] */
    size_t nanom;     /* how many */
} curve_t;

enum { O_MAX_FRAMES = CLI_OPT_BASE, O_POINTS, O_SHARDS, O_SHARDS_SIZE, O_SEED, O_PAGE_SIZE, O_OUTPUT,
       O_SHARDS_PART, O_MERGE, O_NO_PROGRESS };

static const struct option mrc_opts[] = {
    {"policy", required_argument, 0, 'p'},
    {"frames", required_argument, 0, 'n'},
    {"max-frames", required_argument, 0, O_MAX_FRAMES},
    {"points", required_argument, 0, O_POINTS},
    {"shards", required_argument, 0, O_SHARDS},
    {"shards-size", required_argument, 0, O_SHARDS_SIZE},
    {"seed", required_argument, 0, O_SEED},
    {"shards-part", required_argument, 0, O_SHARDS_PART},
    {"merge", no_argument, 0, O_MERGE},
    {"multi-pid", no_argument, 0, 'P'},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"format", required_argument, 0, 'F'},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"output", required_argument, 0, O_OUTPUT},
    {"out", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The command line, parsed. */
typedef struct mrc_cli {
    const char *policies;   /* -p as given */
    const char *out_path;   /* -o, NULL: stdout */
    const char *path;       /* the TRACE */
    sizes_t given;          /* --frames, sorted and unique; empty: a grid */
    uint64_t max_frames;    /* --max-frames, 0: the distinct pages */
    uint64_t points;        /* --points, 0 all, UINT64_MAX default */
    double shards_rate;     /* --shards, 0 if not */
    uint64_t shards_size;   /* --shards-size, 0 if not */
    uint64_t seed;          /* --seed */
    uint32_t part;          /* --shards-part I (MRC_SHARDS_ALL_PARTS: all) */
    uint32_t parts;         /* --shards-part N, 0 if not given */
    int merge;              /* --merge */
    char **files;           /* --merge: the partial results */
    size_t nfiles;          /* how many */
    unsigned page_bits;     /* --page-size as log2 */
    out_format_t output;    /* --output */
    trace_opts_t topts;     /* -F, -P */
    int progress;           /* 0: --no-progress */
    char **spec;            /* the policy specs */
    size_t nspec;           /* how many */
} mrc_cli_t;

/* The trace's streamed curves, the trace in memory if a simulated policy
 * needs it, and what the curves need of them. */
typedef struct mrc_data {
    mrc_stream_result_t sr; /* lru, opt and SHARDS, streamed */
    int streamed;           /* 1: sr is filled */
    trace_pages_t tp;       /* the pages, for simulated policies only */
    uint64_t *key;          /* tp's pages tagged with their pid (mrc_keys) */
    uint64_t refs;          /* references */
    uint64_t distinct;      /* distinct keys */
    const char *path;       /* the trace's name (--merge: as the parts say) */
    char *merged_trace;     /* --merge: that name, owned */
    unsigned page_bits;     /* its page size (--merge: as the parts say) */
    curve_t *cv;       /* one per spec */
    size_t nc;         /* curves with something to free */
} mrc_data_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sizes_sort(sizes_t *s)
{
    size_t m = 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    for (size_t i = 0; i < s->n; i++)
        if (m == 0 || s->v[i] != s->v[m - 1])
            s->v[m++] = s->v[i];
    s->n = m;
}

/* --frames LIST: N | A-B | A-B:STEP, comma-separated. */
static int parse_frames(const char *list, sizes_t *s)
{
    char buf[4096], *save = NULL, *tok;
    if (strlen(list) >= sizeof buf)
        return cli_usage("mrc", "--frames list too long");
    strcpy(buf, list);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-'), *colon = strchr(tok, ':');
        uint64_t a, b, step = 1;
        if (colon)
            *colon = '\0';
        if (dash)
            *dash = '\0';
        if (cli_u64("mrc", "--frames", tok, 1, (uint64_t)1 << 32, &a))
            return CLI_USAGE;
        b = a;
        if (dash && cli_u64("mrc", "--frames", dash + 1, a, (uint64_t)1 << 32, &b))
            return CLI_USAGE;
        if (colon && (!dash || cli_u64("mrc", "--frames step", colon + 1, 1, (uint64_t)1 << 32, &step)))
            return dash ? CLI_USAGE : cli_usage("mrc", "--frames: a step needs a range (A-B:STEP)");
        if ((b - a) / step > 10000000)
            return cli_usage("mrc", "--frames %s-%ju gives too many sizes (at most 10000000)", tok,
                             (uintmax_t)b);
        for (uint64_t f = a; f <= b; f += step)
            if (vl_vec_push(s, f))
                return cli_usage("mrc", "out of memory for --frames");
    }
    if (s->n == 0)
        return cli_usage("mrc", "--frames is empty (expected e.g. 1-64,128)");
    sizes_sort(s);
    return 0;
}

/* K sizes in [1, max]: half evenly spaced, half on a log scale, plus max. */
static int grid(uint64_t max, uint64_t k, sizes_t *s)
{
    if (k == 0 || k >= max) {
        for (uint64_t f = 1; f <= max; f++)
            if (vl_vec_push(s, f))
                return -ENOMEM;
        return 0;
    }
    for (uint64_t i = 0; i < k / 2 + 1; i++) {
        uint64_t lin = 1 + (max - 1) * i / (k / 2 ? k / 2 : 1);
        uint64_t lg = (uint64_t)llround(exp(log((double)max) * (double)i / (double)(k - k / 2)));
        if (vl_vec_push(s, lin) || (lg >= 1 && lg <= max && vl_vec_push(s, lg)))
            return -ENOMEM;
    }
    if (vl_vec_push(s, max))
        return -ENOMEM;
    sizes_sort(s);
    return 0;
}

/* Split "lru,fifo,aging:bits=8,x=1" into specs: a piece with '=' and no
 * ':' continues the previous policy's parameters. */
static int split_policies(const char *list, char ***out, size_t *n)
{
    char *buf = strdup(list), *save = NULL, *tok;
    VL_VEC(char *) v = {0};
    if (!buf)
        return -ENOMEM;
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (v.n && strchr(tok, '=') && !strchr(tok, ':')) {
            char *j;
            if (asprintf(&j, "%s,%s", v.v[v.n - 1], tok) < 0)
                goto nomem;
            free(v.v[v.n - 1]);
            v.v[v.n - 1] = j;
        } else if (vl_vec_reserve(&v, v.n + 1) || !(v.v[v.n] = strdup(tok))) {
            goto nomem;
        } else {
            v.n++;
        }
    }
    free(buf);
    *out = v.v, *n = v.n;
    return 0;
nomem:
    for (size_t i = 0; i < v.n; i++)
        free(v.v[i]);
    vl_vec_free(&v);
    free(buf);
    return -ENOMEM;
}

static int parse_opt(mrc_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    int f;
    char *end;
    switch (c) {
    case 'p': o->policies = arg; return 0;
    case 'n': return parse_frames(arg, &o->given);
    case 'P': o->topts.multi_pid = 1; return 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    case O_MAX_FRAMES:
        return cli_u64("mrc", "--max-frames", arg, 1, (uint64_t)1 << 32, &o->max_frames) ? CLI_USAGE : 0;
    case O_POINTS:
        if (strcmp(arg, "all") == 0)
            o->points = 0;
        else if (cli_u64("mrc", "--points", arg, 2, 10000000, &o->points))
            return CLI_USAGE;
        return 0;
    case O_SHARDS:
        o->shards_rate = strtod(arg, &end);
        if (end == arg || *end || !(o->shards_rate > 0 && o->shards_rate <= 1))
            return cli_usage("mrc", "--shards %s is not a rate in (0, 1]", arg);
        return 0;
    case O_SHARDS_SIZE:
        return cli_u64("mrc", "--shards-size", arg, 1, (uint64_t)1 << 32, &o->shards_size) ? CLI_USAGE : 0;
    case O_SEED: return cli_u64("mrc", "--seed", arg, 0, UINT64_MAX, &o->seed) ? CLI_USAGE : 0;
    case O_SHARDS_PART: {
        const char *slash = strchr(arg, '/');
        char ibuf[32];
        uint64_t i = 0, n;
        if (!slash || (size_t)(slash - arg) >= sizeof ibuf)
            return cli_usage("mrc", "--shards-part %s is not I/N (expected e.g. 3/8 or all/8)", arg);
        memcpy(ibuf, arg, (size_t)(slash - arg));
        ibuf[slash - arg] = '\0';
        if (cli_u64("mrc", "--shards-part N", slash + 1, 2, MRC_SHARDS_MAX_PARTS, &n))
            return CLI_USAGE;
        if (strcmp(ibuf, "all") != 0 && cli_u64("mrc", "--shards-part I", ibuf, 0, n - 1, &i))
            return CLI_USAGE;
        o->parts = (uint32_t)n;
        o->part = strcmp(ibuf, "all") == 0 ? MRC_SHARDS_ALL_PARTS : (uint32_t)i;
        return 0;
    }
    case O_MERGE: o->merge = 1; return 0;
    case 'F':
        if ((f = trace_format_parse(arg)) < 0)
            return cli_usage("mrc", "unknown format '%s' (expected %s)", arg, trace_format_names());
        o->topts.format = (trace_format_t)f;
        return 0;
    case O_PAGE_SIZE:
        if (cli_u64("mrc", "--page-size", arg, 1, (uint64_t)1 << 30, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("mrc", "page size %s is not a power of two", arg);
        o->page_bits = (unsigned)__builtin_ctzll(v);
        return 0;
    case O_OUTPUT: return cli_output("mrc", arg, OUT_ACCEPT_ALL, &o->output) ? CLI_USAGE : 0;
    case 'o': o->out_path = arg; return 0;
    case 'h': cli_help(mrc_help); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

static int parse(mrc_cli_t *o, int argc, char **argv)
{
    int c, rc;
    int frames_given;
    diag_t d;
    memset(o, 0, sizeof *o);
    o->policies = "lru,opt";
    o->points = UINT64_MAX;
    o->seed = 1;
    o->page_bits = 12;
    o->topts = (trace_opts_t){.format = TRACE_AUTO, .page_bits = 12, .pid_opt = "-P"};
    o->progress = 1;
    optind = 1;
    while ((c = cli_getopt("mrc", argc, argv, "p:n:F:Po:h", mrc_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (o->merge) {
        if (optind >= argc)
            return cli_usage("mrc", "--merge: no partial result given (expected the files "
                                    "--shards-part I/N wrote)");
        if (o->parts || o->shards_rate || o->shards_size || strcmp(o->policies, "lru,opt") != 0)
            return cli_usage("mrc", "--merge takes the sampling from the partial results "
                                    "(expected no -p, --shards, --shards-size or --shards-part)");
        o->files = argv + optind, o->nfiles = (size_t)(argc - optind);
        o->policies = "lru";
    } else {
        if (optind >= argc)
            return cli_usage("mrc", "no trace given (expected a file, or - for stdin)");
        o->path = argv[optind++];
        if (optind < argc)
            return cli_usage("mrc", "unexpected argument '%s'", argv[optind]);
    }
    frames_given = o->given.n > 0;
    if (frames_given && o->max_frames)
        return cli_usage("mrc", "--frames and --max-frames are exclusive");
    if (o->shards_rate && o->shards_size)
        return cli_usage("mrc", "--shards and --shards-size are exclusive");
    if (o->parts && !o->shards_rate)
        return cli_usage("mrc", "--shards-part splits a fixed-rate sample (expected --shards RATE)");
    if (o->parts && o->part != MRC_SHARDS_ALL_PARTS && strcmp(o->policies, "lru") != 0)
        return cli_usage("mrc", "--shards-part I/N writes the partial result of lru's SHARDS "
                                "(expected -p lru)");
    if (split_policies(o->policies, &o->spec, &o->nspec) || o->nspec == 0)
        return cli_usage("mrc", "no policy in -p '%s'", o->policies);
    /* Policy names and parameters are checked before the trace is read. */
    for (size_t i = 0; i < o->nspec; i++) {
        sim_job_t job = {o->spec[i], 1};
        sim_config_t cfg = sim_config_default();
        if (sim_config_check(&cfg, &job, 1, &d))
            return cli_usage("mrc", "%s", d.msg);
    }
    o->topts.page_bits = o->page_bits;
    return 0;
}

static int is_stack(const char *spec) { return strcmp(spec, "lru") == 0 || strcmp(spec, "opt") == 0; }

/* One streamed pass for lru, opt and SHARDS, which also counts the pages:
 * 0 or a CLI_* status. */
static int stream(const mrc_cli_t *o, mrc_data_t *m, progress_t *pg)
{
    mrc_stream_opts_t so = {0};
    trace_opts_t topts = o->topts;
    mrc_stream_t *s = NULL;
    trace_t *t = NULL;
    diag_t d;
    int rc;
    diag_clear(&d);
    for (size_t i = 0; i < o->nspec; i++) {
        if (strcmp(o->spec[i], "opt") == 0)
            so.opt = 1;
        else if (strcmp(o->spec[i], "lru") == 0 && (o->shards_rate || o->shards_size))
            so.shards = 1;
        else if (strcmp(o->spec[i], "lru") == 0)
            so.lru = 1;
    }
    so.so = (mrc_shards_opts_t){.rate = o->shards_rate, .max_keys = o->shards_size, .seed = o->seed,
                                .parts = o->parts, .part = o->part};
    so.distinct = 1; /* the header and the default sizes need the count */
    topts.progress = progress_cb;
    topts.progress_ctx = pg;
    rc = trace_open(&t, o->path, &topts, &d);
    if (rc == 0)
        rc = mrc_stream_new(&s, &so, &d);
    if (rc == 0)
        rc = mrc_stream_trace(s, t, o->page_bits, &d);
    if (rc == 0)
        rc = mrc_stream_finish(s, &m->sr, &d);
    mrc_stream_free(s);
    trace_close(t);
    if (rc)
        return cli_diag(&d);
    m->streamed = 1;
    m->refs = m->sr.refs;
    m->distinct = m->sr.distinct;
    return 0;
}

/* Read the trace into memory for the simulated policies, count its pages
 * unless stream() did: 0 or a CLI_* status. */
static int load(const mrc_cli_t *o, mrc_data_t *m, progress_t *pg)
{
    diag_t d;
    int64_t distinct;
    trace_opts_t topts = o->topts;
    diag_clear(&d);
    topts.progress = progress_cb;
    topts.progress_ctx = pg;
    if (trace_load_pages(o->path, &topts, o->page_bits, &m->tp, &d) || mrc_keys(&m->tp, &m->key, &d))
        return cli_diag(&d);
    m->refs = m->tp.n;
    if (m->streamed || m->tp.n == 0)
        return 0;
    if ((distinct = mrc_distinct(m->key, m->tp.n)) < 0) {
        cli_error("out of memory counting pages");
        return CLI_ERR;
    }
    m->distinct = (uint64_t)distinct;
    return 0;
}

/* --merge: the partial results joined into m->sr.shards, and the trace's
 * name, size and pages as the parts say: 0 or a CLI_* status. */
static int merge_parts(const mrc_cli_t *o, mrc_data_t *m)
{
    mrc_shards_part_t *p = calloc(o->nfiles, sizeof *p);
    diag_t d;
    int rc = 0;
    diag_clear(&d);
    if (!p) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (size_t i = 0; rc == 0 && i < o->nfiles; i++) {
        char *text = NULL;
        size_t len = 0;
        rc = env_read_text(o->files[i], &text, &len, &d);
        if (rc == 0)
            rc = mrc_shards_part_parse(o->files[i], text, len, &p[i], &d);
        free(text);
    }
    if (rc == 0 && (rc = mrc_shards_merge(p, o->nfiles, &m->sr.shards, &d)) == 0) {
        m->streamed = 1;
        m->refs = p[0].refs, m->distinct = p[0].distinct;
        m->page_bits = (unsigned)__builtin_ctzll(p[0].page_size);
        m->merged_trace = p[0].trace;
        p[0].trace = NULL;
        m->path = m->merged_trace;
    }
    for (size_t i = 0; i < o->nfiles; i++)
        mrc_shards_part_free(&p[i]);
    free(p);
    return rc ? cli_diag(&d) : 0;
}

/* --shards-part I/N: write the partial result. */
static int write_part(const mrc_cli_t *o, mrc_data_t *m)
{
    env_out_t out;
    diag_t d;
    diag_clear(&d);
    if (!(m->sr.part.trace = strdup(o->path))) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    m->sr.part.page_size = (uint64_t)1 << o->page_bits;
    if (env_out_open(&out, o->out_path, &d))
        return cli_diag(&d);
    mrc_shards_part_write(out.fp, &m->sr.part);
    return env_out_commit(&out, &d) ? cli_diag(&d) : CLI_SERVED;
}

/* stream() if any policy is a stack one, load() if any is simulated. */
static int read_trace(const mrc_cli_t *o, mrc_data_t *m, progress_t *pg)
{
    int stack = 0, sim = 0, rc = 0;
    m->path = o->path, m->page_bits = o->page_bits;
    for (size_t i = 0; i < o->nspec; i++)
        *(is_stack(o->spec[i]) ? &stack : &sim) = 1;
    if (o->merge)
        rc = merge_parts(o, m);
    else if (stack)
        rc = stream(o, m, pg);
    if (rc == 0 && o->parts && o->part != MRC_SHARDS_ALL_PARTS)
        return write_part(o, m);
    if (rc == 0 && sim)
        rc = load(o, m, pg);
    if (rc)
        return rc;
    if (m->refs == 0) {
        cli_error("%s: no references (expected a trace with at least one)", m->path);
        return CLI_ERR;
    }
    if (!(m->cv = calloc(o->nspec, sizeof *m->cv))) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    return 0;
}

/* The curve of spec: exact (stack pass or simulations) or SHARDS. */
static int curve(const mrc_cli_t *o, const mrc_data_t *m, const char *spec, curve_t *cu)
{
    uint64_t max = o->max_frames ? o->max_frames : m->distinct ? m->distinct : 1;
    int stack = is_stack(spec);
    int shards = strcmp(spec, "lru") == 0 && (o->shards_rate || o->shards_size || o->merge);
    sizes_t s = {0};
    diag_t d;
    diag_clear(&d);
    if (o->given.n) {
        if (vl_vec_reserve(&s, o->given.n) == 0)
            memcpy(s.v, o->given.v, o->given.n * sizeof *s.v), s.n = o->given.n;
    } else {
        uint64_t k = o->points != UINT64_MAX ? o->points : stack ? (max <= 2000 ? 0 : 200) : 32;
        if (grid(max, k, &s))
            vl_vec_free(&s);
    }
    cu->frames = s.v, cu->k = s.n, cu->exact = !shards;
    if (!s.v || !(cu->faults = malloc(s.n * sizeof *cu->faults)) ||
        !(cu->anom = malloc(s.n * sizeof *cu->anom)) ||
        !(cu->policy = strdup(shards ? "lru-shards" : spec))) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    if (shards) {
        const mrc_approx_t *a = &m->sr.shards;
        if (a->sampled == 0) {
            cli_error("%s: SHARDS sampled no page at rate %g (expected a higher --shards rate "
                      "for a trace of %ju pages)", m->path, a->rate, (uintmax_t)m->distinct);
            return CLI_ERR;
        }
        for (size_t j = 0; j < cu->k; j++)
            cu->faults[j] = (uint64_t)llround(mrc_approx_miss_ratio(a, cu->frames[j]) * (double)m->refs);
    } else if (stack) {
        const mrc_hist_t *h = spec[0] == 'l' ? &m->sr.lru : &m->sr.opt;
        for (size_t j = 0; j < cu->k; j++)
            cu->faults[j] = mrc_hist_faults(h, cu->frames[j]);
    } else if (mrc_policy_faults(spec, m->key, &m->tp, o->page_bits, cu->frames, cu->k, cu->faults, &d)) {
        return cli_diag(&d);
    }
    cu->nanom = mrc_anomalies(cu->frames, cu->faults, cu->k, cu->anom);
    return 0;
}

static void print_csv(FILE *f, const mrc_data_t *m)
{
    double n = (double)m->refs;
    fprintf(f, "policy,frames,page_faults,miss_ratio\n");
    for (size_t c = 0; c < m->nc; c++) {
        const curve_t *cu = &m->cv[c];
        for (size_t i = 0; i < cu->k; i++) {
            /* RFC 4180: a spec with parameters ("aging:bits=4,period=10")
             * is quoted, as vmlab sim --output csv does. */
            out_csv_field(f, cu->policy);
            fprintf(f, ",%ju,%ju,%.6f\n", (uintmax_t)cu->frames[i], (uintmax_t)cu->faults[i],
                    (double)cu->faults[i] / n);
        }
    }
}

static void print_json(FILE *f, const mrc_cli_t *o, const mrc_data_t *m)
{
    double n = (double)m->refs;
    out_json_t j;
    out_json_init(&j, f, OUT_JSON_LINES);
    out_json_obj(&j, NULL);
    out_json_str(&j, "trace", m->path);
    out_json_u64(&j, "references", m->refs);
    out_json_u64(&j, "distinct_pages", m->distinct);
    out_json_u64(&j, "page_size", (uint64_t)1 << m->page_bits);
    out_json_arr(&j, "curves");
    for (size_t c = 0; c < m->nc; c++) {
        const curve_t *cu = &m->cv[c];
        out_json_obj(&j, NULL);
        out_json_str(&j, "policy", cu->policy);
        out_json_bool(&j, "exact", cu->exact);
        out_json_arr(&j, "points");
        for (size_t i = 0; i < cu->k; i++) {
            out_json_obj(&j, NULL);
            out_json_u64(&j, "frames", cu->frames[i]);
            out_json_u64(&j, "page_faults", cu->faults[i]);
            out_json_fixed(&j, "miss_ratio", (double)cu->faults[i] / n, 6);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_arr(&j, "anomalies");
        for (size_t a = 0; a < cu->nanom; a++) {
            size_t i = cu->anom[a];
            out_json_obj(&j, NULL);
            out_json_u64(&j, "frames", cu->frames[i]);
            out_json_u64(&j, "page_faults", cu->faults[i]);
            out_json_u64(&j, "fewer_frames", cu->frames[i - 1]);
            out_json_u64(&j, "fewer_page_faults", cu->faults[i - 1]);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_end(&j);
    out_json_done(&j);
}

/* Text: one row per size in any curve, one column per policy. */
static void print_text(FILE *f, const mrc_cli_t *o, const mrc_data_t *m)
{
    double n = (double)m->refs;
    const curve_t *cv = m->cv;
    size_t nc = m->nc, *pos = calloc(nc, sizeof *pos);
    fprintf(f, "%s: %ju references, %ju distinct pages of %ju bytes\n\n", m->path, (uintmax_t)m->refs,
            (uintmax_t)m->distinct, (uintmax_t)1 << m->page_bits);
    if (!pos)
        return;
    fprintf(f, "%10s", "frames");
    for (size_t c = 0; c < nc; c++)
        fprintf(f, "  %16.16s", cv[c].policy);
    fprintf(f, "\n");
    for (;;) {
        uint64_t fr = UINT64_MAX;
        for (size_t c = 0; c < nc; c++)
            if (pos[c] < cv[c].k && cv[c].frames[pos[c]] < fr)
                fr = cv[c].frames[pos[c]];
        if (fr == UINT64_MAX)
            break;
        fprintf(f, "%10ju", (uintmax_t)fr);
        for (size_t c = 0; c < nc; c++) {
            if (pos[c] < cv[c].k && cv[c].frames[pos[c]] == fr) {
                fprintf(f, "  %8ju %6.2f%%", (uintmax_t)cv[c].faults[pos[c]],
                        100.0 * (double)cv[c].faults[pos[c]] / n);
                pos[c]++;
            } else {
                fprintf(f, "  %16s", "-");
            }
        }
        fprintf(f, "\n");
    }
    free(pos);
    fprintf(f, "\n(page faults and miss ratio per policy%s)\n",
            nc && !cv[nc - 1].exact ? "; lru-shards is a SHARDS estimate" : "");
    for (size_t c = 0; c < nc; c++) {
        if (!cv[c].nanom) {
            fprintf(f, "%s: no Belady's anomaly at these sizes\n", cv[c].policy);
            continue;
        }
        fprintf(f, "%s: Belady's anomaly, more frames and more faults at", cv[c].policy);
        for (size_t a = 0; a < cv[c].nanom; a++) {
            size_t i = cv[c].anom[a];
            fprintf(f, "%s %ju frames (%ju faults; %ju at %ju)", a ? "," : "",
                    (uintmax_t)cv[c].frames[i], (uintmax_t)cv[c].faults[i],
                    (uintmax_t)cv[c].faults[i - 1], (uintmax_t)cv[c].frames[i - 1]);
        }
        fprintf(f, "\n");
    }
}

static int print(const mrc_cli_t *o, const mrc_data_t *m)
{
    env_out_t out;
    diag_t d;
    diag_clear(&d);
    if (env_out_open(&out, o->out_path, &d))
        return cli_diag(&d);
    if (o->output == OUT_CSV)
        print_csv(out.fp, m);
    else if (o->output == OUT_JSON)
        print_json(out.fp, o, m);
    else
        print_text(out.fp, o, m);
    return env_out_commit(&out, &d) ? cli_diag(&d) : CLI_OK;
}

int cmd_mrc(int argc, char **argv)
{
    mrc_cli_t o;
    mrc_data_t m = {0};
    progress_t pg;
    char unit[48], name[4096];
    int rc = parse(&o, argc, argv);
    progress_start(&pg, NULL, stderr, rc == 0 && o.progress, "mrc", rc == 0 ? o.path : NULL,
                   "references read");
    if (rc == 0)
        rc = read_trace(&o, &m, &pg);
    /* The curves one after the other: which one, and how many are done. */
    snprintf(unit, sizeof unit, "of %zu curves done", o.nspec);
    progress_set_unit(&pg, unit);
    for (size_t i = 0; rc == 0 && i < o.nspec; i++) {
        snprintf(name, sizeof name, "%s: %s", m.path, o.spec[i]);
        progress_set_name(&pg, name);
        progress_update(&pg, i, o.nspec, i);
        rc = curve(&o, &m, o.spec[i], &m.cv[m.nc++]);
    }
    progress_end(&pg);
    if (rc == 0)
        rc = print(&o, &m);
    for (size_t i = 0; i < m.nc; i++)
        free(m.cv[i].policy), free(m.cv[i].frames), free(m.cv[i].faults), free(m.cv[i].anom);
    free(m.cv);
    for (size_t i = 0; i < o.nspec; i++)
        free(o.spec[i]);
    free(o.spec);
    vl_vec_free(&o.given);
    free(m.key);
    trace_pages_free(&m.tp);
    mrc_stream_result_free(&m.sr);
    free(m.merged_trace);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
