/* SPDX-License-Identifier: MIT */
/*
 * cmd_maps.c - `vmlab maps [PID...]`: processes' mappings from
 * /proc/PID/smaps.  The default view is pmap -x's (address, size, RSS,
 * dirty, mode, mapping) plus a kind column, a block per process; --wide is
 * the table with pmap -X's columns (plus the four Shared/Private Clean/Dirty
 * ones and AnonHugePages), a kind column and totals; --explain narrates each
 * column and each row; --output json (an array of one object per process,
 * whatever the number of PIDs) or csv (a row per mapping, JSON's mapping keys).
 *
 * The totals are plain sums of the kernel's per-mapping kB figures, which is
 * what pmap -X prints, so the two agree exactly on a process that is not
 * changing (tests/test_inspect_cli.sh checks every column).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "vmlab/env.h"
#include "vmlab/inspect.h"

static const char maps_help[] =
    "usage: vmlab maps [PID|self]... [--wide] [--explain] [--output text|json|csv]\n"
    "\n"
    "The mappings of processes (default: vmlab itself) read from /proc/PID/smaps.\n"
    "As pmap -x: per process a line 'PID:   command', then a row per mapping:\n"
    "address, size, resident and dirty kB, permissions, what the mapping is\n"
    "(text, rodata, relro, data, bss, heap, stack, vdso, vvar, vsyscall,\n"
    "anonymous, file, guard; 'lib' for a shared library's) and its file's name,\n"
    "then the totals.\n"
    "\n"
    "  -w, --wide             every column: file offset, device, inode and each of\n"
    "                         the kernel's per-mapping figures in kB (the columns\n"
    "                         of pmap -X, and Shared/Private Clean/Dirty), full paths\n"
    "      --explain          the wide table, then what each column means and what\n"
    "                         each row is, including why one file is mapped several\n"
    "                         times\n"
    "      --output FORMAT    text (default; also called table), json or csv.\n"
    "                         json: an array with one {\"pid\", \"mappings\": [...],\n"
    "                         \"totals\": {\"size_kb\", \"rss_kb\", ...}} per process\n"
    "                         (one PID or several); csv: a row per mapping, a pid column\n"
    "                         and the mapping keys of json\n"
    "  -h, --help             this help\n"
    "\n"
    "Reading another user's process needs root (ptrace read access).  A process\n"
    "that cannot be read is reported and skipped; the exit status is then 1.\n";

/* Columns shown: every numeric smaps field but the page sizes, which
 * describe the mapping rather than measure it. */
static int shown(const inspect_maps_t *mm, int f)
{
    return strcmp(mm->field[f], "KernelPageSize") != 0 && strcmp(mm->field[f], "MMUPageSize") != 0 &&
           strcmp(mm->field[f], "ProtectionKey") != 0;
}

/* A smaps field's JSON key: lower case, "_kb" when in kB ("rss_kb"). */
static const char *json_key(const inspect_maps_t *mm, int i, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = mm->field[i]; *p && k + 4 < n; p++)
        buf[k++] = (char)tolower((unsigned char)*p);
    snprintf(buf + k, n - k, "%s", mm->field_kb[i] ? "_kb" : "");
    return buf;
}

static void totals(const inspect_maps_t *mm, uint64_t *t)
{
    memset(t, 0, sizeof(uint64_t) * INSPECT_MAX_FIELDS);
    for (size_t i = 0; i < mm->n; i++)
        for (int f = 0; f < mm->nfields; f++)
            t[f] += mm->m[i].val[f];
}

static void print_json(out_json_t *jp, const inspect_maps_t *mm, int pid)
{
    uint64_t t[INSPECT_MAX_FIELDS];
    char dev[16], key[40];
    out_json_obj(jp, NULL);
    out_json_i64(jp, "pid", pid ? pid : (int)getpid());
    out_json_arr(jp, "mappings");
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        snprintf(dev, sizeof dev, "%02x:%02x", m->dev_major, m->dev_minor);
        out_json_obj(jp, NULL);
        out_json_hex(jp, "start", m->start);
        out_json_hex(jp, "end", m->end);
        out_json_str(jp, "perms", m->perms);
        out_json_u64(jp, "offset", m->offset);
        out_json_str(jp, "device", dev);
        out_json_u64(jp, "inode", m->inode);
        out_json_str(jp, "path", m->path);
        out_json_bool(jp, "deleted", m->deleted);
        out_json_str(jp, "kind", inspect_kind_name(m->kind));
        out_json_bool(jp, "library", m->library);
        for (int f = 0; f < mm->nfields; f++)
            if (m->have >> f & 1)
                out_json_u64(jp, json_key(mm, f, key, sizeof key), m->val[f]);
        if (m->vmflags[0])
            out_json_str(jp, "vmflags", m->vmflags);
        out_json_end(jp);
    }
    out_json_end(jp);
    totals(mm, t);
    out_json_obj(jp, "totals");
    out_json_u64(jp, "mappings", mm->n);
    for (int f = 0; f < mm->nfields; f++)
        if (shown(mm, f))
            out_json_u64(jp, json_key(mm, f, key, sizeof key), t[f]);
    out_json_end(jp);
    out_json_end(jp);
}

/* CSV: JSON's mapping keys, one row per mapping, a pid column first.
 * The header comes from the first process; later ones (the same kernel)
 * are looked up by field name. */
static void print_csv_header(const inspect_maps_t *mm)
{
    char key[40];
    printf("pid,start,end,perms,offset,device,inode,path,deleted,kind,library");
    for (int f = 0; f < mm->nfields; f++)
        printf(",%s", json_key(mm, f, key, sizeof key));
    printf(",vmflags\n");
}

static void print_csv(const inspect_maps_t *head, const inspect_maps_t *mm, int pid)
{
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        printf("%d,0x%jx,0x%jx,%s,%ju,%02x:%02x,%ju,", pid ? pid : (int)getpid(),
               (uintmax_t)m->start, (uintmax_t)m->end, m->perms, (uintmax_t)m->offset,
               m->dev_major, m->dev_minor, (uintmax_t)m->inode);
        out_csv_field(stdout, m->path);
        printf(",%s,%s,%s", m->deleted ? "true" : "false", inspect_kind_name(m->kind),
               m->library ? "true" : "false");
        for (int f = 0; f < head->nfields; f++) {
            int g = inspect_maps_field(mm, head->field[f]);
            if (g >= 0 && (m->have >> g & 1))
                printf(",%ju", (uintmax_t)m->val[g]);
            else
                printf(",");
        }
        printf(",");
        out_csv_field(stdout, m->vmflags);
        printf("\n");
    }
}

/* A field's value in mapping m, 0 if this kernel has no such field. */
static uint64_t field_val(const inspect_maps_t *mm, const inspect_map_t *m, const char *name)
{
    int f = inspect_maps_field(mm, name);
    return f >= 0 ? m->val[f] : 0;
}

/* The command line of pid (0: this process), NUL-separated words joined
 * by spaces, or [comm] for a kernel thread, as pmap's first line. */
static void proc_command(int pid, char *buf, size_t n)
{
    char path[64], *data = NULL;
    size_t len = 0;
    diag_t d;
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid ? pid : (int)getpid());
    buf[0] = '\0';
    if (env_read_max(path, n - 1, &data, &len, &d) == 0 && len) {
        for (size_t i = 0; i < len; i++)
            buf[i] = data[i] ? data[i] : ' ';
        while (len && buf[len - 1] == ' ')
            len--;
        buf[len] = '\0';
    }
    free(data);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            *p = '?'; /* a terminal gets no control bytes from another's argv */
}

/* The short view: pmap -x's columns and vmlab's kind, the file's name only
 * (--wide shows the path). */
static void print_short(const inspect_maps_t *mm, int pid)
{
    char cmd[512], kind[32];
    uint64_t tsize = 0, trss = 0, tdirty = 0;
    proc_command(pid, cmd, sizeof cmd);
    printf("%d:   %s\n", pid ? pid : (int)getpid(), cmd);
    printf("%-16s %9s %9s %9s %-4s  %-13s %s\n", "Address", "Kbytes", "RSS", "Dirty", "Mode",
           "Kind", "Mapping");
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        uint64_t size = (m->end - m->start) / 1024, rss = field_val(mm, m, "Rss");
        uint64_t dirty = field_val(mm, m, "Private_Dirty") + field_val(mm, m, "Shared_Dirty");
        const char *base = strrchr(m->path, '/');
        tsize += size, trss += rss, tdirty += dirty;
        printf("%016jx %9ju %9ju %9ju %-4s  %-13s %s%s\n", (uintmax_t)m->start, (uintmax_t)size,
               (uintmax_t)rss, (uintmax_t)dirty, m->perms, icli_kind(m, kind, sizeof kind),
               base && m->path[0] == '/' ? base + 1 : m->path, m->deleted ? " (deleted)" : "");
    }
    printf("%-16s %9ju %9ju %9ju  (%zu mappings)\n", "total kB", (uintmax_t)tsize, (uintmax_t)trss,
           (uintmax_t)tdirty, mm->n);
}

static void print_table(const inspect_maps_t *mm)
{
    uint64_t t[INSPECT_MAX_FIELDS];
    int w[INSPECT_MAX_FIELDS];
    char buf[32];

    totals(mm, t);
    for (int f = 0; f < mm->nfields; f++) {
        int tw = snprintf(buf, sizeof buf, "%ju", (uintmax_t)t[f]);
        w[f] = (int)strlen(mm->field[f]);
        if (tw > w[f])
            w[f] = tw;
    }
    printf("%16s %-4s %8s %-6s %8s", "Address", "Perm", "Offset", "Device", "Inode");
    for (int f = 0; f < mm->nfields; f++)
        if (shown(mm, f))
            printf(" %*s", w[f], mm->field[f]);
    printf(" %-13s %s\n", "Kind", "Mapping");
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        char dev[16], kind[32];
        snprintf(dev, sizeof dev, "%02x:%02x", m->dev_major, m->dev_minor);
        printf("%16jx %-4s %08jx %-6s %8ju", (uintmax_t)m->start, m->perms, (uintmax_t)m->offset,
               dev, (uintmax_t)m->inode);
        for (int f = 0; f < mm->nfields; f++)
            if (shown(mm, f))
                printf(" %*ju", w[f], (uintmax_t)m->val[f]);
        printf(" %-13s %s%s\n", icli_kind(m, kind, sizeof kind), m->path,
               m->deleted ? " (deleted)" : "");
    }
    printf("%16s %-4s %8s %-6s %8s", "", "", "", "", "total");
    for (int f = 0; f < mm->nfields; f++)
        if (shown(mm, f))
            printf(" %*ju", w[f], (uintmax_t)t[f]);
    printf(" %-13s %zu mappings, figures in kB\n", "", mm->n);
}

/* What each smaps field measures (Documentation/filesystems/proc.rst). */
static const char *field_explain(const char *f)
{
    static const struct {
        const char *name, *text;
    } tab[] = {
        {"Size", "vm_end - vm_start: virtual size, whether or not any of it is in memory"},
        {"Rss", "resident set: how much of it is mapped to physical frames now"},
        {"Pss", "proportional set: each resident page divided by the number of processes mapping it"},
        {"Pss_Dirty", "the dirty part of Pss"},
        {"Pss_Anon", "the anonymous part of Pss"},
        {"Pss_File", "the file-backed part of Pss"},
        {"Pss_Shmem", "the shmem part of Pss"},
        {"Shared_Clean", "resident pages also mapped by another process, unmodified"},
        {"Shared_Dirty", "resident pages also mapped by another process, modified"},
        {"Private_Clean", "resident pages mapped only here, unmodified (can be dropped and re-read)"},
        {"Private_Dirty", "resident pages mapped only here, modified (must be kept or swapped)"},
        {"Referenced", "pages marked accessed (the hardware's A bit) since last cleared"},
        {"Anonymous", "pages with no file behind them (including CoW copies of file pages)"},
        {"KSM", "pages merged by kernel same-page merging"},
        {"LazyFree", "pages freed with MADV_FREE, reclaimable without writing"},
        {"AnonHugePages", "anonymous memory in transparent huge pages"},
        {"ShmemPmdMapped", "shmem mapped by huge pages"},
        {"FilePmdMapped", "file pages mapped by huge pages"},
        {"Shared_Hugetlb", "hugetlbfs pages shared with other processes"},
        {"Private_Hugetlb", "hugetlbfs pages of this process only"},
        {"Swap", "anonymous pages now in swap"},
        {"SwapPss", "Swap divided among the processes sharing each swapped page"},
        {"Locked", "pages locked in memory (mlock)"},
        {"THPeligible", "1 if the mapping may use transparent huge pages (a flag, not kB)"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(tab[i].name, f) == 0)
            return tab[i].text;
    return "a figure this kernel reports (see Documentation/filesystems/proc.rst)";
}

static const char *seg_flags(uint32_t f, char *buf)
{
    buf[0] = f & 4 ? 'R' : ' ';
    buf[1] = f & 2 ? 'W' : ' ';
    buf[2] = f & 1 ? 'X' : ' ';
    buf[3] = '\0';
    return buf;
}

/* Once per ELF file: its PT_LOAD segments, the reason for the repeats. */
static void explain_file(const inspect_maps_t *mm, size_t i, int pid)
{
    const inspect_map_t *m = &mm->m[i];
    const inspect_src_t *src = inspect_src_proc();
    static unsigned char buf[8192];
    inspect_elf_t e;
    size_t times = 0;
    long n;
    char fl[4];

    for (size_t j = i; j < mm->n && strcmp(mm->m[j].path, m->path) == 0; j++)
        times++;
    n = src->file_head(src->ctx, pid, m->start, m->end, m->path, buf, sizeof buf);
    if (n <= 0 || inspect_elf_parse(buf, (size_t)n, &e)) {
        if (times > 1)
            printf("\n%s is mapped %zu times in a row (its headers could not be read)\n", m->path,
                   times);
        return;
    }
    printf("\n%s (%s) is mapped %zu times in a row: its program headers have %d PT_LOAD "
           "segments, each mapped with its own permissions:\n",
           m->path,
           e.type == 2  ? "an executable"
           : m->library ? "a shared library"
                        : "a position-independent executable",
           times, e.nload);
    for (int k = 0; k < e.nload; k++) {
        const inspect_elf_seg_t *s = &e.load[k];
        printf("    PT_LOAD #%d %s  file offset %#jx, %ju bytes -> vaddr %#jx, %ju bytes%s\n", k,
               seg_flags(s->flags, fl), (uintmax_t)s->offset, (uintmax_t)s->filesz,
               (uintmax_t)s->vaddr, (uintmax_t)s->memsz,
               s->memsz > s->filesz ? " (the excess is bss: zero-filled)" : "");
    }
    if (e.has_relro)
        printf("    PT_GNU_RELRO: vaddr %#jx, %ju bytes: after relocation ld.so mprotect()s it "
               "read-only, which splits the RW segment into an r-- (relro) and an rw- (data) mapping\n",
               (uintmax_t)e.relro.vaddr, (uintmax_t)e.relro.memsz);
}

static void print_explain(const inspect_maps_t *mm, int pid)
{
    printf("Each row is one vm_area_struct of the process (fs/proc/task_mmu.c); the columns:\n"
           "  Address   vm_start; the mapping runs to vm_end (exclusive), whole pages\n"
           "  Perm      r/w/x from vm_flags, then p (private: writes are copied) or s (shared)\n"
           "  Offset    vm_pgoff << PAGE_SHIFT: the file offset mapped at vm_start (0 if anonymous)\n"
           "  Device    major:minor of the file system holding the file (00:00 if none)\n"
           "  Inode     the file's inode number on that device (0 if none)\n");
    for (int f = 0; f < mm->nfields; f++)
        if (shown(mm, f))
            printf("  %-15s %s%s\n", mm->field[f], field_explain(mm->field[f]),
                   mm->field_kb[f] ? " (kB)" : "");
    printf("  Kind      what the mapping holds (vmlab's classification); 'lib' = a shared library's\n"
           "  Mapping   the file's path; [heap], [stack], [vdso], [vvar], [vsyscall] are the\n"
           "            kernel's names; empty = anonymous; ' (deleted)' = unlinked since mapped\n");
    printf("\nThe rows:\n");
    for (size_t i = 0; i < mm->n; i++) {
        const inspect_map_t *m = &mm->m[i];
        char kind[32];
        int fr = inspect_maps_field(mm, "Rss");
        if (m->path[0] == '/' && (i == 0 || strcmp(mm->m[i - 1].path, m->path) != 0))
            explain_file(mm, i, pid);
        printf("%jx-%jx %s (%ju kB%s%ju kB resident) %s: %s", (uintmax_t)m->start,
               (uintmax_t)m->end, m->perms, (uintmax_t)((m->end - m->start) / 1024), ", ",
               fr >= 0 ? (uintmax_t)m->val[fr] : 0, icli_kind(m, kind, sizeof kind),
               icli_kind_explain(m->kind));
        if (m->elf_seg >= 0)
            printf("; PT_LOAD #%d", m->elf_seg);
        if (m->path[0] == '/')
            printf("; file offset %#jx of %s", (uintmax_t)m->offset, m->path);
        if (m->perms[3] == 's')
            printf("; shared: writes reach the file and other processes");
        if (m->deleted)
            printf("; the file was deleted after it was mapped");
        printf("\n");
    }
}

enum { O_EXPLAIN = CLI_OPT_BASE, O_OUTPUT };

int cmd_maps(int argc, char **argv)
{
    static const struct option opts[] = {
        {"wide", no_argument, 0, 'w'},
        {"explain", no_argument, 0, O_EXPLAIN},
        {"output", required_argument, 0, O_OUTPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    inspect_maps_t mm, head;
    diag_t d;
    int c, explain = 0, wide = 0, rc = CLI_OK, have_head = 0, *pids, npids;
    out_format_t output = OUT_TEXT;
    out_json_t j;

    optind = 1;
    while ((c = cli_getopt("maps", argc, argv, "wh", opts)) != -1) {
        switch (c) {
        case 'w': wide = 1; break;
        case O_EXPLAIN: explain = wide = 1; break;
        case O_OUTPUT:
            /* "table" is the text format's old name here, still accepted. */
            if (strcmp(optarg, "table") != 0 &&
                cli_output("maps", optarg, OUT_ACCEPT_ALL, &output))
                return CLI_USAGE;
            break;
        case 'h': fputs(maps_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    /* Every PID is checked before any is read. */
    npids = argc - optind > 0 ? argc - optind : 1;
    if (!(pids = calloc((size_t)npids, sizeof *pids)))
        return cli_diag(&(diag_t){.msg = "out of memory"});
    for (int k = 0; optind + k < argc; k++)
        if (icli_pid("maps", argv[optind + k], &pids[k])) {
            free(pids);
            return CLI_USAGE;
        }
    if (output == OUT_JSON) {
        out_json_init(&j, stdout, OUT_JSON_LINES);
        out_json_arr(&j, NULL); /* one shape for one PID or several */
    }
    for (int k = 0; k < npids; k++) {
        int pid = pids[k];
        diag_clear(&d);
        if (inspect_maps_load(inspect_src_proc(), pid, "smaps", &mm, &d)) {
            fflush(stdout);
            cli_diag(&d);
            rc = CLI_ERR;
            continue;
        }
        inspect_classify_src(&mm, inspect_src_proc(), pid);
        if (output == OUT_JSON) {
            print_json(&j, &mm, pid);
        } else if (output == OUT_CSV) {
            if (!have_head)
                print_csv_header(&mm);
            print_csv(have_head ? &head : &mm, &mm, pid);
        } else {
            if (k)
                printf("\n");
            if (wide)
                print_table(&mm);
            else
                print_short(&mm, pid);
            if (explain) {
                printf("\n");
                print_explain(&mm, pid);
            }
        }
        if (!have_head)
            head = mm, have_head = 1; /* kept for the CSV header's field names */
        else
            inspect_maps_free(&mm);
    }
    if (output == OUT_JSON) {
        out_json_end(&j);
        out_json_done(&j);
    }
    if (have_head)
        inspect_maps_free(&head);
    free(pids);
    return rc;
}
