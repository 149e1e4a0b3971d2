/* SPDX-License-Identifier: MIT */
/*
 * cmd_kernel.c - `vmlab kernel build | run --list | run NAME [--output json]`:
 * the kernel lab (docs/kernel-lab.md).  The work is done by the runner
 * kernel/vmlab-kernel.sh (GPL-2.0, like everything under kernel/): it builds
 * Debian's linux-source-6.1 with the lab's patches and modules, boots it in
 * qemu-system-x86_64 -smp 4 and runs one guest test.  This command finds the
 * runner beside the vmlab binary and hands it the arguments; its exit status
 * is the runner's (0 built / passed, 1 failed or timed out, 2 usage).
 *
 * Where the runner is: $VMLAB_KERNEL_DIR/vmlab-kernel.sh, else the first
 * kernel/vmlab-kernel.sh found going up from the binary's directory
 * (build/vmlab and build/clang/vmlab both find the source tree's kernel/).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char kernel_help[] =
    "usage: vmlab kernel build\n"
    "       vmlab kernel run --list\n"
    "       vmlab kernel run NAME [--output text|json] [--timeout SECONDS]\n"
    "\n"
    "The kernel lab: Linux 6.1 from Debian's linux-source-6.1 with SCHED_WRR and\n"
    "the lab's modules, booted in qemu-system-x86_64 -smp 4 (KVM when it works,\n"
    "TCG otherwise).  build unpacks, patches, configures and builds into\n"
    "build/kernel/ (incremental); run boots the kernel with an initramfs, runs\n"
    "one guest test, prints its checks (or its JSON) and powers the guest off.\n"
    "\n"
    "  --list              the tests and what each checks\n"
    "  --output json       the test's figures and checks as one JSON object\n"
    "  --timeout SECONDS   stop QEMU after this long (default 300) and print\n"
    "                      the console's last lines\n"
    "  environment: VMLAB_KERNEL_DIR (the kernel/ directory), VMLAB_BUILD,\n"
    "  VMLAB_JOBS (make -j, default 2), VMLAB_ACCEL=tcg (never try KVM)\n"
    "\n"
    "Needs: linux-source-6.1 qemu-system-x86 busybox-static bc flex bison\n"
    "libelf-dev libssl-dev cpio (Debian packages).  See docs/kernel-lab.md.\n"
    "\n"
    "example: vmlab kernel build && vmlab kernel run pagewrite\n";

/* dir/kernel/vmlab-kernel.sh into buf if it exists; 0 or -ENOENT. */
static int kernel_try(const char *dir, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/vmlab-kernel.sh", dir);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return access(buf, R_OK) == 0 ? 0 : -ENOENT;
}

static int kernel_find(char *buf, size_t size)
{
    const char *env = getenv("VMLAB_KERNEL_DIR");
    char dir[PATH_MAX], try[PATH_MAX + 16];
    ssize_t len;

    if (env && *env)
        return kernel_try(env, buf, size);
    len = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (len <= 0)
        return -ENOENT;
    dir[len] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
        if ((size_t)snprintf(try, sizeof try, "%s/kernel", dir[0] ? dir : "") >= sizeof try)
            break;
        if (kernel_try(try, buf, size) == 0)
            return 0;
    }
    return -ENOENT;
}

int cmd_kernel(int argc, char **argv)
{
    char script[PATH_MAX + 32];
    char **args;

    if (argc < 2)
        return cli_usage("kernel", "expected build or run");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(kernel_help, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "build") && strcmp(argv[1], "run"))
        return cli_usage("kernel", "unknown subcommand '%s' (expected build or run)", argv[1]);
    if (kernel_find(script, sizeof script)) {
        cli_error("kernel: kernel/vmlab-kernel.sh not found beside the vmlab binary "
                  "(expected a source tree; set VMLAB_KERNEL_DIR to its kernel/ directory)");
        return CLI_ERR;
    }
    args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) {
        cli_error("kernel: out of memory");
        return CLI_ERR;
    }
    args[0] = "sh";
    args[1] = script;
    for (int i = 1; i < argc; i++)
        args[i + 1] = argv[i];
    fflush(stdout);
    execv("/bin/sh", args);
    cli_error("kernel: cannot run /bin/sh %s: %s", script, strerror(errno));
    free(args);
    return CLI_ERR;
}
