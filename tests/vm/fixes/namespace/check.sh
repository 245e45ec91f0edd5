#!/bin/sh
# Passes while the fix is live: /proc/cmdline ends with kmend.ns=-9, what
# dma_buf_get(-1) returns (-EBADF); dma_buf_get is exported in symbol
# namespace DMA_BUF, which the module must import or the kernel refuses it.
echo "/proc/cmdline: $(cat /proc/cmdline)"
grep -q ' kmend.ns=-9$' /proc/cmdline
