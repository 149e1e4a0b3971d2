# SPDX-License-Identifier: MIT
# src/malloc/module.mk - the two LD_PRELOAD libraries of vmlab malloc.
#
#   $(BUILD)/libvmlab-record.so  record_shim.c: records a program's allocation
#                                stream for `vmlab malloc record` (glibc allocates)
#   $(BUILD)/libvmlab-malloc.so  preload.c over the allocator core: vmlab's
#                                designs as the program's malloc (docs/preload.md)
#
# Both are built from position-independent objects in $(BUILD)/pic, with every
# symbol hidden except the interposed ones (the shims mark those EXPORT), and
# never with sanitizers: `make asan` instruments vmlab itself, and an ASan
# runtime cannot be preloaded into an uninstrumented program (the preload
# tests skip there).  The shims stay out of libvmlab.a.

MALLOC_SHIM_SRCS := src/malloc/preload.c src/malloc/record_shim.c
LIB_EXCLUDE      += $(MALLOC_SHIM_SRCS)
# The core compiled into the drop-in: every allocator source of the module,
# without the shims and the parts only the command line uses.
MALLOC_SO_SKIP   := $(MALLOC_SHIM_SRCS) src/malloc/mrec.c src/malloc/replay.c src/malloc/mylab.c \
                    src/malloc/mgen.c
MALLOC_CORE_SRCS := $(filter-out $(MALLOC_SO_SKIP),$(sort $(wildcard src/malloc/*.c)))

MODULE_TARGETS   += $(BUILD)/libvmlab-record.so
ifeq ($(words $(wildcard src/malloc/preload.c include/vmlab/malloc.h)),2)
MODULE_TARGETS   += $(BUILD)/libvmlab-malloc.so
endif

PIC_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) -fPIC -fvisibility=hidden

# The shims define malloc & co.: the compiler must not treat their own calls
# as the builtins (folding a NULL check, or turning malloc + memset into a
# calloc that would recurse).
$(MALLOC_SHIM_SRCS:%.c=$(BUILD)/pic/%.o): PIC_CFLAGS += -fno-builtin-malloc -fno-builtin-calloc \
    -fno-builtin-realloc -fno-builtin-free

$(BUILD)/pic/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PIC_CFLAGS) -c $< -o $@

$(BUILD)/libvmlab-record.so: $(BUILD)/pic/src/malloc/record_shim.o
	$(CC) -shared -Wl,-z,defs $^ -o $@ -lpthread

$(BUILD)/libvmlab-malloc.so: $(BUILD)/pic/src/malloc/preload.o $(MALLOC_CORE_SRCS:%.c=$(BUILD)/pic/%.o)
	$(CC) -shared -Wl,-z,defs $^ -o $@ -lpthread

-include $(shell find $(BUILD)/pic -name '*.d' 2>/dev/null)

# Programs the preload and record tests run under LD_PRELOAD (so never with
# sanitizers either): tests/malloc/NAME.c -> $(BUILD)/tests/malloc/NAME.
MALLOC_TEST_PROGS := $(patsubst tests/malloc/%.c,$(BUILD)/tests/malloc/%,$(wildcard tests/malloc/*.c))
MODULE_TARGETS    += $(MALLOC_TEST_PROGS)

$(BUILD)/tests/malloc/%: tests/malloc/%.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(CFLAGS)) $< -o $@ -lpthread
