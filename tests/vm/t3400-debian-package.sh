#!/usr/bin/env bash
# The real parts as they run: a Debian 12 userland (scripts/debian-rootfs,
# built once with debootstrap and cached) boots the target kernel under
# QEMU with systemd.  Boot 1: 'apt-get install' of the live patch's
# package (kmend package) from a local APT repository pulls in the kmend
# package (make deb), and its postinst installs and applies the patch.
# Boot 2: kmend.service has loaded the installed patch early at boot;
# 'apt-get remove' takes it off and uninstalls it.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"
. "$TEST_DIR/vm/lib/operate.sh"

why=$(km_why_no_vm)
[ -z "$why" ] && ! command -v debootstrap >/dev/null && why="no debootstrap: run scripts/install-deps"
[ -z "$why" ] && ! command -v dpkg-scanpackages >/dev/null && why="no dpkg-scanpackages: install dpkg-dev"
[ -z "$why" ] && [ "$(id -u)" != 0 ] && why="not root (debootstrap)"
if [ -n "$why" ]; then
	test_skip 'a Debian userland installs a live patch with apt' "$why"
	test_done
	exit
fi
BIN=$(dirname "$KMEND")

# boot_debian LOG: one boot of root.img with payload.img; the console in LOG
boot_debian() {
	timeout 900 qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
		-nographic -no-reboot -nic none \
		-kernel "/boot/vmlinuz-$KREL" -initrd stage1.gz \
		-drive file=root.img,format=raw,if=virtio \
		-drive file=payload.img,format=raw,if=virtio \
		-append "console=ttyS0 panic=-1 quiet" </dev/null >"$1" 2>&1
	tr -d '\r' <"$1" >"$1.txt"
	grep -q "^@@kmend-boot-done 0" "$1.txt" ||
		{ tail -40 "$1.txt"; return 1; }
}

test_expect_success 'the Debian 12 userland image (cached)' '
	"$SRC_DIR/scripts/debian-rootfs" "$KREL" root.img
'

test_expect_success 'stage 1: busybox mounts the image and starts systemd' '
	mkdir -p s1/bin s1/mods s1/proc s1/sys s1/dev s1/newroot &&
	cp /bin/busybox s1/bin/ &&
	for m in virtio_pci virtio_blk crc32c_generic ext4; do
		modprobe -S "$KREL" --show-depends "$m" || exit 1
	done | sed -n "s/^insmod \([^ ]*\).*/\1/p" | awk "!seen[\$0]++" >mods &&
	test_grep "/ext4.ko$" mods && test_grep "/virtio_blk.ko$" mods &&
	test -s mods &&
	while read -r m; do cp "$m" s1/mods/; basename "$m"; done <mods >s1/mods/order &&
	cat >s1/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
	while read -r m; do insmod "/mods/$m"; done </mods/order
	for i in $(seq 100); do [ -b /dev/vda ] && break; sleep 0.1; done
	mount -t ext4 /dev/vda /newroot || { echo "stage 1: cannot mount /dev/vda"; poweroff -f; }
	umount /proc /sys; mount --move /dev /newroot/dev
	exec switch_root /newroot /lib/systemd/systemd
	EOF
	chmod +x s1/init &&
	(cd s1 && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >stage1.gz
'

test_expect_success 'the packages: kmend (make deb) and the live patch (kmend package)' '
	km_write_text_patch . ver_a "patched by ver_a" 0 &&
	echo "obj-m := ver_a.o" >Kbuild &&
	km_build_modules "$PWD" &&
	mkdir -p payload/repo &&
	"$KMEND" package --tool --static "$BIN/kmend-static" \
		--unit "$SRC_DIR/systemd/kmend.service" --man "$BIN/man" \
		-o payload/repo -V 0.1 &&
	"$KMEND" package -o payload/repo -V 1 ver_a.ko >deb &&
	dpkg-deb --info "$(cat deb)" >info &&
	cat info >&2 &&
	kv=$(dpkg-query -W -f="\${Version}" "linux-image-$KREL") &&
	test_grep "^ Depends: kmend, linux-image-$KREL \(= $kv\)$" info &&
	(cd payload/repo && dpkg-scanpackages -m . >Packages 2>/dev/null) &&
	test_grep "^Package: kmend$" payload/repo/Packages &&
	cp "$TEST_DIR/vm/lib/debian-boot.sh" payload/boot.sh &&
	mkfs.ext4 -q -L payload -d payload payload.img 64M
'

test_expect_success 'boot 1: apt installs the package, its postinst applies the patch' '
	boot_debian boot1.log &&
	grep -E "^(not )?ok |^# " boot1.log.txt >&2 &&
	test_grep "^# boot 1 of $KREL under systemd$" boot1.log.txt &&
	test_grep -v "^not ok" boot1.log.txt &&
	test $(grep -c "^ok " boot1.log.txt) = 8
'

test_expect_success 'boot 2: kmend.service loaded it at boot; apt remove takes it off' '
	boot_debian boot2.log &&
	grep -E "^(not )?ok |^# " boot2.log.txt >&2 &&
	test_grep "^# boot 2 of $KREL under systemd$" boot2.log.txt &&
	test_grep -v "^not ok" boot2.log.txt &&
	test $(grep -c "^ok " boot2.log.txt) = 10
'

test_done
