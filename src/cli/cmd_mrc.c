/*
 * cmd_mrc.c - `vmlab mrc`: whole fault curves (page faults for every frame
 * count) of one trace, for several policies, with Belady's anomaly listed.
 *
 * The trace is read once into memory (trace_load_pages); LRU and OPT come
 * from one exact stack-distance pass each, other policies from one
 * simulation per frame count on all cores, SHARDS from a sample.  Everything
 * is computed before the first byte of output, which -o writes atomically.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/mrc.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

static const char mrc_help[] =
    "usage: vmlab mrc [-p lru,opt,fifo,...] [--frames LIST | --max-frames N] [-F FORMAT]\n"
    "                 [--output text|csv|json] [--shards RATE | --shards-size S] TRACE\n"
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
    "  -F, --format F         trace format: osc, rw, ls, lackey, din, pages, vmlab\n"
    "                         (default: detected)\n"
    "      --page-size BYTES  a power of two (default 4096)\n"
    "      --output F         text (default), csv (policy,frames,page_faults,\n"
    "                         miss_ratio) or json\n"
    "  -o, --out FILE         write to FILE (atomically) instead of stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "example: vmlab mrc -p lru,opt,fifo --max-frames 64 --output csv trace.rw\n";


typedef struct curve {
    char *policy;     /* spec as given ("lru", "aging:bits=8"); "lru-shards" */
    int exact;        /* 1: exact; 0: SHARDS estimate */
    size_t k;         /* sizes */
    uint64_t *frames; /* ascending */
    uint64_t *faults; /* at each size */
    size_t *anom;     /* indices i with faults[i] > faults[i - 1] */
    size_t nanom;     /* how many */
} curve_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Append sizes to a growing list. */
typedef struct sizes {
    uint64_t *v;  /* values */
    size_t n, cap; /* count, room */
} sizes_t;

static int sizes_add(sizes_t *s, uint64_t v)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        uint64_t *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        s->v = nv, s->cap = nc;
    }
    s->v[s->n++] = v;
    return 0;
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
            if (sizes_add(s, f))
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
            if (sizes_add(s, f))
                return -ENOMEM;
        return 0;
    }
    for (uint64_t i = 0; i < k / 2 + 1; i++) {
        uint64_t lin = 1 + (max - 1) * i / (k / 2 ? k / 2 : 1);
        uint64_t lg = (uint64_t)llround(exp(log((double)max) * (double)i / (double)(k - k / 2)));
        if (sizes_add(s, lin) || (lg >= 1 && lg <= max && sizes_add(s, lg)))
            return -ENOMEM;
    }
    if (sizes_add(s, max))
        return -ENOMEM;
    sizes_sort(s);
    return 0;
}

/* Split "lru,fifo,aging:bits=8,x=1" into specs: a piece with '=' and no
 * ':' continues the previous policy's parameters. */
static int split_policies(const char *list, char ***out, size_t *n)
{
    char *buf = strdup(list), *save = NULL, *tok, **v = NULL;
    size_t m = 0;
    if (!buf)
        return -ENOMEM;
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (m && strchr(tok, '=') && !strchr(tok, ':')) {
            size_t len = strlen(v[m - 1]) + strlen(tok) + 2;
            char *j = malloc(len);
            if (!j)
                goto nomem;
            snprintf(j, len, "%s,%s", v[m - 1], tok);
            free(v[m - 1]);
            v[m - 1] = j;
            continue;
        }
        {
            char **nv = realloc(v, (m + 1) * sizeof *nv);
            if (!nv)
                goto nomem;
            v = nv;
            if (!(v[m] = strdup(tok)))
                goto nomem;
            m++;
        }
    }
    free(buf);
    *out = v, *n = m;
    return 0;
nomem:
    for (size_t i = 0; i < m; i++)
        free(v[i]);
    free(v);
    free(buf);
    return -ENOMEM;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void print_curves(FILE *f, int output, const char *path, const trace_pages_t *tp,
                         uint64_t distinct, unsigned page_bits, curve_t *cv, size_t nc)
{
    double n = tp->n ? (double)tp->n : 1;
    if (output == OUT_CSV) {
        fprintf(f, "policy,frames,page_faults,miss_ratio\n");
        for (size_t c = 0; c < nc; c++) {
            /* RFC 4180: a spec with parameters ("aging:bits=4,period=10")
             * is quoted, as vmlab sim --output csv does. */
            char q[512];
            const char *name = cv[c].policy;
            if (strpbrk(name, ",\"")) {
                size_t j = 0;
                q[j++] = '"';
                for (const char *s = name; *s && j < sizeof q - 3; s++) {
                    if (*s == '"')
                        q[j++] = '"';
                    q[j++] = *s;
                }
                q[j++] = '"';
                q[j] = '\0';
                name = q;
            }
            for (size_t i = 0; i < cv[c].k; i++)
                fprintf(f, "%s,%ju,%ju,%.6f\n", name, (uintmax_t)cv[c].frames[i],
                        (uintmax_t)cv[c].faults[i], (double)cv[c].faults[i] / n);
        }
        return;
    }
    if (output == OUT_JSON) {
        fprintf(f, "{\"trace\": ");
        json_str(f, path);
        fprintf(f, ", \"references\": %zu, \"distinct_pages\": %ju, \"page_size\": %ju, \"curves\": [",
                tp->n, (uintmax_t)distinct, (uintmax_t)1 << page_bits);
        for (size_t c = 0; c < nc; c++) {
            fprintf(f, "%s\n  {\"policy\": ", c ? "," : "");
            json_str(f, cv[c].policy);
            fprintf(f, ", \"exact\": %s, \"points\": [", cv[c].exact ? "true" : "false");
            for (size_t i = 0; i < cv[c].k; i++)
                fprintf(f, "%s{\"frames\": %ju, \"page_faults\": %ju, \"miss_ratio\": %.6f}",
                        i ? ", " : "", (uintmax_t)cv[c].frames[i], (uintmax_t)cv[c].faults[i],
                        (double)cv[c].faults[i] / n);
            fprintf(f, "],\n   \"anomalies\": [");
            for (size_t a = 0; a < cv[c].nanom; a++) {
                size_t i = cv[c].anom[a];
                fprintf(f, "%s{\"frames\": %ju, \"page_faults\": %ju, \"fewer_frames\": %ju, "
                           "\"fewer_page_faults\": %ju}", a ? ", " : "",
                        (uintmax_t)cv[c].frames[i], (uintmax_t)cv[c].faults[i],
                        (uintmax_t)cv[c].frames[i - 1], (uintmax_t)cv[c].faults[i - 1]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "\n]}\n");
        return;
    }
    /* Text: one row per size in any curve, one column per policy. */
    fprintf(f, "%s: %zu references, %ju distinct pages of %ju bytes\n\n", path, tp->n,
            (uintmax_t)distinct, (uintmax_t)1 << page_bits);
    {
        size_t *pos = calloc(nc, sizeof *pos);
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
    }
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

int cmd_mrc(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, 0, 'p'},  {"frames", required_argument, 0, 'n'},
        {"max-frames", required_argument, 0, 1}, {"points", required_argument, 0, 2},
        {"shards", required_argument, 0, 3},     {"shards-size", required_argument, 0, 4},
        {"seed", required_argument, 0, 5},       {"format", required_argument, 0, 'F'},
        {"page-size", required_argument, 0, 6},  {"output", required_argument, 0, 7},
        {"out", required_argument, 0, 'o'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *policies = "lru,opt", *frames_arg = NULL, *out_path = NULL, *path;
    uint64_t max_frames = 0, points = UINT64_MAX, v, shards_size = 0, seed = 1;
    double shards_rate = 0;
    int output = OUT_TEXT, c, rc = CLI_OK;
    unsigned page_bits = 12;
    trace_opts_t topts = {.format = TRACE_AUTO, .page_bits = 12};
    trace_pages_t tp;
    uint64_t *key = NULL;
    int64_t distinct;
    char **spec = NULL;
    size_t nspec = 0, nc = 0;
    curve_t *cv = NULL;
    sizes_t given = {0};
    env_out_t out;
    diag_t d;

    diag_clear(&d);
    memset(&tp, 0, sizeof tp);
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:n:F:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': policies = optarg; break;
        case 'n': frames_arg = optarg; break;
        case 1:
            if (cli_u64("mrc", "--max-frames", optarg, 1, (uint64_t)1 << 32, &max_frames))
                return CLI_USAGE;
            break;
        case 2:
            if (strcmp(optarg, "all") == 0)
                points = 0;
            else if (cli_u64("mrc", "--points", optarg, 2, 10000000, &points))
                return CLI_USAGE;
            break;
        case 3: {
            char *end;
            shards_rate = strtod(optarg, &end);
            if (end == optarg || *end || !(shards_rate > 0 && shards_rate <= 1))
                return cli_usage("mrc", "--shards %s is not a rate in (0, 1]", optarg);
            break;
        }
        case 4:
            if (cli_u64("mrc", "--shards-size", optarg, 1, (uint64_t)1 << 32, &shards_size))
                return CLI_USAGE;
            break;
        case 5:
            if (cli_u64("mrc", "--seed", optarg, 0, UINT64_MAX, &seed))
                return CLI_USAGE;
            break;
        case 'F': {
            int f = trace_format_parse(optarg);
            if (f < 0)
                return cli_usage("mrc", "unknown format '%s' (expected osc, rw, ls, lackey, din, "
                                        "pages or vmlab)", optarg);
            topts.format = (trace_format_t)f;
            break;
        }
        case 6:
            if (cli_u64("mrc", "--page-size", optarg, 1, (uint64_t)1 << 30, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage("mrc", "page size %s is not a power of two", optarg);
            page_bits = (unsigned)__builtin_ctzll(v);
            break;
        case 7:
            if (strcmp(optarg, "text") == 0)
                output = OUT_TEXT;
            else if (strcmp(optarg, "csv") == 0)
                output = OUT_CSV;
            else if (strcmp(optarg, "json") == 0)
                output = OUT_JSON;
            else
                return cli_usage("mrc", "unknown --output '%s' (expected text, csv or json)", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(mrc_help, stdout); return CLI_OK;
        default: return cli_usage("mrc", "bad option");
        }
    }
    if (optind >= argc)
        return cli_usage("mrc", "no trace given (expected a file, or - for stdin)");
    path = argv[optind++];
    if (optind < argc)
        return cli_usage("mrc", "unexpected argument '%s'", argv[optind]);
    if (frames_arg && max_frames)
        return cli_usage("mrc", "--frames and --max-frames are exclusive");
    if (shards_rate && shards_size)
        return cli_usage("mrc", "--shards and --shards-size are exclusive");
    if (frames_arg && (rc = parse_frames(frames_arg, &given)))
        return rc;
    if (split_policies(policies, &spec, &nspec) || nspec == 0) {
        rc = cli_usage("mrc", "no policy in -p '%s'", policies);
        goto done;
    }
    /* Policy names and parameters are checked before the trace is read. */
    for (size_t i = 0; i < nspec; i++) {
        sim_job_t job = {spec[i], 1};
        sim_config_t cfg = sim_config_default();
        if (sim_config_check(&cfg, &job, 1, &d)) {
            rc = cli_usage("mrc", "%s", d.msg);
            goto done;
        }
    }
    topts.page_bits = page_bits;
    if (trace_load_pages(path, &topts, page_bits, &tp, &d) || mrc_keys(&tp, &key, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    if (tp.n == 0) {
        cli_error("%s: no references (expected a trace with at least one)", path);
        rc = CLI_ERR;
        goto done;
    }
    if ((distinct = mrc_distinct(key, tp.n)) < 0) {
        cli_error("out of memory counting pages");
        rc = CLI_ERR;
        goto done;
    }
    if (!max_frames)
        max_frames = distinct ? (uint64_t)distinct : 1;
    if (!(cv = calloc(nspec, sizeof *cv))) {
        cli_error("out of memory");
        rc = CLI_ERR;
        goto done;
    }
    for (size_t i = 0; i < nspec; i++, nc++) {
        curve_t *cu = &cv[nc];
        int stack = strcmp(spec[i], "lru") == 0 || strcmp(spec[i], "opt") == 0;
        int shards = strcmp(spec[i], "lru") == 0 && (shards_rate || shards_size);
        sizes_t s = {0};
        if (given.n) {
            s.v = malloc(given.n * sizeof *s.v);
            if (s.v)
                memcpy(s.v, given.v, given.n * sizeof *s.v), s.n = given.n;
        } else {
            uint64_t k = points != UINT64_MAX ? points : stack ? (max_frames <= 2000 ? 0 : 200) : 32;
            if (grid(max_frames, k, &s))
                s.n = 0, free(s.v), s.v = NULL;
        }
        if (!s.v || !(cu->faults = malloc(s.n * sizeof *cu->faults)) ||
            !(cu->anom = malloc(s.n * sizeof *cu->anom))) {
            free(s.v);
            cli_error("out of memory");
            rc = CLI_ERR;
            goto done;
        }
        cu->frames = s.v, cu->k = s.n, cu->exact = !shards;
        cu->policy = strdup(shards ? "lru-shards" : spec[i]);
        if (!cu->policy) {
            nc++;
            cli_error("out of memory");
            rc = CLI_ERR;
            goto done;
        }
        if (shards) {
            mrc_shards_opts_t so = {shards_rate, shards_size, seed};
            mrc_approx_t a;
            if (mrc_shards(key, tp.n, &so, &a, &d)) {
                nc++;
                rc = cli_diag(&d);
                goto done;
            }
            if (a.sampled == 0) {
                mrc_approx_free(&a);
                nc++;
                cli_error("%s: SHARDS sampled no page at rate %g (expected a higher --shards rate "
                          "for a trace of %ju pages)", path, shards_rate, (uintmax_t)distinct);
                rc = CLI_ERR;
                goto done;
            }
            for (size_t j = 0; j < cu->k; j++)
                cu->faults[j] = (uint64_t)llround(mrc_approx_miss_ratio(&a, cu->frames[j]) * (double)tp.n);
            mrc_approx_free(&a);
        } else if (mrc_policy_faults(spec[i], key, &tp, page_bits, cu->frames, cu->k, cu->faults, &d)) {
            nc++;
            rc = cli_diag(&d);
            goto done;
        }
        cu->nanom = mrc_anomalies(cu->frames, cu->faults, cu->k, cu->anom);
    }
    if (env_out_open(&out, out_path, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    print_curves(out.fp, output, path, &tp, (uint64_t)distinct, page_bits, cv, nc);
    if (env_out_commit(&out, &d))
        rc = cli_diag(&d);
done:
    for (size_t i = 0; i < nc; i++)
        free(cv[i].policy), free(cv[i].frames), free(cv[i].faults), free(cv[i].anom);
    free(cv);
    for (size_t i = 0; i < nspec; i++)
        free(spec[i]);
    free(spec);
    free(given.v);
    free(key);
    trace_pages_free(&tp);
    return rc;
}
