#!/usr/bin/env bash
# The builder's shell does not reach the kernel's build.  Kbuild, Kconfig,
# GNU make and gcc read variables from the environment (LLVM=1 compiles with
# clang, CROSS_COMPILE names another compiler, KCONFIG_CONFIG another
# .config, MAKEFILES makefiles to read first, KBUILD_MODPOST_NOFINAL skips
# the final link, ...); kmend removes them from every make it runs.  Shown
# the whole way (no kept environments, so the top-level Makefiles run) and
# direct: a module built under such an environment is the one built under
# a clean one, and the environments kmend keeps are the same bytes.  On the
# real kernel; no VM.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kernel_build)
if [ -n "$why" ]; then
	test_skip 'kmend build under a hostile environment' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
KCACHE=$KMEND_TEST_CACHE/$KREL
FIX=$SRC_DIR/examples/cmdline/fix.patch

build() {
	"$KMEND" -v build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# every variable below changes what Kbuild, make or gcc do when it reaches them
hostile() {
	env LLVM=1 LLVM_IAS=0 CROSS_COMPILE=kmend-bogus- \
		KCONFIG_CONFIG=/nonexistent/config KBUILD_KCONFIG=/nonexistent \
		KBUILD_ABS_SRCTREE=1 KBUILD_MODPOST_NOFINAL=1 KBUILD_VERBOSE=1 \
		KBUILD_EXTRA_WARN=123 KBUILD_EXTMOD=/nonexistent \
		MAKEFILES="$PWD/evil.mk" GCC_EXEC_PREFIX=/nonexistent/ \
		COMPILER_PATH=/nonexistent DEPENDENCIES_OUTPUT="$PWD/deps.out" \
		SUNPRO_DEPENDENCIES="$PWD/deps.out" "$@"
}

test_expect_success 'a module built under a clean environment, the environments kept' '
	build -o clean.ko "$FIX" >out 2>err &&
	km_module_view clean.ko >clean.view &&
	env=$(ls "$KCACHE"/kbuild-env-1-*) && lenv=$(ls "$KCACHE"/kbuild-link-env-1-*) &&
	cp "$env" env.first && cp "$lenv" lenv.first &&
	echo "$env" >env.path && echo "$lenv" >lenv.path &&
	echo "\$(error MAKEFILES from the environment was read)" >evil.mk
'

test_expect_success 'the whole way under a hostile environment: the same module, the same kept environments' '
	env=$(cat env.path) && lenv=$(cat lenv.path) &&
	rm "$env" "$lenv" &&
	hostile "$KMEND" -v build -k "$KREL" --cache "$KMEND_TEST_CACHE" \
		-o whole.ko "$FIX" >out 2>err || { tail -n 30 err; false; } &&
	test_grep "DESCEND +objtool" err &&
	test_grep "linking the module with Kbuild" err &&
	km_module_view whole.ko >whole.view &&
	test_cmp clean.view whole.view &&
	cmp env.first "$env" && cmp lenv.first "$lenv" &&
	test ! -e deps.out
'

test_expect_success 'direct under a hostile environment: the same module' '
	hostile "$KMEND" -v build -k "$KREL" --cache "$KMEND_TEST_CACHE" \
		-o direct.ko "$FIX" >out 2>err || { tail -n 30 err; false; } &&
	test_grep "make in /[^ ]*/src/obj:$" err &&
	test_grep -v "DESCEND +objtool" err &&
	km_module_view direct.ko >direct.view &&
	test_cmp clean.view direct.view &&
	test ! -e deps.out
'

# a failure above may have kept an environment captured under the hostile
# one: the cache gets back what it had, so that later tests build as before
test_expect_success 'the kept environments are as they were' '
	env=$(cat env.path) && lenv=$(cat lenv.path) &&
	ok=true &&
	{ cmp -s env.first "$env" || { cp env.first "$env"; ok=false; }; } &&
	{ cmp -s lenv.first "$lenv" || { cp lenv.first "$lenv"; ok=false; }; } &&
	$ok
'

test_done
