"""An upload's decoded pixels, kept beside it so that transfer jobs do not decode it again.

The gateway decodes every upload anyway (its dominant colours, and the proof that the
whole file decodes). For an image of at most `MAX_LONG_SIDE` px on its long side, which a
transfer processes at full size, it decodes it whole once and keeps the upright BGR
pixels as a `.npy` file (6 MB for 1920x1080, removed with the upload). A transfer then
reads them in well under a millisecond instead of decoding the upload again: 12 ms for a
1920x1080 JPEG, 31 ms for a PNG, per job (bench/RESULTS.md, session 11). Larger images
are decoded by the worker as before: decoding them whole would cost the upload more than
a transfer of a downsampled copy saves.
"""

from __future__ import annotations

import io

import numpy as np

from shared import storage

MAX_LONG_SIDE = 1920  # transfers with `downsample` process at most this on the long side


def fits(width: int, height: int) -> bool:
    """Whether a transfer processes this image at its full size, downsampled or not."""
    return 0 < max(width, height) <= MAX_LONG_SIDE


def save(area: str, bgr: np.ndarray) -> str:
    """Store the pixels under a new generated key (whole or not at all); returns the key."""
    buffer = io.BytesIO()
    np.save(buffer, bgr, allow_pickle=False)
    return storage.write_bytes(area, ".npy", buffer.getvalue())


def load(relative_path: str, *, width: int, height: int) -> np.ndarray | None:
    """The kept BGR pixels of a `width` x `height` upload, or None when they are missing
    or are not exactly that (the caller decodes the upload instead). A store that is
    down is not "missing": StorageUnavailable goes up, and the chunk is retried."""
    try:
        pixels = np.load(io.BytesIO(storage.read_bytes(relative_path)), allow_pickle=False)
    except (storage.ObjectMissing, ValueError, EOFError):
        return None
    if pixels.dtype != np.uint8 or pixels.shape != (height, width, 3):
        return None
    return pixels
