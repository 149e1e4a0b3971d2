# SPDX-License-Identifier: MIT
# mk/install.mk - the shared library, man pages, pkg-config file, bash
# completion, and `make install` / `make uninstall` (GNU conventions: PREFIX,
# DESTDIR, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, PKGLIBDIR).
#
#   PREFIX/bin/vmlab
#   LIBDIR/libvmlab.a, libvmlab.so.$(SOVERSION) (+ the .so link), LIBDIR/pkgconfig/vmlab.pc
#   PKGLIBDIR/*.so             the preload libraries (vmlab finds them there: cli_find_lib)
#   INCLUDEDIR/vmlab/*.h       the public headers only (each compiles on its own)
#   MANDIR/man1/vmlab.1, MANDIR/man3/*.3
#   share/bash-completion/completions/vmlab
#
# The man page vmlab(1) is made from man/vmlab.1.in (the hand-written parts)
# and every command's own --help (one section each), so it cannot drift from
# the program; man/*.3 are kept as written.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGLIBDIR  ?= $(PREFIX)/lib/vmlab
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION    := $(shell sed -n 's/^#define VMLAB_VERSION "\(.*\)"/\1/p' src/cli/main.c)
SOVERSION  := 0
INSTALL    ?= install

# The binary looks for its preload libraries in PKGLIBDIR as well.
$(BUILD)/obj/src/cli/main.o: CFLAGS += -DVMLAB_PKGLIBDIR='"$(PKGLIBDIR)"'

SHLIB      := $(BUILD)/libvmlab.so.$(SOVERSION)
SO_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/so/%.o)
MAN_PAGES  := $(BUILD)/man/vmlab.1 $(patsubst man/%,$(BUILD)/man/%,$(wildcard man/*.3))
PUB_HDRS   := $(sort $(wildcard include/vmlab/*.h))
PRELOADS    = $(filter %.so,$(MODULE_TARGETS))

ifeq ($(filter -fsanitize=%,$(OPT)),)
MODULE_TARGETS += $(SHLIB) $(BUILD)/vmlab.pc $(MAN_PAGES) $(BUILD)/vmlab.bash
endif

# Position-independent objects with default visibility (the preload libraries'
# $(BUILD)/pic objects hide everything but malloc & co.).
$(BUILD)/so/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) -fPIC -c $< -o $@

$(SHLIB): $(SO_OBJS)
	$(CC) -shared -Wl,-soname,libvmlab.so.$(SOVERSION) -Wl,-z,defs $^ -o $@ $(LDLIBS)

# Made at install time too: its paths are install's PREFIX, not the build's.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|; s|@LIBS@|$(LDLIBS)|' mk/vmlab.pc.in
$(BUILD)/vmlab.pc: mk/vmlab.pc.in src/cli/main.c
	@mkdir -p $(@D)
	$(PC_SED) > $@

$(BUILD)/man/vmlab.1: man/vmlab.1.in scripts/mkman.sh $(VMLAB)
	@mkdir -p $(@D)
	sh scripts/mkman.sh $(VMLAB) $(VERSION) man/vmlab.1.in > $@.tmp && mv $@.tmp $@

$(BUILD)/man/%.3: man/%.3
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|g' $< > $@

$(BUILD)/vmlab.bash: scripts/vmlab.bash
	cp $< $@

.PHONY: install uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PKGLIBDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/vmlab $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(VMLAB) $(DESTDIR)$(BINDIR)/vmlab
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libvmlab.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libvmlab.so.$(SOVERSION)
	ln -sf libvmlab.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libvmlab.so
	$(PC_SED) > $(DESTDIR)$(LIBDIR)/pkgconfig/vmlab.pc
	$(if $(PRELOADS),$(INSTALL) -m 755 $(PRELOADS) $(DESTDIR)$(PKGLIBDIR)/)
	$(INSTALL) -m 644 $(PUB_HDRS) $(DESTDIR)$(INCLUDEDIR)/vmlab/
	$(INSTALL) -m 644 $(BUILD)/man/vmlab.1 $(DESTDIR)$(MANDIR)/man1/
	$(if $(filter %.3,$(MAN_PAGES)),$(INSTALL) -m 644 $(filter %.3,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man3/)
	$(INSTALL) -m 644 $(BUILD)/vmlab.bash $(DESTDIR)$(BASHCOMPDIR)/vmlab

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmlab $(DESTDIR)$(LIBDIR)/libvmlab.a \
	    $(DESTDIR)$(LIBDIR)/libvmlab.so $(DESTDIR)$(LIBDIR)/libvmlab.so.$(SOVERSION) \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/vmlab.pc $(DESTDIR)$(MANDIR)/man1/vmlab.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/vmlab \
	    $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(filter %.3,$(MAN_PAGES)))) \
	    $(addprefix $(DESTDIR)$(INCLUDEDIR)/vmlab/,$(notdir $(PUB_HDRS))) \
	    $(addprefix $(DESTDIR)$(PKGLIBDIR)/,$(notdir $(PRELOADS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/vmlab $(DESTDIR)$(PKGLIBDIR) 2>/dev/null

-include $(shell find $(BUILD)/so -name '*.d' 2>/dev/null)
