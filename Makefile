# SPDX-License-Identifier: MIT
# vmlab build.
#
# Layout (docs/ARCHITECTURE.md): every src/<module>/*.c except src/cli/ goes into
# $(BUILD)/libvmlab.a; src/cli/*.c links with it into $(BUILD)/vmlab; each
# tests/test_<name>.c is its own test binary; tests/test_<name>.sh are shell tests.
# A module may add rules of its own in src/<module>/module.mk (for example a
# shared library), and list sources that must stay out of libvmlab.a in LIB_EXCLUDE.
#
#   make            build everything into build/
#   make check      run every test; the last line is "N passed, N failed"
#   make asan       the same under ASan + UBSan, with the debug checkers on
#   make demo       the main job on bundled data
#   make bench      benchmarks (figures go to BENCHMARKS.md)
#   make CC=clang   must be as clean as gcc

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
DEFS    ?=
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef -Wno-unused-parameter
CFLAGS  := -std=gnu11 $(WARN) $(OPT) $(DEFS) -D_GNU_SOURCE -Iinclude -Isrc -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS ?=
LDLIBS  := -lz -lm -lpthread

# libzstd is optional: found at build time, otherwise zstd input says so clearly.
# (No '#' in the probe: GNU make 4.3 would pass a '\#' on with its backslash.)
HAVE_ZSTD := $(shell echo 'int main(void){return ZSTD_versionNumber() == 0;}' | \
               $(CC) -x c -include zstd.h - -o /dev/null -lzstd >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_ZSTD),1)
CFLAGS += -DVMLAB_HAVE_ZSTD=1
LDLIBS += -lzstd
endif

# What the objects were built with: when it changes (libzstd-dev installed
# since the last build, other OPT or DEFS), every object is rebuilt, so no
# `make clean` is needed.
CONFIG_STAMP := $(BUILD)/config.stamp
CONFIG_NOW   := cc=$(CC) zstd=$(HAVE_ZSTD) opt=$(OPT) defs=$(DEFS) extra=$(EXTRA_CFLAGS)
$(shell mkdir -p $(BUILD) && [ "$$(cat $(CONFIG_STAMP) 2>/dev/null)" = "$(CONFIG_NOW)" ] || \
        printf '%s' "$(CONFIG_NOW)" > $(CONFIG_STAMP))

# Module files come before `all` (its prerequisites include MODULE_TARGETS),
# so their first rule would become the default goal: name it here, once.
.DEFAULT_GOAL := all
LIB_EXCLUDE :=
-include $(wildcard src/*/module.mk)

LIB_SRCS  := $(filter-out src/cli/% $(LIB_EXCLUDE),$(sort $(wildcard src/*/*.c)))
CLI_SRCS  := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_HARNESS := tests/harness.c

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
LIB       := $(BUILD)/libvmlab.a
VMLAB     := $(BUILD)/vmlab

include mk/install.mk

.PHONY: all check asan demo bench clean format fuzz kernel kernel-check
.SECONDARY:
all: $(LIB) $(VMLAB) $(TEST_BINS) $(MODULE_TARGETS)

$(BUILD)/obj/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(VMLAB): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $(CLI_OBJS) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/obj/tests/harness.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(BUILD)/obj/tests/harness.o $(LIB) $(LDLIBS) -o $@

# Every test binary and shell test; tests/run.sh sums them into one last line.
# `make check -jN` runs N at a time (each test's output kept together).
check: all
	@RUN_JOBS='$(filter -j%,$(MAKEFLAGS))' VMLAB=$(abspath $(VMLAB)) BUILD=$(abspath $(BUILD)) \
	  SHARED=$(abspath ../shared) sh tests/run.sh $(TEST_BINS) $(sort $(wildcard tests/test_*.sh))

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer,
# with VMLAB_DEBUG so every data structure's checker runs after every operation.
asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  DEFS=-DVMLAB_DEBUG=1 LDFLAGS="-fsanitize=address,undefined" check

# The kernel lab (docs/kernel-lab.md): Linux 6.1 with SCHED_WRR and the lab's
# modules into build/kernel/, then every guest test in QEMU.  Not part of
# `make check`: it needs linux-source-6.1, qemu-system-x86 and busybox-static.
kernel: $(VMLAB)
	$(VMLAB) kernel build

kernel-check: kernel
	@VMLAB=$(abspath $(VMLAB)) sh kernel/check-all.sh

demo: all
	@sh scripts/demo.sh $(VMLAB)

bench: all
	@sh bench/run.sh $(abspath $(BUILD))

format:
	clang-format -i $(wildcard include/vmlab/*.h src/*/*.[ch] tests/*.[ch] bench/*.c fuzz/*.c)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
