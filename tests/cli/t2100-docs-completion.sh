#!/usr/bin/env bash
# The command table, the docs and the bash completion stay in step: every
# command has a docs/kmend-CMD.md page and a README section, and every long
# option that 'kmend CMD -h' shows is in the completion and on the page.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

COMMANDS="build fetch diff test load unload list info verify status blocking install uninstall package"

test_expect_success 'kmend -h lists exactly the documented commands' '
	"$KMEND" -h >help &&
	sed -n "s/^   \([a-z]*\) .*/\1/p" help | sort >listed &&
	printf "%s\n" $COMMANDS | sort >expect &&
	test_cmp expect listed
'

test_expect_success 'every command has its page and its README section' '
	for c in $COMMANDS; do
		test -f "$SRC_DIR/docs/kmend-$c.md" || { echo "no docs/kmend-$c.md"; exit 1; }
		grep -q "^kmend $c\|^# kmend $c" "$SRC_DIR/docs/kmend-$c.md" ||
			{ echo "docs/kmend-$c.md does not name kmend $c"; exit 1; }
		grep -q "kmend $c" "$SRC_DIR/README.md" || { echo "README lacks kmend $c"; exit 1; }
	done
'

test_expect_success 'every long option of every command is completed and documented' '
	for c in $COMMANDS; do
		"$KMEND" "$c" -h >h.$c &&
		for o in $(grep -oE -- "--[a-z][a-z-]+" h.$c | sort -u); do
			[ "$o" = --help ] && continue
			grep -q -- "$o" "$SRC_DIR/completion/kmend.bash" ||
				{ echo "completion lacks kmend $c $o"; exit 1; }
			grep -q -- "$o" "$SRC_DIR/docs/kmend-$c.md" ||
				{ echo "docs/kmend-$c.md lacks $o"; exit 1; }
		done
	done
'

test_expect_success 'the completion offers the commands and a command'"'"'s options' '
	. "$SRC_DIR/completion/kmend.bash" &&
	COMP_WORDS=(kmend "") COMP_CWORD=1 && _kmend &&
	printf "%s\n" "${COMPREPLY[@]}" >words &&
	test_grep "^build$" words && test_grep "^unload$" words &&
	COMP_WORDS=(kmend test --) COMP_CWORD=2 && _kmend &&
	printf "%s\n" "${COMPREPLY[@]}" >words &&
	test_grep "^--show-checks$" words && test_grep "^--check$" words
'

test_done
