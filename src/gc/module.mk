# SPDX-License-Identifier: MIT
# src/gc/module.mk - the leak finder's LD_PRELOAD library (docs/gc.md).  The
# collector itself is in libvmlab.a and libvmlab.so like every module.
#
#   $(BUILD)/libvmlab-gcleaks.so  leaks.c over the collector: the malloc family
#                                 from the collector's heap, a leak report at
#                                 exit (`vmlab gc leaks`)
#
# Built from position-independent objects in $(BUILD)/pic (the pattern rule of
# src/malloc/module.mk), never with sanitizers (an ASan runtime cannot be
# preloaded into an uninstrumented program).  leaks.c stays out of libvmlab.a.

GC_SHIM_SRCS := src/gc/leaks.c
LIB_EXCLUDE  += $(GC_SHIM_SRCS)
GC_CORE_SRCS := src/gc/gc.c src/gc/gc_mark.c src/gc/gc_roots.c
MODULE_TARGETS += $(BUILD)/libvmlab-gcleaks.so

$(BUILD)/pic/src/gc/leaks.o: PIC_CFLAGS += -fno-builtin-malloc -fno-builtin-calloc \
    -fno-builtin-realloc -fno-builtin-free

$(BUILD)/libvmlab-gcleaks.so: $(BUILD)/pic/src/gc/leaks.o $(GC_CORE_SRCS:%.c=$(BUILD)/pic/%.o)
	$(CC) -shared -Wl,-z,defs $^ -o $@ -lpthread -lgcc_s -ldl

# Programs with known leaks that the leak finder's tests run (with -g, no
# sanitizers): tests/gc/NAME.c -> $(BUILD)/tests/gc/NAME.
GC_TEST_PROGS  := $(patsubst tests/gc/%.c,$(BUILD)/tests/gc/%,$(wildcard tests/gc/*.c))
MODULE_TARGETS += $(GC_TEST_PROGS)

$(BUILD)/tests/gc/%: tests/gc/%.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(CFLAGS)) -g $< -o $@ -lpthread
