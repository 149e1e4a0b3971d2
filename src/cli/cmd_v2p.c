/*
 * cmd_v2p.c - `vmlab v2p PID ADDR...`, `vmlab v2p PID --range A-B`:
 * virtual to physical through /proc/PID/pagemap, and the frame's flags from
 * /proc/kpageflags and its map count from /proc/kpagecount when readable.
 *
 * Without CAP_SYS_ADMIN the kernel reports every PFN as 0; that is said in
 * words, never printed as frame 0.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "vmlab/inspect.h"
#include "vmlab/parse.h"

static const char v2p_help[] =
    "usage: vmlab v2p PID|self ADDR... [--output text|json]\n"
    "       vmlab v2p PID|self --range START-END [--output text|json]\n"
    "\n"
    "Translate virtual addresses of process PID to physical ones with\n"
    "/proc/PID/pagemap: whether the page is present or swapped (type, offset),\n"
    "a file page or shared anonymous, exclusively mapped, soft-dirty,\n"
    "userfaultfd write-protected; its PFN and physical address; and, readable by\n"
    "root, the frame's flags (/proc/kpageflags) and map count (/proc/kpagecount).\n"
    "Addresses are hex (0x optional); --range covers every page in [START, END).\n"
    "Without CAP_SYS_ADMIN the kernel hides PFNs (reports them as 0).\n"
    "\n"
    "      --range A-B        every page from A up to B (at most 65536 pages)\n"
    "      --output FORMAT    text (default) or json: an array of\n"
    "                         {vaddr, present, pfn, paddr, flags, ...}\n"
    "  -h, --help             this help\n";

#define V2P_MAX_PAGES 65536

static int parse_addr(const char *s, size_t len, uint64_t *v)
{
    return len == 0 ? -1 : parse_u64_hex(s, len, v);
}

static void flag_words(const inspect_page_t *p, char *buf, size_t n, int json)
{
    const char *w[6];
    int k = 0;
    size_t len = 0;
    if (p->swapped)
        w[k++] = "swapped";
    if (p->file_shared)
        w[k++] = "file-or-shared";
    if (p->exclusive)
        w[k++] = "exclusive";
    if (p->soft_dirty)
        w[k++] = "soft-dirty";
    if (p->uffd_wp)
        w[k++] = "uffd-wp";
    buf[0] = '\0';
    for (int i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, json ? "%s\"%s\"" : "%s%s",
                                i ? (json ? ", " : " ") : "", w[i]);
}

int cmd_v2p(int argc, char **argv)
{
    static const struct option opts[] = {
        {"range", required_argument, 0, 1},
        {"output", required_argument, 0, 2},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const inspect_src_t *src = inspect_src_proc();
    const char *range = NULL;
    uint64_t *addrs = NULL, ps = inspect_page_size();
    size_t naddr = 0;
    inspect_maps_t mm;
    inspect_page_t *pg = NULL;
    diag_t d;
    int c, pid, json = 0, rc = CLI_OK, cap = inspect_have_cap_sys_admin();

    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 1: range = optarg; break;
        case 2:
            if (strcmp(optarg, "json") == 0)
                json = 1;
            else if (strcmp(optarg, "text") == 0)
                json = 0;
            else
                return cli_usage("v2p", "unknown --output '%s' (expected text or json)", optarg);
            break;
        case 'h': fputs(v2p_help, stdout); return CLI_OK;
        default: return cli_usage("v2p", "bad option");
        }
    }
    /* Options may follow the PID and addresses too. */
    {
        int nonopt = 0;
        for (int i = optind; i < argc; i++) {
            if (strcmp(argv[i], "--range") == 0 && i + 1 < argc) {
                range = argv[++i];
            } else if (strncmp(argv[i], "--range=", 8) == 0) {
                range = argv[i] + 8;
            } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
                if (strcmp(argv[i + 1], "json") && strcmp(argv[i + 1], "text"))
                    return cli_usage("v2p", "unknown --output '%s' (expected text or json)",
                                     argv[i + 1]);
                json = strcmp(argv[++i], "json") == 0;
            } else if (strncmp(argv[i], "--output=", 9) == 0) {
                json = strcmp(argv[i] + 9, "json") == 0;
            } else {
                argv[optind + nonopt++] = argv[i];
            }
        }
        argc = optind + nonopt;
    }
    if (optind >= argc)
        return cli_usage("v2p", "no PID given (expected PID ADDR... or PID --range A-B)");
    if (icli_pid("v2p", argv[optind++], &pid))
        return CLI_USAGE;
    if (optind == argc && !range)
        return cli_usage("v2p", "no address given (expected ADDR... or --range A-B)");
    if (optind < argc && range)
        return cli_usage("v2p", "give addresses or --range, not both");

    if (range) {
        const char *dash = strchr(range, '-');
        uint64_t a, b, first, npages;
        if (!dash || parse_addr(range, (size_t)(dash - range), &a) ||
            parse_addr(dash + 1, strlen(dash + 1), &b)) {
            cli_error("v2p: malformed range '%s' (expected START-END in hex, e.g. 0x7f00-0x8f00)",
                      range);
            return CLI_ERR;
        }
        if (a >= b) {
            cli_error("v2p: empty range '%s' (expected START < END)", range);
            return CLI_ERR;
        }
        first = a & ~(ps - 1);
        npages = (b - first + ps - 1) / ps;
        if (npages > V2P_MAX_PAGES) {
            cli_error("v2p: range '%s' covers %ju pages (expected at most %d)", range,
                      (uintmax_t)npages, V2P_MAX_PAGES);
            return CLI_ERR;
        }
        addrs = malloc(npages * sizeof *addrs);
        if (!addrs) {
            cli_error("v2p: out of memory");
            return CLI_ERR;
        }
        for (uint64_t i = 0; i < npages; i++)
            addrs[naddr++] = first + i * ps;
    } else {
        addrs = malloc((size_t)(argc - optind) * sizeof *addrs);
        if (!addrs) {
            cli_error("v2p: out of memory");
            return CLI_ERR;
        }
        for (int i = optind; i < argc; i++) {
            if (parse_addr(argv[i], strlen(argv[i]), &addrs[naddr])) {
                cli_error("v2p: '%s' is not an address (expected hex, e.g. 0x7ffc1234)", argv[i]);
                free(addrs);
                return CLI_ERR;
            }
            naddr++;
        }
    }

    if (inspect_maps_load(src, pid, "maps", &mm, &d)) {
        free(addrs);
        return cli_diag(&d);
    }
    inspect_classify_src(&mm, src, pid);
    /* Every address must be mapped; in a range, the start. */
    for (size_t i = 0; i < (range ? 1 : naddr); i++) {
        if (!inspect_maps_find(&mm, addrs[i])) {
            cli_error("v2p: address %#jx is not mapped in process %d (expected an address inside "
                      "one of its mappings; see 'vmlab maps %d')",
                      (uintmax_t)addrs[i], pid ? pid : (int)getpid(), pid ? pid : (int)getpid());
            rc = CLI_ERR;
            goto done;
        }
    }
    pg = calloc(naddr, sizeof *pg);
    if (!pg) {
        cli_error("v2p: out of memory");
        rc = CLI_ERR;
        goto done;
    }
    if (range) {
        if (inspect_pagemap_read(src, pid, addrs[0], naddr, 1, pg, &d)) {
            rc = cli_diag(&d);
            goto done;
        }
    } else {
        for (size_t i = 0; i < naddr; i++) {
            if (inspect_pagemap_read(src, pid, addrs[i] & ~(ps - 1), 1, 1, &pg[i], &d)) {
                rc = cli_diag(&d);
                goto done;
            }
        }
    }

    if (json)
        printf("[");
    else
        printf("pid %d, %zu page(s); %s\n", pid ? pid : (int)getpid(), naddr,
               cap ? "PFNs visible (CAP_SYS_ADMIN)"
                   : "PFNs hidden: without CAP_SYS_ADMIN the kernel reports every PFN as 0 (run as "
                     "root to see frames)");
    for (size_t i = 0; i < naddr; i++) {
        const inspect_page_t *p = &pg[i];
        const inspect_map_t *m = inspect_maps_find(&mm, addrs[i]);
        uint64_t off = addrs[i] & (ps - 1), paddr = p->pfn * ps + off;
        int pfn_ok = p->present && !p->pfn_hidden;
        char flags[128], kf[512] = "", kind[32];
        if (json) {
            flag_words(p, flags, sizeof flags, 1);
            printf("%s\n {\"vaddr\": \"%#jx\", \"mapped\": %s, \"present\": %s, ", i ? "," : "",
                   (uintmax_t)addrs[i], m ? "true" : "false", p->present ? "true" : "false");
            if (pfn_ok)
                printf("\"pfn\": %ju, \"paddr\": \"%#jx\", ", (uintmax_t)p->pfn, (uintmax_t)paddr);
            else
                printf("\"pfn\": null, \"paddr\": null, ");
            printf("\"pfn_hidden\": %s, \"flags\": [%s]", p->pfn_hidden ? "true" : "false", flags);
            if (p->swapped)
                printf(", \"swap\": {\"type\": %u, \"offset\": %ju}", p->swap_type,
                       (uintmax_t)p->swap_offset);
            if (p->have_kflags) {
                inspect_kpf_format(p->kflags, "\", \"", kf, sizeof kf);
                printf(", \"kpageflags\": [%s%s%s]", kf[0] ? "\"" : "", kf, kf[0] ? "\"" : "");
            }
            if (p->have_count)
                printf(", \"kpagecount\": %ju", (uintmax_t)p->count);
            if (m) {
                printf(", \"kind\": \"%s\", \"mapping\": ", inspect_kind_name(m->kind));
                icli_json_str(stdout, m->path);
            }
            printf("}");
            continue;
        }
        flag_words(p, flags, sizeof flags, 0);
        printf("%#jx", (uintmax_t)addrs[i]);
        if (!m) {
            printf(": not mapped\n");
            continue;
        }
        if (p->present && p->pfn_hidden)
            printf(": present, PFN hidden (needs CAP_SYS_ADMIN)");
        else if (p->present)
            printf(": present, PFN %#jx, physical %#jx", (uintmax_t)p->pfn, (uintmax_t)paddr);
        else if (p->swapped)
            printf(": swapped out, swap type %u offset %#jx", p->swap_type,
                   (uintmax_t)p->swap_offset);
        else
            printf(": not present (never touched, or reclaimed)");
        if (flags[0])
            printf("; %s", flags);
        if (p->have_count)
            printf("; mapped %ju time(s)", (uintmax_t)p->count);
        if (p->have_kflags) {
            inspect_kpf_format(p->kflags, " ", kf, sizeof kf);
            printf("; kpageflags: %s", kf[0] ? kf : "none");
        }
        if (m->path[0] == '/')
            printf("  (%s of %s%s)\n", icli_kind(m, kind, sizeof kind), m->path,
                   m->deleted ? ", deleted" : "");
        else if (m->path[0] == '[' && m->kind != INSPECT_K_ANON)
            printf("  (%s)\n", m->path);
        else
            printf("  (%s%s%s)\n", icli_kind(m, kind, sizeof kind), m->path[0] ? " " : "", m->path);
    }
    if (json)
        printf("\n]\n");
done:
    free(pg);
    free(addrs);
    inspect_maps_free(&mm);
    return rc;
}
