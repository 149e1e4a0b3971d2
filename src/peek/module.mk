# SPDX-License-Identifier: MIT
# Programs the peek/scan tests run (no sanitizers: they are targets, and
# their memory must hold exactly what they plant): tests/peek/NAME.c ->
# $(BUILD)/tests/peek/NAME.
PEEK_TEST_PROGS := $(patsubst tests/peek/%.c,$(BUILD)/tests/peek/%,$(wildcard tests/peek/*.c))
MODULE_TARGETS  += $(PEEK_TEST_PROGS)

$(BUILD)/tests/peek/%: tests/peek/%.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(CFLAGS)) $< -o $@
