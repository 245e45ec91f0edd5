#!/usr/bin/env bash
# t1700 (the differ on real kernel objects) on Debian's 6.12.117, a kernel
# this machine does not run: from kmend's test cache (fetched with kmend
# fetch when the cache lacks it).  KM_KREL_612 names another 6.12 kernel.
# shellcheck disable=SC1091 # the sourced test
export KM_KREL=${KM_KREL_612:-6.12.117+deb12-amd64}
. "$(dirname "$0")/t1700-differ-kernel-objects.sh"
