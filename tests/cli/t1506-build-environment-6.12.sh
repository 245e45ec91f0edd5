#!/usr/bin/env bash
# t1505 (the builder's environment does not reach Kbuild) on Debian's
# 6.12.117, whose top-level Makefiles read more of it (KBUILD_EXTMOD's
# second make, .module-common.c).  KM_KREL_612 names another 6.12 kernel.
# shellcheck disable=SC1091 # the sourced test
export KM_KREL=${KM_KREL_612:-6.12.117+deb12-amd64}
. "$(dirname "$0")/t1505-build-environment.sh"
