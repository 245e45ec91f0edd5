#!/bin/sh
# Runs at each boot of the Debian 12 VM of t3400, under systemd
# (kmend-test-hook.service), from the payload disk.  Boot 1 installs the
# live patch's package with apt from the payload's APT repository; boot 2
# finds it loaded by kmend.service, then removes the package.
# shellcheck disable=SC2016 # sh -c bodies expand later
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
krel=$(uname -r)
pkg=kmend-patch-ver-a-$krel
ORIG="Linux version $krel"
patched() { [ "$(cat /proc/version)" = "patched by ver_a" ]; }
unpatched() { case $(cat /proc/version) in "$ORIG"*) return 0 ;; esac; return 1; }
state=/var/lib/kmend-test-boot
boot=$(( $(cat $state 2>/dev/null || echo 0) + 1 ))
echo $boot >$state
sync
echo "# boot $boot of $krel under $(cat /proc/1/comm)"

if [ $boot = 1 ]; then
	rm -f /etc/apt/sources.list
	echo "deb [trusted=yes] file:/payload/repo ./" >/etc/apt/sources.list.d/kmend-test.list
	check "apt-get update from the local repository" apt-get update -q
	check "the machine runs the kernel the patch is for, unpatched" unpatched
	apt-get install -y -q "$pkg" >apt.log 2>&1; rc=$?
	sed 's/^/#   /' apt.log
	check "apt-get install $pkg (exit 0)" [ $rc -eq 0 ]
	check "apt pulled in kmend" sh -c 'dpkg -s kmend | grep -q "^Status: install ok installed"'
	check "the package is installed" sh -c "dpkg -s $pkg | grep -q '^Status: install ok installed'"
	check "its postinst applied the live patch" patched
	check "and installed it for the next boots" test -f "/var/lib/kmend/$krel/ver_a.ko"
	check "kmend.service is enabled" sh -c 'systemctl is-enabled kmend.service | grep -qx enabled'
	kmend status | sed 's/^/#   /'
	sync
	exit 0
fi

check "kmend.service ran at boot and succeeded" sh -c 'systemctl is-active kmend.service | grep -qx active'
journalctl -b -u kmend.service --no-pager | sed 's/^/#   /'
check "kmend.service loaded the installed patch" sh -c "journalctl -b -u kmend.service --no-pager | grep -q \"'ver_a' applied in\""
check "the live patch is applied after the reboot" patched
check "kmend.service ran early, before sysinit.target" sh -c '
	a=$(systemctl show -P ExecMainExitTimestampMonotonic kmend.service)
	b=$(systemctl show -P ActiveEnterTimestampMonotonic sysinit.target)
	[ "$a" -gt 0 ] && [ "$a" -lt "$b" ]'
apt-get remove -y -q "$pkg" >apt.log 2>&1; rc=$?
sed 's/^/#   /' apt.log
check "apt-get remove $pkg (exit 0)" [ $rc -eq 0 ]
check "its prerm unloaded the patch: the kernel is as it was" unpatched
check "the patch's module is gone" sh -c '! grep -q "^ver_a " /proc/modules && [ ! -d /sys/kernel/livepatch/ver_a ]'
check "it is no longer installed for the next boots" test ! -e "/var/lib/kmend/$krel/ver_a.ko"
check "the package is gone" sh -c "! dpkg -s $pkg 2>/dev/null | grep -q '^Status: install ok installed'"
if dmesg | grep -E "Oops|WARNING:|BUG:|Call Trace"; then
	fail "kernel log clean"
else
	ok "kernel log clean"
fi
