"""Perceptual hashes (pHash) and the near-duplicates they reveal.

The hash is the common DCT pHash: the grey image shrunk to 32x32, its 2-D DCT, and one
bit per coefficient of the lowest 8x8 frequencies, set when above their median. Images
that differ by re-encoding, scaling or small edits land a few bits apart. Written here
rather than taken from `imagehash` because OpenCV (already in the worker) has the DCT,
and `imagehash` would bring SciPy and PyWavelets into the image for these few lines.
"""

from __future__ import annotations

import cv2
import numpy as np

_SHRUNK_SIDE = 32
_KEPT_FREQUENCIES = 8


def perceptual_hash(grey: np.ndarray) -> str:
    """64-bit pHash of an 8-bit grey image, as 16 hex digits."""
    shrunk = cv2.resize(grey, (_SHRUNK_SIDE, _SHRUNK_SIDE), interpolation=cv2.INTER_AREA)
    frequencies = cv2.dct(shrunk.astype(np.float32))[:_KEPT_FREQUENCIES, :_KEPT_FREQUENCIES]
    bits = (frequencies > np.median(frequencies)).ravel()
    return f"{int(np.packbits(bits).view('>u8')[0]):016x}"


def near_pairs(ids: list[int], hashes: list[str], *, probe_ids: set[int],
               max_distance: int) -> list[tuple[int, int]]:
    """(earlier, later) id pairs within `max_distance` bits, where either is a probe.

    Only pairs touching the probes are compared: a batch checks its own images against
    the whole job, O(batch x job) with NumPy's popcount.
    """
    if not ids:
        return []
    id_array = np.asarray(ids, dtype=np.int64)
    hash_array = np.asarray([int(value, 16) for value in hashes], dtype=np.uint64)
    pairs: set[tuple[int, int]] = set()
    for position in np.flatnonzero(np.isin(id_array, list(probe_ids))):
        distances = np.bitwise_count(hash_array ^ hash_array[position])
        for other in id_array[(distances <= max_distance) & (id_array != id_array[position])]:
            first, second = sorted((int(id_array[position]), int(other)))
            pairs.add((first, second))
    return sorted(pairs)
