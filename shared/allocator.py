"""glibc malloc settings for processes that allocate and free large image arrays: the
workers, and the gateway, which decodes colour uploads whole.

By default glibc gives a large block back to the kernel when it is freed (an mmap'd block
is unmapped, the top of the heap trimmed), so the next job's arrays start on fresh pages
and fault each one in again. Measured with `perf stat` on the colour worker's pool process
over 30 transfers of a 1920x1080 JPEG: 6,641 page faults and 179 ms of CPU per job by
default, 3 page faults and 121 ms with the settings below; the same work in a plain loop
had 47 faults per job (glibc's dynamic threshold settles there, not in the worker).
In the gateway a 1920x1080 JPEG upload took 46 ms over HTTP for its first twenty uploads
and 33 after (each thread-pool thread's arena warmed up on its own); see bench/RESULTS.md.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)

# mallopt parameter numbers, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks up to 32 MiB (glibc's ceiling for this setting; a 1920x1080 float32 Lab image is
# 24 MiB) come from the heap and are reused; larger ones are still mapped and unmapped.
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# Free memory at the top of the heap is kept up to this much: a worker stays at the size
# of its largest job instead of shrinking and growing again with every job.
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024
_ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory_for_reuse() -> bool:
    """Apply the settings above to this process (and the processes it forks later).

    False, changing nothing, where the C library is not glibc or an operator set either
    threshold in the environment (glibc reads those itself).
    """
    if any(name in os.environ for name in _ENVIRONMENT):
        return False
    libc = _glibc()
    if libc is None:
        return False
    applied = (libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
               and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1)
    if not applied:
        log.warning("mallopt refused the worker's malloc thresholds; using glibc's defaults")
    return applied


def _glibc() -> ctypes.CDLL | None:
    try:
        process = ctypes.CDLL(None)  # the symbols already loaded, the C library's among them
    except OSError:  # Windows
        return None
    # gnu_get_libc_version exists only in glibc: musl's mallopt does nothing.
    if not (hasattr(process, "gnu_get_libc_version") and hasattr(process, "mallopt")):
        return None
    process.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return process
