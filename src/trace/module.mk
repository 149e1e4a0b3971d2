# src/trace/module.mk - the trace reader's build additions.
#
# The top Makefile's libzstd probe writes '\#include' through $(shell printf),
# which GNU make 4.3 passes on with the backslash, so it never finds zstd.
# Probe again without a '#' in the command (-include zstd.h); when found,
# zstd input is read (stream.c) and the library links with -lzstd.
ifneq ($(HAVE_ZSTD),1)
HAVE_ZSTD := $(shell echo 'int main(void){return ZSTD_versionNumber() == 0;}' | \
               $(CC) -x c -include zstd.h - -o /dev/null -lzstd >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_ZSTD),1)
CFLAGS += -DVMLAB_HAVE_ZSTD=1
LDLIBS += -lzstd
endif
endif
