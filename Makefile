# kmend: one non-recursive Makefile.
#   make                 build build/kmend, the static kmend the test VM runs,
#                        and the man pages
#   make check           the whole test suite (unit, differ, CLI, VM)
#   make demo            install what is needed, build a live patch, prove it in a VM
#   make bench           build-time benchmark (warm, cold cache, vmlinux)
#   make install         PREFIX=/usr/local DESTDIR=
#   V=1                  full command lines
#   DEVELOPER=1          -Werror and extra warnings
#   SANITIZE=address,undefined   sanitizer build
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib/kmend
DOCDIR     ?= $(PREFIX)/share/doc/kmend
CC         ?= gcc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
O          := build

ELF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libdw libelf liblzma zlib 2>/dev/null)
ELF_LIBS   := $(shell $(PKG_CONFIG) --libs libdw libelf liblzma zlib 2>/dev/null || echo -ldw -lelf -llzma -lz)

# lib/ by pipeline stage: elf (the object model), arch, source (patches,
# line directives), kernel (target, tree, Kbuild, symbols), differ, module
# (the generated live patch), runtime (loading, the VM).
LIB_DIRS     := lib lib/elf lib/arch lib/source lib/kernel lib/differ \
                lib/module lib/runtime lib/proof
LIB_INCLUDES := $(addprefix -I,$(LIB_DIRS))

KM_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
              $(LIB_INCLUDES) -Icli $(ELF_CFLAGS) -MMD -MP \
              -DKMEND_LIBDIR='"$(LIBDIR)"' 
ifdef DEVELOPER
KM_CFLAGS  += -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
              -Wmissing-prototypes -Wpointer-arith -Wvla
endif
ifdef SANITIZE
KM_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

.DELETE_ON_ERROR:
.SUFFIXES:
KMEND_VERSION_STR ?= 0.1

.PHONY: all man deb check check-unit demo bench install clean static fuzz fuzz-build

LIB_SRCS := $(wildcard lib/*.c lib/*/*.c)
CLI_SRCS := $(wildcard cli/*.c)
UNIT_SRCS := $(wildcard tests/unit/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)

MAN_PAGES := $(patsubst docs/%.md,$(O)/man/%.1,$(wildcard docs/kmend-*.md))

all: $(O)/kmend $(O)/kmend-static man

# A man page per command, from its docs page (scripts/md2man).
man: $(MAN_PAGES)
$(O)/man/%.1: docs/%.md scripts/md2man
	$(quiet) MAN $@
	$(Q)mkdir -p $(@D)
	$(Q)scripts/md2man $< $@ $(KMEND_VERSION_STR)

# The kmend package itself (the static kmend, kmend.service, the man
# pages); 'kmend package MODULE.ko' makes the live patches' packages.
deb: all
	$(Q)$(O)/kmend package --tool --static $(O)/kmend-static \
		--unit systemd/kmend.service --man $(O)/man -o $(O) \
		-V $(KMEND_VERSION_STR)

$(O)/%.o: %.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KM_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/libkmend.a: $(LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(O)/kmend: $(CLI_OBJS) $(O)/libkmend.a
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ELF_LIBS)

# A static kmend runs inside the test VM's initramfs.
static: $(O)/kmend-static
$(O)/kmend-static: $(CLI_OBJS) $(O)/libkmend.a
	$(quiet) LD $@
	$(Q)$(CC) -static $(CFLAGS) -o $@ $^ -ldw -lbz2 -lelf -llzma -lz -pthread 2>/dev/null

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libkmend.a
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ELF_LIBS)

check: all static $(UNIT_BINS)
	$(Q)KMEND=$(CURDIR)/$(O)/kmend tests/run

# libFuzzer targets: the library built again with clang and sanitizers
# into $(O)/fuzz/; make fuzz runs each in turn for FUZZ_SECONDS over its
# corpus (tests/fuzz/corpus/<target>, grown in $(O)/fuzz/corpus).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)
FUZZ_OBJS    := $(LIB_SRCS:%.c=$(O)/fuzz/%.o)

$(O)/fuzz/%.o: %.c
	$(quiet) FUZZCC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(KM_CFLAGS) -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_BINS): $(O)/fuzz/%: $(O)/fuzz/tests/fuzz/%.o $(FUZZ_OBJS)
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(ELF_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run $(O)/fuzz $(FUZZ_SECONDS)

demo:
	$(Q)scripts/install-deps
	$(Q)$(MAKE) --no-print-directory all static
	$(Q)scripts/demo

bench: all static
	$(Q)scripts/bench

install: all static
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(O)/kmend $(DESTDIR)$(BINDIR)/kmend
	install -m 0755 $(O)/kmend-static $(DESTDIR)$(LIBDIR)/kmend-static
	install -d $(DESTDIR)$(LIBDIR)/include/kmend $(DESTDIR)$(LIBDIR)/include/linux
	install -m 0644 include/kpatch-macros.h include/kpatch-syscall.h \
		$(DESTDIR)$(LIBDIR)/include/
	install -m 0644 include/kmend/livepatch.h $(DESTDIR)$(LIBDIR)/include/kmend/
	install -m 0644 include/linux/livepatch_helpers.h \
		$(DESTDIR)$(LIBDIR)/include/linux/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 completion/kmend.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/kmend
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/bin/kmend|$(BINDIR)/kmend|' systemd/kmend.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/kmend.service

clean:
	rm -rf $(O)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_SRCS:%.c=$(O)/%.d)
-include $(FUZZ_OBJS:.o=.d) $(FUZZ_SRCS:%.c=$(O)/fuzz/%.d)
