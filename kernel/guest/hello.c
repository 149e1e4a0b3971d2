// SPDX-License-Identifier: GPL-2.0
/*
 * hello.c - the CS:APP notes' victim: keep "hello" in memory, say where,
 * wait for the kernel module to rewrite it, print it again.
 *
 *   hello data|heap|stack|untouched|rodata|cow|walk INFOFILE
 *
 * Writes "PID ADDR PFN" to INFOFILE (ADDR in hex; PFN of ADDR's frame from
 * /proc/self/pagemap, 0 when the page is not present) and waits for SIGUSR1,
 * then prints "after: TEXT".  Where the string lives:
 *   data       a page-aligned array in .data (touched, writable, private)
 *   heap       malloc
 *   stack      main's frame
 *   untouched  a fresh anonymous mmap page, never touched: not present
 *   rodata     a string constant: read-only mapping
 *   cow        .data, but the process forks and the *child* reports and
 *              waits; the parent prints "parent: TEXT" after the child
 *              exits (copy-on-write: the parent must still say hello)
 *   walk       a 16 KiB private anonymous read-write mapping at
 *              WALK_BASE: page 1 written (the string), page 2 read (the
 *              shared zero page), pages 0 and 3 untouched; the layout
 *              kernel/compare-mm.py gives `vmlab mm` to compare ptdump's
 *              walks with the model's
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char data_buf[4096] __attribute__((aligned(4096))) = "hello";
static const char rodata_buf[] = "hello (read-only)";
static volatile sig_atomic_t go;

/* Where `hello walk` maps its 16 KiB (compare-mm.py's scenario says the same). */
#define WALK_BASE 0x7f0000000000UL

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static uint64_t pagemap_pfn(const void *p)
{
	uint64_t e = 0;
	long ps = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)p / ps) * 8) != 8)
		e = 0;
	close(fd);
	return (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
}

static void report_and_wait(const char *s, const char *info)
{
	char tmp[256];
	FILE *f;
	sigset_t mask, old;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	snprintf(tmp, sizeof tmp, "%s.tmp", info);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d %#lx %#llx\n", (int)getpid(), (unsigned long)(uintptr_t)s,
			  (unsigned long long)pagemap_pfn(s)) < 0 || fclose(f) != 0 ||
	    rename(tmp, info) != 0) {
		perror(info);
		exit(1);
	}
	while (!go)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char stack_buf[64] = "hello";
	const char *where, *info;
	char *s;

	if (argc != 3) {
		fprintf(stderr, "usage: hello data|heap|stack|untouched|rodata|cow|walk INFOFILE\n");
		return 2;
	}
	where = argv[1];
	info = argv[2];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	if (!strcmp(where, "data") || !strcmp(where, "cow")) {
		/* A write, as the notes' program does: until then the page is
		 * the executable's page-cache copy, mapped read-only. */
		s = data_buf;
		strcpy(s, "hello");
	} else if (!strcmp(where, "heap")) {
		s = malloc(64);
		if (!s)
			return 1;
		strcpy(s, "hello");
	} else if (!strcmp(where, "stack")) {
		s = stack_buf;
	} else if (!strcmp(where, "untouched")) {
		s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED)
			return 1;
	} else if (!strcmp(where, "walk")) {
		volatile char *base = mmap((void *)WALK_BASE, 16384, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (base != (volatile char *)WALK_BASE) {
			perror("hello: mmap at WALK_BASE");
			return 1;
		}
		s = (char *)base + 4096;
		strcpy(s, "hello");
		(void)base[8192]; /* a read: the zero page, read-only */
	} else if (!strcmp(where, "rodata")) {
		s = (char *)rodata_buf;
	} else {
		fprintf(stderr, "hello: unknown place '%s'\n", where);
		return 2;
	}
	if (!strcmp(where, "cow")) {
		pid_t child;
		int st;

		fflush(stdout);
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			printf("child before: %.5s\n", s);
			report_and_wait(s, info);
			printf("child after: %.5s\n", s);
			return 0;
		}
		waitpid(child, &st, 0);
		printf("parent after: %.5s\n", s);
		return 0;
	}
	/* Reading an untouched page would map the shared zero page. */
	if (strcmp(where, "untouched"))
		printf("before: %.5s\n", s);
	fflush(stdout);
	report_and_wait(s, info);
	printf("after: %.5s\n", s[0] ? s : "(zero)");
	return 0;
}
