#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Makes a malformed copy of a 64-bit little-endian ELF object, for the
tests of kmend's input checks (tests/cli/t1801-bad-input.sh).

    badelf.py IN.o OUT.o EDIT...

Each EDIT changes one field, naming sections and symbols by name:
    shdr:SECTION:FIELD=VALUE     a section header field (name type flags
                                 addr offset size link info addralign entsize)
    sym:SYMBOL:FIELD=VALUE       a symbol of .symtab (name info other shndx
                                 value size)
    rela:SECTION:N:FIELD=VALUE   the Nth entry of a SHT_RELA section
                                 (offset info addend)
    ehdr:FIELD=VALUE             e_shstrndx or e_shnum
VALUE is a number (0x.. allowed) or, for shdr link/info, @SECTION for that
section's index.
"""
import struct
import sys

EHDR = struct.Struct('<16sHHIQQQIHHHHHH')
SHDR = struct.Struct('<IIQQQQIIQQ')
SYM = struct.Struct('<IBBHQQ')
RELA = struct.Struct('<QQq')
SHDR_FIELDS = ('name', 'type', 'flags', 'addr', 'offset', 'size', 'link',
               'info', 'addralign', 'entsize')
SYM_FIELDS = ('name', 'info', 'other', 'shndx', 'value', 'size')
RELA_FIELDS = ('offset', 'info', 'addend')
EHDR_FIELDS = ('ident', 'type', 'machine', 'version', 'entry', 'phoff',
               'shoff', 'flags', 'ehsize', 'phentsize', 'phnum',
               'shentsize', 'shnum', 'shstrndx')


class Elf:
    def __init__(self, data):
        self.data = bytearray(data)
        self.eh = list(EHDR.unpack_from(self.data, 0))
        self.shoff = self.eh[6]
        self.shnum = self.eh[12]
        self.shdrs = [list(SHDR.unpack_from(self.data, self.shoff + i * 64))
                      for i in range(self.shnum)]
        strtab = self.shdrs[self.eh[13]]
        self.names = [self.cstr(strtab[4] + sh[0]) for sh in self.shdrs]

    def cstr(self, off):
        end = self.data.index(b'\0', off)
        return self.data[off:end].decode()

    def section(self, name):
        if name not in self.names:
            sys.exit('badelf: no section %s' % name)
        return self.names.index(name)

    def write_shdr(self, i):
        SHDR.pack_into(self.data, self.shoff + i * 64, *self.shdrs[i])

    def symtab(self):
        i = [sh[1] for sh in self.shdrs].index(2)	# SHT_SYMTAB
        return self.shdrs[i]

    def symbol_offset(self, name):
        sh = self.symtab()
        strtab = self.shdrs[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            sym = SYM.unpack_from(self.data, off)
            if sym[0] and self.cstr(strtab[4] + sym[0]) == name:
                return off
        sys.exit('badelf: no symbol %s' % name)


def number(elf, value):
    if value.startswith('@'):
        return elf.section(value[1:])
    return int(value, 0)


def edit(elf, spec):
    what, rest = spec.split(':', 1)
    path, value = rest.rsplit('=', 1)
    parts = path.split(':')
    if what == 'shdr':
        i = elf.section(parts[0])
        elf.shdrs[i][SHDR_FIELDS.index(parts[1])] = number(elf, value)
        elf.write_shdr(i)
    elif what == 'sym':
        off = elf.symbol_offset(parts[0])
        sym = list(SYM.unpack_from(elf.data, off))
        sym[SYM_FIELDS.index(parts[1])] = number(elf, value)
        SYM.pack_into(elf.data, off, *sym)
    elif what == 'rela':
        sh = elf.shdrs[elf.section(parts[0])]
        off = sh[4] + int(parts[1]) * 24
        rela = list(RELA.unpack_from(elf.data, off))
        rela[RELA_FIELDS.index(parts[2])] = number(elf, value)
        RELA.pack_into(elf.data, off, *rela)
    elif what == 'ehdr':
        elf.eh[EHDR_FIELDS.index(parts[0])] = number(elf, value)
        EHDR.pack_into(elf.data, 0, *elf.eh)
    else:
        sys.exit('badelf: unknown edit %s' % spec)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    with open(sys.argv[1], 'rb') as f:
        elf = Elf(f.read())
    for spec in sys.argv[3:]:
        edit(elf, spec)
    with open(sys.argv[2], 'wb') as f:
        f.write(elf.data)


main()
