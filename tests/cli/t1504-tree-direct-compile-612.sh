#!/usr/bin/env bash
# t1503 (compiling without the top-level Makefile) on Debian's 6.12.117,
# whose top-level Makefile exports other variables than 6.1's (no
# abs_srctree) and orders its flags otherwise.  KM_KREL_612 names another
# 6.12 kernel.
# shellcheck disable=SC1091 # the sourced test
export KM_KREL=${KM_KREL_612:-6.12.117+deb12-amd64}
. "$(dirname "$0")/t1503-tree-direct-compile.sh"
