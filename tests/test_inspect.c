/* SPDX-License-Identifier: MIT */
/*
 * test_inspect.c - the maps/smaps parser, the classifier, the ELF reader,
 * the pagemap decoder and kpageflags names on captured text and fake
 * entries; then the same code on the live /proc: this process's layout,
 * its smaps, its pagemap, and the fault experiments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vmlab/inspect.h"

/* /proc/self/maps of `cat` on Debian 12, captured. */
static const char cat_maps[] =
    "55cac003f000-55cac0041000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
    "55cac0041000-55cac0046000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
    "55cac0046000-55cac0049000 r--p 00007000 fe:00 247134                     /usr/bin/cat\n"
    "55cac0049000-55cac004a000 r--p 00009000 fe:00 247134                     /usr/bin/cat\n"
    "55cac004a000-55cac004b000 rw-p 0000a000 fe:00 247134                     /usr/bin/cat\n"
    "55caf1054000-55caf1075000 rw-p 00000000 00:00 0                          [heap]\n"
    "7fc134a37000-7fc134a59000 rw-p 00000000 00:00 0 \n"
    "7fc134a59000-7fc134ab0000 r--p 00000000 fe:00 320475                     /usr/lib/locale/C.utf8/LC_CTYPE\n"
    "7fc134ab7000-7fc134aba000 rw-p 00000000 00:00 0 \n"
    "7fc134aba000-7fc134ae0000 r--p 00000000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7fc134ae0000-7fc134c36000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7fc134c36000-7fc134c89000 r--p 0017c000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7fc134c89000-7fc134c8d000 r--p 001cf000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7fc134c8d000-7fc134c8f000 rw-p 001d3000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7fc134c8f000-7fc134c9c000 rw-p 00000000 00:00 0 \n"
    "7fc134c9f000-7fc134ca6000 r--s 00000000 fe:00 332280                     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\n"
    "7fc134ca7000-7fc134ca9000 rw-p 00000000 00:00 0 \n"
    "7fc134ca9000-7fc134cad000 r--p 00000000 00:00 0                          [vvar]\n"
    "7fc134cad000-7fc134caf000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
    "7fc134caf000-7fc134cb1000 r-xp 00000000 00:00 0                          [vdso]\n"
    "7fc134cb1000-7fc134cb2000 r--p 00000000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
    "7fc134cb2000-7fc134cd8000 r-xp 00001000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
    "7fc134cd8000-7fc134ce2000 r--p 00027000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
    "7fc134ce2000-7fc134ce4000 r--p 00031000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
    "7fc134ce4000-7fc134ce6000 rw-p 00033000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
    "7fffc3cb1000-7fffc3cd2000 rw-p 00000000 00:00 0                          [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

/* Expected kind and library flag of each row above. */
static const struct {
    inspect_kind_t kind;
    int lib;
} cat_kinds[] = {
    {INSPECT_K_RODATA, 0}, {INSPECT_K_TEXT, 0},   {INSPECT_K_RODATA, 0}, {INSPECT_K_RELRO, 0},
    {INSPECT_K_DATA, 0},   {INSPECT_K_HEAP, 0},   {INSPECT_K_ANON, 0},   {INSPECT_K_FILE, 0},
    {INSPECT_K_ANON, 0},   {INSPECT_K_RODATA, 1}, {INSPECT_K_TEXT, 1},   {INSPECT_K_RODATA, 1},
    {INSPECT_K_RELRO, 1},  {INSPECT_K_DATA, 1},   {INSPECT_K_BSS, 1},    {INSPECT_K_FILE, 0},
    {INSPECT_K_ANON, 0},   {INSPECT_K_VVAR, 0},   {INSPECT_K_VVAR, 0},   {INSPECT_K_VDSO, 0},
    {INSPECT_K_RODATA, 1}, {INSPECT_K_TEXT, 1},   {INSPECT_K_RODATA, 1}, {INSPECT_K_RELRO, 1},
    {INSPECT_K_DATA, 1},   {INSPECT_K_STACK, 0},  {INSPECT_K_VSYSCALL, 0},
};

static int parse(const char *text, inspect_maps_t *mm, diag_t *d)
{
    return inspect_maps_parse("captured", text, strlen(text), mm, d);
}

TEST(maps_parse_captured)
{
    inspect_maps_t mm;
    diag_t d;
    CHECK_EQ(parse(cat_maps, &mm, &d), 0);
    inspect_maps_check(&mm);
    CHECK_EQ(mm.n, 27);
    CHECK_EQ(mm.smaps, 0);
    CHECK_EQ(mm.m[0].start, 0x55cac003f000ull);
    CHECK_EQ(mm.m[0].end, 0x55cac0041000ull);
    CHECK_STR(mm.m[1].perms, "r-xp");
    CHECK_EQ(mm.m[1].offset, 0x2000);
    CHECK_EQ(mm.m[1].dev_major, 0xfe);
    CHECK_EQ(mm.m[1].dev_minor, 0);
    CHECK_EQ(mm.m[1].inode, 247134);
    CHECK_STR(mm.m[1].path, "/usr/bin/cat");
    CHECK_STR(mm.m[6].path, "");
    CHECK_STR(mm.m[5].path, "[heap]");
    CHECK_STR(mm.m[15].perms, "r--s");
    CHECK_EQ(mm.m[26].start, 0xffffffffff600000ull);
    CHECK_STR(mm.m[26].perms, "--xp");
    inspect_maps_free(&mm);
}

TEST(maps_parse_odd_paths)
{
    static const char text[] =
        "10000-11000 rw-s 00000000 00:01 77 /dev/shm/my file (copy).dat\n"
        "11000-12000 r--p 00001000 08:11 1234   /tmp/gone.so (deleted)\n"
        "12000-13000 rw-p 00000000 00:00 0      [anon:my arena]\n"
        "13000-14000 r--p 00000000 08:11 99     /tmp/line\\012break\n"
        "14000-15000 ---p 00000000 00:00 0\n"
        "15000-16000 r--p 00000000 103:0a 4294967296 /x  y  \n"
        "16000-17000 rw-s 00000000 00:01 3072   /dev/zero (deleted)\n";
    inspect_maps_t mm;
    diag_t d;
    CHECK_EQ(parse(text, &mm, &d), 0);
    CHECK_EQ(mm.n, 7);
    CHECK_STR(mm.m[0].path, "/dev/shm/my file (copy).dat");
    CHECK_EQ(mm.m[0].deleted, 0);
    CHECK_STR(mm.m[1].path, "/tmp/gone.so");
    CHECK_EQ(mm.m[1].deleted, 1);
    CHECK_STR(mm.m[2].path, "[anon:my arena]");
    CHECK_STR(mm.m[3].path, "/tmp/line\\012break");
    CHECK_STR(mm.m[4].path, "");
    CHECK_STR(mm.m[5].path, "/x  y  "); /* spaces in a name are kept */
    CHECK_EQ(mm.m[5].dev_major, 0x103);
    CHECK_EQ(mm.m[5].dev_minor, 0xa);
    CHECK_EQ(mm.m[5].inode, 4294967296ull);
    inspect_classify(&mm, "/nonexistent", NULL, NULL);
    CHECK_EQ(mm.m[0].kind, INSPECT_K_FILE);
    CHECK_EQ(mm.m[2].kind, INSPECT_K_ANON);
    CHECK_EQ(mm.m[4].kind, INSPECT_K_GUARD);
    CHECK_EQ(mm.m[6].kind, INSPECT_K_ANON); /* MAP_SHARED|MAP_ANONYMOUS */
    CHECK_EQ(mm.m[6].deleted, 1);
    inspect_maps_free(&mm);
}

/* A captured smaps excerpt (Linux 6.x): two mappings, every field. */
static const char smaps_text[] =
    "561c0c285000-561c0c287000 r--p 00000000 fe:00 247498                     /usr/bin/head\n"
    "Size:                  8 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   8 kB\n"
    "Pss:                   2 kB\n"
    "Pss_Dirty:             0 kB\n"
    "Shared_Clean:          8 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         0 kB\n"
    "Referenced:            8 kB\n"
    "Anonymous:             0 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:           0\n"
    "VmFlags: rd mr mw me \n"
    "561c0c287000-561c0c28d000 r-xp 00002000 fe:00 247498                     /usr/bin/head\n"
    "Size:                 24 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                  20 kB\n"
    "Pss:                   5 kB\n"
    "Pss_Dirty:             0 kB\n"
    "Shared_Clean:         20 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         0 kB\n"
    "Referenced:           20 kB\n"
    "Anonymous:             0 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:           1\n"
    "VmFlags: rd ex mr mw me \n";

TEST(smaps_parse_captured)
{
    inspect_maps_t mm;
    diag_t d;
    int rss, pss, thp, size;
    CHECK_EQ(parse(smaps_text, &mm, &d), 0);
    CHECK_EQ(mm.n, 2);
    CHECK_EQ(mm.smaps, 1);
    CHECK_EQ(mm.nfields, 23);
    CHECK_STR(mm.field[0], "Size");
    CHECK_STR(mm.field[22], "THPeligible");
    size = inspect_maps_field(&mm, "Size");
    rss = inspect_maps_field(&mm, "Rss");
    pss = inspect_maps_field(&mm, "Pss");
    thp = inspect_maps_field(&mm, "THPeligible");
    CHECK(size >= 0 && rss >= 0 && pss >= 0 && thp >= 0);
    CHECK_EQ(inspect_maps_field(&mm, "VmFlags"), -1);
    CHECK_EQ(mm.field_kb[rss], 1);
    CHECK_EQ(mm.field_kb[thp], 0);
    CHECK_EQ(mm.m[0].val[rss], 8);
    CHECK_EQ(mm.m[1].val[rss], 20);
    CHECK_EQ(mm.m[1].val[pss], 5);
    CHECK_EQ(mm.m[1].val[thp], 1);
    /* Size is the range's length in kB, as the kernel computes it. */
    for (size_t i = 0; i < mm.n; i++)
        CHECK_EQ(mm.m[i].val[size], (mm.m[i].end - mm.m[i].start) / 1024);
    CHECK_STR(mm.m[1].vmflags, "rd ex mr mw me");
    inspect_maps_free(&mm);
}

TEST(maps_parse_errors)
{
    static const struct {
        const char *text;
        unsigned long line;
        const char *msg;
    } bad[] = {
        {"1000-0800 r--p 0 00:00 0\n", 1, "reversed"},
        {"1000-2000 r--p 0 00:00 0\n1000-3000 r--p 0 00:00 0\n", 2, "overlaps"},
        {"1000-2000 rwz 0 00:00 0\n", 1, "permissions"},
        {"1000-2000 r--p zz 00:00 0\n", 1, "offset"},
        {"1000-2000 r--p 0 0000 0\n", 1, "device"},
        {"1000-2000 r--p 0 00:00 x1\n", 1, "inode"},
        {"1000-2000 r--p 0 00:00\n", 1, "inode"},
        {"1000- r--p 0 00:00 0\n", 1, "address range"},
        {"Rss: 4 kB\n", 1, "before the first mapping"},
        {"1000-2000 r--p 0 00:00 0\nRss: four kB\n", 2, "decimal"},
        {"1000-2000 r--p 0 00:00 0\nRss: 4 MB\n", 2, "unit"},
        {"1000-2000 r--p 0 00:00 0\nRss: 4 kB\nRss: 4 kB\n", 3, "twice"},
        {"1000-2000 r--p 0 00:00 0\nhello world\n", 2, "bad line"},
        {"1000-2000 r--p 0 00:00 0\nRss: 4 kB extra\n", 2, "trailing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        inspect_maps_t mm;
        diag_t d;
        int rc = parse(bad[i].text, &mm, &d);
        CHECK_MSG(rc == -EINVAL, "case %zu: rc %d", i, rc);
        CHECK_MSG(d.line == bad[i].line, "case %zu: line %lu", i, d.line);
        CHECK_MSG(strstr(d.msg, bad[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i, d.msg,
                  bad[i].msg);
        CHECK_STR(d.file, "captured");
        CHECK_EQ(mm.n, 0);
    }
}

TEST(maps_find)
{
    inspect_maps_t mm;
    diag_t d;
    CHECK_EQ(parse(cat_maps, &mm, &d), 0);
    CHECK(inspect_maps_find(&mm, 0x55cac003f000ull) == &mm.m[0]);
    CHECK(inspect_maps_find(&mm, 0x55cac0040fffull) == &mm.m[0]);
    CHECK(inspect_maps_find(&mm, 0x55cac0041000ull) == &mm.m[1]);
    CHECK(inspect_maps_find(&mm, 0x55cac003efffull) == NULL);
    CHECK(inspect_maps_find(&mm, 0x55cac004b000ull) == NULL); /* the gap before [heap] */
    CHECK(inspect_maps_find(&mm, 0) == NULL);
    CHECK(inspect_maps_find(&mm, 0xffffffffff600fffull) == &mm.m[26]);
    CHECK(inspect_maps_find(&mm, 0xffffffffffffffffull) == NULL);
    /* Against a linear search at every boundary +-1. */
    for (size_t i = 0; i < mm.n; i++) {
        uint64_t probes[4] = {mm.m[i].start - 1, mm.m[i].start, mm.m[i].end - 1, mm.m[i].end};
        for (int k = 0; k < 4; k++) {
            const inspect_map_t *want = NULL;
            for (size_t j = 0; j < mm.n; j++)
                if (mm.m[j].start <= probes[k] && probes[k] < mm.m[j].end)
                    want = &mm.m[j];
            CHECK(inspect_maps_find(&mm, probes[k]) == want);
        }
    }
    inspect_maps_free(&mm);
}

TEST(classify_by_permissions)
{
    inspect_maps_t mm;
    diag_t d;
    CHECK_EQ(parse(cat_maps, &mm, &d), 0);
    inspect_classify(&mm, "/usr/bin/cat", NULL, NULL);
    for (size_t i = 0; i < mm.n; i++) {
        CHECK_MSG(mm.m[i].kind == cat_kinds[i].kind, "row %zu: %s, expected %s", i,
                  inspect_kind_name(mm.m[i].kind), inspect_kind_name(cat_kinds[i].kind));
        CHECK_MSG(mm.m[i].library == cat_kinds[i].lib, "row %zu: library %d", i, mm.m[i].library);
    }
    /* The executable unknown: the first file mapped is taken for it. */
    inspect_classify(&mm, NULL, NULL, NULL);
    CHECK_EQ(mm.m[1].library, 0);
    CHECK_EQ(mm.m[10].library, 1);
    inspect_maps_free(&mm);
}

/* Program headers of /usr/bin/cat and libc.so.6 (readelf -lW), as a fake
 * lookup; the locale file and the cache are not ELF. */
static const inspect_elf_t cat_elf = {
    4,
    {{0x0, 0x0, 0x1720, 0x1720, 4},
     {0x2000, 0x2000, 0x4da9, 0x4da9, 5},
     {0x7000, 0x7000, 0x20e8, 0x20e8, 4},
     {0x9c30, 0xac30, 0x650, 0x7e8, 6}},
    1,
    {0x9c30, 0xac30, 0x3d0, 0x3d0, 4},
    3,
};
static const inspect_elf_t libc_elf = {
    4,
    {{0x0, 0x0, 0x25388, 0x25388, 4},
     {0x26000, 0x26000, 0x1550fc, 0x1550fc, 5},
     {0x17c000, 0x17c000, 0x52c31, 0x52c31, 4},
     {0x1cf8d0, 0x1d08d0, 0x5180, 0x11a90, 6}},
    1,
    {0x1cf8d0, 0x1d08d0, 0x3730, 0x3730, 4},
    3,
};
static const inspect_elf_t ld_elf = {
    4,
    {{0x0, 0x0, 0xa38, 0xa38, 4},
     {0x1000, 0x1000, 0x25c51, 0x25c51, 5},
     {0x27000, 0x27000, 0x9af4, 0x9af4, 4},
     {0x31c40, 0x32c40, 0x2390, 0x2540, 6}},
    1,
    {0x31c40, 0x32c40, 0x13c0, 0x13c0, 4},
    3,
};

static int lookups;

static const inspect_elf_t *fake_lookup(void *ctx, const inspect_map_t *m)
{
    (void)ctx;
    lookups++;
    if (strstr(m->path, "/cat"))
        return &cat_elf;
    if (strstr(m->path, "libc.so"))
        return &libc_elf;
    if (strstr(m->path, "ld-linux"))
        return &ld_elf;
    return NULL;
}

TEST(classify_by_elf_headers)
{
    inspect_maps_t mm;
    diag_t d;
    static const int seg[] = {0, 1, 2, 3, 3};
    CHECK_EQ(parse(cat_maps, &mm, &d), 0);
    inspect_classify(&mm, "/usr/bin/cat", fake_lookup, NULL);
    for (size_t i = 0; i < mm.n; i++) {
        CHECK_MSG(mm.m[i].kind == cat_kinds[i].kind, "row %zu: %s, expected %s", i,
                  inspect_kind_name(mm.m[i].kind), inspect_kind_name(cat_kinds[i].kind));
        CHECK_EQ(mm.m[i].library, cat_kinds[i].lib);
    }
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(mm.m[i].elf_seg, seg[i]);      /* cat */
        CHECK_EQ(mm.m[9 + i].elf_seg, seg[i]);  /* libc */
        CHECK_EQ(mm.m[20 + i].elf_seg, seg[i]); /* ld.so */
    }
    CHECK_EQ(mm.m[14].elf_seg, 3); /* libc's bss belongs to its RW segment */
    CHECK_EQ(mm.m[5].elf_seg, -1);
    inspect_maps_free(&mm);
}

TEST(classify_elf_differs_from_permissions)
{
    /* A relro mapping not followed by its data (here a hole) is relro by
     * the program headers, rodata by the permissions alone; a file none of
     * whose mappings is executable is a plain file, and not even read. */
    static const char text[] = "400000-401000 r-xp 00000000 08:01 5 /tmp/jit.bin\n"
                               "500000-501000 r--p 00000000 08:01 6 /usr/bin/cat\n"
                               "502000-507000 r-xp 00002000 08:01 6 /usr/bin/cat\n"
                               "509000-50a000 r--p 00009000 08:01 6 /usr/bin/cat\n"
                               "600000-601000 r--p 00000000 08:01 7 /usr/lib/libc.so.6\n";
    inspect_maps_t mm;
    diag_t d;
    CHECK_EQ(parse(text, &mm, &d), 0);
    lookups = 0;
    inspect_classify(&mm, "/usr/bin/cat", fake_lookup, NULL);
    CHECK_EQ(lookups, 4); /* jit.bin and cat's three; never the r--p-only libc */
    CHECK_EQ(mm.m[0].kind, INSPECT_K_TEXT); /* unreadable: its permissions decide */
    CHECK_EQ(mm.m[1].kind, INSPECT_K_RODATA);
    CHECK_EQ(mm.m[2].kind, INSPECT_K_TEXT);
    CHECK_EQ(mm.m[3].kind, INSPECT_K_RELRO);
    CHECK_EQ(mm.m[3].elf_seg, 3);
    CHECK_EQ(mm.m[4].kind, INSPECT_K_FILE);
    CHECK_EQ(mm.m[4].library, 0);
    inspect_classify(&mm, "/usr/bin/cat", NULL, NULL);
    CHECK_EQ(mm.m[3].kind, INSPECT_K_RODATA); /* no rw- neighbour to tell */
    CHECK_EQ(mm.m[3].elf_seg, -1);
    CHECK_EQ(mm.m[4].kind, INSPECT_K_FILE);
    inspect_maps_free(&mm);
}

static void put(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

TEST(elf_parse_fake_and_bad)
{
    unsigned char b[512];
    inspect_elf_t e;
    memset(b, 0, sizeof b);
    memcpy(b, "\177ELF", 4);
    b[4] = 2;
    b[5] = 1;
    put(b + 16, 3, 2);  /* ET_DYN */
    put(b + 32, 64, 8); /* e_phoff */
    put(b + 54, 56, 2); /* e_phentsize */
    put(b + 56, 3, 2);  /* e_phnum */
    /* PT_LOAD R X, PT_GNU_RELRO, PT_LOAD RW */
    put(b + 64, 1, 4);
    put(b + 68, 5, 4);
    put(b + 72, 0x1000, 8);
    put(b + 80, 0x1000, 8);
    put(b + 96, 0x500, 8);
    put(b + 104, 0x500, 8);
    put(b + 120, 0x6474e552, 4);
    put(b + 124, 4, 4);
    put(b + 136, 0x3000, 8);
    put(b + 160, 0x100, 8);
    put(b + 176, 1, 4);
    put(b + 180, 6, 4);
    put(b + 184, 0x2e00, 8);
    put(b + 192, 0x3e00, 8);
    put(b + 208, 0x200, 8);
    put(b + 216, 0x900, 8);
    CHECK_EQ(inspect_elf_parse(b, sizeof b, &e), 0);
    CHECK_EQ(e.type, 3);
    CHECK_EQ(e.nload, 2);
    CHECK_EQ(e.load[0].flags, 5);
    CHECK_EQ(e.load[0].offset, 0x1000);
    CHECK_EQ(e.load[1].vaddr, 0x3e00);
    CHECK_EQ(e.load[1].memsz, 0x900);
    CHECK_EQ(e.has_relro, 1);
    CHECK_EQ(e.relro.vaddr, 0x3000);
    CHECK_EQ(inspect_elf_parse(b, 64 + 56 * 2, &e), -ENOEXEC); /* headers cut off */
    b[4] = 1;                                                  /* ELFCLASS32 */
    CHECK_EQ(inspect_elf_parse(b, sizeof b, &e), -ENOEXEC);
    CHECK_EQ(inspect_elf_parse("#!/bin/sh\n", 10, &e), -ENOEXEC);
}

TEST(elf_parse_this_executable)
{
    static unsigned char buf[8192];
    inspect_elf_t e;
    long n = inspect_src_proc()->file_head(NULL, 0, 0, 0, "/proc/self/exe", buf, sizeof buf);
    int x = 0, w = 0;
    CHECK(n > 0);
    CHECK_EQ(inspect_elf_parse(buf, (size_t)n, &e), 0);
    for (int i = 0; i < e.nload; i++) {
        x += (e.load[i].flags & 1) != 0;
        w += (e.load[i].flags & 2) != 0;
    }
    CHECK_EQ(x, 1);
    CHECK_EQ(w, 1);
}

/* ---- pagemap -------------------------------------------------------------- */

TEST(pagemap_decode_fake_entries)
{
    inspect_page_t p;
    inspect_pagemap_decode((1ull << 63) | (1ull << 56) | (1ull << 55) | 0x12345, 0x7000, &p);
    CHECK_EQ(p.present, 1);
    CHECK_EQ(p.swapped, 0);
    CHECK_EQ(p.exclusive, 1);
    CHECK_EQ(p.soft_dirty, 1);
    CHECK_EQ(p.file_shared, 0);
    CHECK_EQ(p.uffd_wp, 0);
    CHECK_EQ(p.pfn, 0x12345);
    CHECK_EQ(p.pfn_hidden, 0);
    CHECK_EQ(p.vaddr, 0x7000);
    /* What a reader without CAP_SYS_ADMIN gets: flags, PFN zeroed. */
    inspect_pagemap_decode((1ull << 63) | (1ull << 61), 0, &p);
    CHECK_EQ(p.present, 1);
    CHECK_EQ(p.file_shared, 1);
    CHECK_EQ(p.pfn, 0);
    CHECK_EQ(p.pfn_hidden, 1);
    /* Swapped: type in bits 0-4, offset in bits 5-54. */
    inspect_pagemap_decode((1ull << 62) | (1ull << 57) | (0x1abcdull << 5) | 3, 0, &p);
    CHECK_EQ(p.present, 0);
    CHECK_EQ(p.swapped, 1);
    CHECK_EQ(p.uffd_wp, 1);
    CHECK_EQ(p.swap_type, 3);
    CHECK_EQ(p.swap_offset, 0x1abcd);
    CHECK_EQ(p.pfn, 0);
    CHECK_EQ(p.pfn_hidden, 0);
    /* The largest PFN: bits 0-54, none of the flag bits. */
    inspect_pagemap_decode((1ull << 63) | ((1ull << 55) - 1), 0, &p);
    CHECK_EQ(p.pfn, (1ull << 55) - 1);
    CHECK_EQ(p.soft_dirty, 0);
    inspect_pagemap_decode(0, 0x1000, &p);
    CHECK_EQ(p.present | p.swapped | p.file_shared | p.exclusive | p.soft_dirty, 0);
}

/* A fake /proc: pagemap entries from an array, kpageflags = PFN * 2. */
typedef struct fake {
    uint64_t base;     /* vaddr of entry 0 */
    uint64_t entry[8]; /* pagemap entries */
    int kpf_reads;     /* kpageflags/kpagecount reads */
    uint64_t last_off; /* last pagemap offset asked */
} fake_t;

static int fake_read_at(void *ctx, int pid, const char *name, uint64_t off, void *buf, size_t n,
                        diag_t *d)
{
    fake_t *f = ctx;
    uint64_t ps = inspect_page_size();
    (void)pid;
    if (strcmp(name, "pagemap") == 0) {
        uint64_t first = off / 8 - f->base / ps;
        f->last_off = off;
        if (off % 8 || first + n / 8 > 8)
            return diag_set(d, name, 0, EIO, "out of range");
        memcpy(buf, &f->entry[first], n);
        return 0;
    }
    f->kpf_reads++;
    if (n != 8)
        return -EINVAL;
    *(uint64_t *)buf = strcmp(name, "kpageflags") == 0 ? (off / 8) * 2 : 2;
    return 0;
}

TEST(pagemap_read_through_fake_src)
{
    fake_t f;
    inspect_src_t src = {NULL, fake_read_at, NULL, NULL, &f};
    inspect_page_t pg[3];
    uint64_t ps = inspect_page_size();
    diag_t d;
    memset(&f, 0, sizeof f);
    f.base = 0x100 * ps;
    f.entry[2] = (1ull << 63) | 0x40;
    f.entry[3] = (1ull << 63) | (1ull << 61); /* PFN hidden */
    f.entry[4] = 0;
    CHECK_EQ(inspect_pagemap_read(&src, 42, f.base + 2 * ps, 3, 1, pg, &d), 0);
    CHECK_EQ(f.last_off, (0x100 + 2) * 8);
    CHECK_EQ(pg[0].pfn, 0x40);
    CHECK_EQ(pg[0].vaddr, f.base + 2 * ps);
    CHECK_EQ(pg[0].have_kflags, 1);
    CHECK_EQ(pg[0].kflags, 0x80);
    CHECK_EQ(pg[0].have_count, 1);
    CHECK_EQ(pg[0].count, 2);
    /* A hidden PFN is never looked up in kpageflags (it would be frame 0). */
    CHECK_EQ(pg[1].pfn_hidden, 1);
    CHECK_EQ(pg[1].have_kflags, 0);
    CHECK_EQ(pg[2].present, 0);
    CHECK_EQ(f.kpf_reads, 2);
    CHECK_EQ(inspect_pagemap_read(&src, 42, f.base + 1, 1, 0, pg, &d), -EINVAL);
}

TEST(kpageflags_names)
{
    char buf[256] = "";
    CHECK_STR(inspect_kpf_name(3), "uptodate");
    CHECK_STR(inspect_kpf_name(24), "zero_page");
    CHECK_STR(inspect_kpf_name(12), "anon");
    CHECK(inspect_kpf_name(30) == NULL);
    CHECK(inspect_kpf_name(64) == NULL);
    inspect_kpf_format((1ull << 3) | (1ull << 5) | (1ull << 24) | (1ull << 30), " ", buf,
                       sizeof buf);
    CHECK_STR(buf, "uptodate lru zero_page bit30");
    /* Bit 34 is PG_anon_exclusive on an anonymous page (Linux >= 5.19). */
    buf[0] = '\0';
    inspect_kpf_format((1ull << 34) | (1ull << 12), " ", buf, sizeof buf);
    CHECK_STR(buf, "anon anon_exclusive");
    buf[0] = '\0';
    inspect_kpf_format(1ull << 34, " ", buf, sizeof buf);
    CHECK_STR(buf, "mappedtodisk");
    /* Never a cut name: what does not fit is left out whole. */
    buf[0] = '\0';
    inspect_kpf_format((1ull << 3) | (1ull << 5), ",", buf, 12);
    CHECK_STR(buf, "uptodate");
}

/* ---- the live /proc ------------------------------------------------------- */

static int harness_main_stub(void)
{
    return 0;
}

static void check_layout(const inspect_layout_t *l)
{
    size_t stacks = 0;
    CHECK(l->n >= 18);
    for (size_t i = 0; i < l->n; i++) {
        const inspect_item_t *it = &l->item[i];
        CHECK_MSG(it->map != NULL, "%s at %#jx is in no mapping", it->name, (uintmax_t)it->addr);
        CHECK_MSG(inspect_item_ok(it), "%s at %#jx is in a %s %s mapping (%s), expected %s", it->name,
                  (uintmax_t)it->addr, inspect_kind_name(it->map->kind), it->map->perms,
                  it->map->path, it->want_perms);
        if (strncmp(it->name, "stack, depth", 12) == 0) {
            stacks++;
            /* Each level deeper is lower: the stack grows down. */
            if (stacks > 1)
                CHECK(it->addr < l->item[i - 1].addr);
        }
        if (strcmp(it->name, "libc function") == 0)
            CHECK_EQ(it->map->library, 1);
        if (strcmp(it->name, "main") == 0 || strcmp(it->name, "string literal") == 0)
            CHECK_EQ(it->map->library, 0);
    }
    CHECK_EQ(stacks, 5);
    CHECK(l->stack_frame_bytes > 0);
    CHECK(l->brk_after >= l->brk_before);
}

TEST(layout_live_every_object_in_its_kind)
{
    inspect_layout_t *l = calloc(1, sizeof *l);
    diag_t d;
    int rc;
    CHECK(l != NULL);
    rc = inspect_layout_probe(inspect_src_proc(), (const void *)harness_main_stub, NULL, l, &d);
    if (rc == 0) {
        check_layout(l);
        inspect_layout_free(l);
    }
    free(l);
    CHECK_EQ(rc, 0);
}

TEST(inspect_item_ok_rejects)
{
    inspect_map_t m;
    inspect_item_t it;
    memset(&m, 0, sizeof m);
    memset(&it, 0, sizeof it);
    strcpy(m.perms, "r-xp");
    m.kind = INSPECT_K_TEXT;
    it.map = &m;
    it.want_kinds = 1u << INSPECT_K_TEXT;
    strcpy(it.want_perms, "r-x");
    CHECK(inspect_item_ok(&it));
    strcpy(it.want_perms, "rw-");
    CHECK(!inspect_item_ok(&it));
    strcpy(it.want_perms, "r??");
    CHECK(inspect_item_ok(&it));
    it.want_kinds = 1u << INSPECT_K_RODATA;
    CHECK(!inspect_item_ok(&it));
    it.map = NULL;
    CHECK(!inspect_item_ok(&it));
}

TEST(smaps_live_self)
{
    inspect_maps_t mm;
    diag_t d;
    int size, rss, stack = 0, heap_or_anon = 0, exe_text = 0, lib_text = 0;
    CHECK_EQ(inspect_maps_load(inspect_src_proc(), 0, "smaps", &mm, &d), 0);
    inspect_classify_src(&mm, inspect_src_proc(), 0);
    inspect_maps_check(&mm);
    CHECK_EQ(mm.smaps, 1);
    size = inspect_maps_field(&mm, "Size");
    rss = inspect_maps_field(&mm, "Rss");
    CHECK(size >= 0 && rss >= 0);
    for (size_t i = 0; i < mm.n; i++) {
        const inspect_map_t *m = &mm.m[i];
        CHECK_EQ(m->val[size], (m->end - m->start) / 1024);
        CHECK(m->val[rss] <= m->val[size]);
        CHECK(m->kind != INSPECT_K_UNKNOWN);
        stack += m->kind == INSPECT_K_STACK;
        heap_or_anon += m->kind == INSPECT_K_HEAP || m->kind == INSPECT_K_ANON;
        exe_text += m->kind == INSPECT_K_TEXT && !m->library;
        lib_text += m->kind == INSPECT_K_TEXT && m->library;
    }
    CHECK_EQ(stack, 1);
    CHECK(heap_or_anon >= 1);
    CHECK_EQ(exe_text, 1);
    CHECK(lib_text >= 2); /* libc and ld.so at least */
    inspect_maps_free(&mm);
}

TEST(pagemap_live_self)
{
    uint64_t ps = inspect_page_size();
    char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    inspect_page_t pg[2];
    diag_t d;
    CHECK(p != MAP_FAILED);
    p[0] = 1; /* page 0 written, page 1 untouched */
    CHECK_EQ(inspect_pagemap_read(inspect_src_proc(), 0, (uint64_t)(uintptr_t)p, 2, 1, pg, &d), 0);
    munmap(p, 2 * ps);
    CHECK_EQ(pg[0].present, 1);
    CHECK_EQ(pg[0].exclusive, 1);
    CHECK_EQ(pg[0].file_shared, 0);
    CHECK_EQ(pg[1].present, 0);
    if (!inspect_have_cap_sys_admin()) {
        CHECK_EQ(pg[0].pfn_hidden, 1);
        SKIP("no CAP_SYS_ADMIN: the kernel hides PFNs, so frames and kpageflags are not checked");
    }
    CHECK(pg[0].pfn != 0);
    CHECK_EQ(pg[0].have_kflags, 1);
    CHECK(pg[0].kflags >> 12 & 1); /* KPF_ANON */
    CHECK_EQ(pg[0].count, 1);
}

TEST(proc_errors)
{
    inspect_maps_t mm;
    diag_t d;
    int st;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, &st, 0); /* reaped: the PID names no process now */
    CHECK_EQ(inspect_maps_load(inspect_src_proc(), (int)pid, "maps", &mm, &d), -ESRCH);
    CHECK(strstr(d.msg, "no such process") != NULL);
    CHECK(strstr(d.file, "/maps") != NULL);
}

/* ---- fault experiments on the live kernel --------------------------------- */

static void run_fx(const char *name, inspect_fx_t *fx, int *rc)
{
    size_t n;
    const inspect_fx_desc_t *t = inspect_fx_table(&n);
    diag_t d;
    memset(fx, 0, sizeof *fx);
    *rc = -ENOENT;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) {
            fx->name = t[i].name;
            *rc = t[i].run(inspect_src_proc(), fx, &d);
        }
}

TEST(faults_malloc)
{
    inspect_fx_t fx;
    int rc;
    run_fx("malloc", &fx, &rc);
    CHECK_EQ(rc, 0);
    CHECK_MSG(fx.confirmed, "%s | %s | %s", fx.conclusion, fx.measured[0].text, fx.measured[1].text);
    CHECK(fx.extra <= 1); /* large block: at most its header page present before touching */
    CHECK(fx.minflt >= fx.pages * 9 / 10);
}

TEST(faults_zero_page)
{
    inspect_fx_t fx;
    int rc;
    run_fx("zero", &fx, &rc);
    CHECK_EQ(rc, 0);
    CHECK_MSG(fx.confirmed, "%s", fx.conclusion);
    CHECK(fx.rss_delta_kb < fx.pages * 4 / 10);
    if (fx.distinct_pfns < 0)
        SKIP("no CAP_SYS_ADMIN: PFNs hidden, the zero page shown by RSS alone");
    CHECK_EQ(fx.distinct_pfns, 1);
}

TEST(faults_write_private_frames)
{
    inspect_fx_t fx;
    int rc;
    run_fx("write", &fx, &rc);
    CHECK_EQ(rc, 0);
    CHECK_MSG(fx.confirmed, "%s", fx.conclusion);
    CHECK_EQ(fx.extra, fx.pages); /* every page exclusive */
    if (fx.distinct_pfns >= 0)
        CHECK_EQ(fx.distinct_pfns, fx.pages);
}

TEST(faults_cow)
{
    inspect_fx_t fx;
    int rc;
    run_fx("cow", &fx, &rc);
    CHECK_EQ(rc, 0);
    CHECK_MSG(fx.confirmed, "%s", fx.conclusion);
    CHECK_EQ(fx.extra, fx.pages); /* all shared before the child's writes */
    CHECK(fx.minflt >= fx.pages);
}

TEST(faults_file)
{
    inspect_fx_t fx;
    int rc;
    run_fx("file", &fx, &rc);
    CHECK_EQ(rc, 0);
    CHECK_MSG(fx.confirmed, "%s", fx.conclusion);
    CHECK_EQ(fx.extra, 1); /* shared write visible, private write not */
}

TEST(faults_major)
{
    inspect_fx_t fx;
    struct statfs sf;
    const char *dir = getenv("TMPDIR");
    int rc;
    if (statfs(dir && *dir ? dir : "/tmp", &sf) == 0 && sf.f_type == 0x01021994 /* TMPFS_MAGIC */)
        SKIP("TMPDIR is on tmpfs: its pages cannot be dropped, so no major faults");
    run_fx("major", &fx, &rc);
    CHECK_EQ(rc, 0);
    if (fx.extra != 0)
        SKIP("the file system kept the file's pages cached after POSIX_FADV_DONTNEED");
    CHECK_MSG(fx.majflt > 0, "%s", fx.conclusion);
}
