#!/usr/bin/env bash
# Modules compressed as kernels install them (Debian 6.12: .ko.xz): kmend
# reads them decompressed in memory (kmend info here; kmend build reads a
# fixed module's .ko.xz the same way, tests/vm/t3610), and a damaged one is
# an error naming the file and what to do, exit 1, never a crash or a
# half-read module.  zstd is refused, naming the file.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kbuild)
[ -z "$why" ] && ! command -v xz >/dev/null && why="no xz: apt-get install xz-utils"
if [ -n "$why" ]; then
	test_skip 'compressed modules' "$why"
	test_done
	exit
fi

test_expect_success 'a livepatch module, and its .ko.xz and .ko.gz' '
	km_write_version_patch . kmend_version_fix version_proc_show &&
	printf "obj-m := kmend_version_fix.o\n" >Kbuild &&
	km_build_modules "$PWD" &&
	xz -k kmend_version_fix.ko && gzip -k kmend_version_fix.ko &&
	ls kmend_version_fix.ko.xz kmend_version_fix.ko.gz
'

test_expect_success 'kmend info reads a .ko.xz and a .ko.gz as the .ko' '
	"$KMEND" info kmend_version_fix.ko | sed 1d >plain &&
	test_grep "^function: +vmlinux:version_proc_show,0$" plain &&
	for z in xz gz; do
		"$KMEND" info kmend_version_fix.ko.$z >$z.out &&
		test_grep "^file: +kmend_version_fix.ko.$z$" $z.out &&
		sed 1d $z.out | test_cmp plain - || exit 1
	done
'

test_expect_success 'a truncated .ko.xz: exit 1, the file named, how to check it' '
	size=$(stat -c %s kmend_version_fix.ko.xz) &&
	head -c $((size / 2)) kmend_version_fix.ko.xz >cut.ko.xz &&
	test_expect_code 1 "$KMEND" info cut.ko.xz >out 2>err &&
	test_grep "^kmend: error: cannot decompress .cut\.ko\.xz.: truncated xz data: the file is damaged or cut short \(xz -t .cut\.ko\.xz. tells\)" err &&
	test ! -s out
'

test_expect_success 'a corrupt .ko.xz (bytes changed inside): exit 1, named' '
	cp kmend_version_fix.ko.xz bad.ko.xz &&
	size=$(stat -c %s bad.ko.xz) &&
	printf "\377\377\377\377\377\377\377\377" |
		dd of=bad.ko.xz bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	! xz -t bad.ko.xz 2>/dev/null &&
	test_expect_code 1 "$KMEND" info bad.ko.xz 2>err &&
	test_grep "^kmend: error: cannot decompress .bad\.ko\.xz.: corrupt xz data: the file is damaged" err
'

test_expect_success 'a truncated .ko.gz: exit 1, named' '
	size=$(stat -c %s kmend_version_fix.ko.gz) &&
	head -c $((size / 2)) kmend_version_fix.ko.gz >cut.ko.gz &&
	test_expect_code 1 "$KMEND" info cut.ko.gz 2>err &&
	test_grep "^kmend: error: cannot decompress .cut\.ko\.gz.: truncated gzip data" err
'

test_expect_success 'a .ko.zst is refused: the file named, what to do' '
	{ printf "\050\265\057\375"; head -c 64 kmend_version_fix.ko; } >m.ko.zst &&
	test_expect_code 1 "$KMEND" info m.ko.zst 2>err &&
	test_grep "cannot read .m\.ko\.zst.: it is compressed with zstd, which kmend does not read .*decompress it with .zstd -d." err
'

test_expect_success 'a .ko.xz with a 1.5 GB dictionary is refused before liblzma allocates it' '
	xz -z --lzma2=dict=1536MiB -c kmend_version_fix.ko >hostile.ko.xz &&
	test_expect_code 1 "$KMEND" info hostile.ko.xz 2>err &&
	test_grep "cannot decompress .hostile\.ko\.xz.: xz data that needs more than 256 MB of memory" err
'

test_expect_success 'an empty .ko.xz is no module, not a crash' '
	: >empty.ko.xz &&
	test_expect_code 1 "$KMEND" info empty.ko.xz 2>err &&
	test_grep "empty\.ko\.xz.*not an ELF file" err
'

test_done
