# SPDX-License-Identifier: MIT
# mrc: the stack-distance engines count bits in 64-bit words all the time;
# where the build machine has the POPCNT instruction, let the compiler use it
# (otherwise __builtin_popcountll is a libgcc call).
MRC_POPCNT := $(shell grep -qw popcnt /proc/cpuinfo 2>/dev/null && \
                echo 'int main(void){return 0;}' | $(CC) -mpopcnt -x c - -o /dev/null 2>/dev/null && echo -mpopcnt)
$(BUILD)/obj/src/mrc/%.o: CFLAGS += $(MRC_POPCNT)
