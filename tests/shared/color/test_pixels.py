"""An upload's kept pixels: written whole under a generated name, read back exactly, and
refused (None: the worker decodes the upload) whenever they are not what the upload is."""

import numpy as np

from shared.color import pixels
from tests.support.files import stored_path
from tests.support.surfaces import shaded_surface


def test_kept_pixels_read_back_exactly():
    image = shaded_surface(90, 160)
    kept = pixels.save("color-test", image)
    assert kept.startswith("color-test/") and kept.endswith(".npy")
    assert np.array_equal(pixels.load(kept, width=160, height=90), image)
    assert not list(stored_path("color-test").glob("*.partial"))


def test_pixels_of_another_size_or_kind_are_not_used():
    kept = pixels.save("color-test", shaded_surface(90, 160))
    assert pixels.load(kept, width=90, height=160) is None  # turned: not this upload
    grey = pixels.save("color-test", np.zeros((90, 160), np.uint8))
    assert pixels.load(grey, width=160, height=90) is None
    wide = pixels.save("color-test", np.zeros((90, 160, 3), np.uint16))
    assert pixels.load(wide, width=160, height=90) is None


def test_missing_or_damaged_pixels_are_not_used():
    assert pixels.load("color-test/gone.npy", width=160, height=90) is None
    kept = pixels.save("color-test", shaded_surface(90, 160))
    path = stored_path(kept)
    path.write_bytes(path.read_bytes()[:1000])  # cut short
    assert pixels.load(kept, width=160, height=90) is None
    path.write_bytes(b"not an array")
    assert pixels.load(kept, width=160, height=90) is None


def test_only_images_a_transfer_processes_whole_fit():
    assert pixels.fits(1920, 1080) and pixels.fits(1080, 1920) and pixels.fits(1, 1)
    assert not pixels.fits(1921, 1080) and not pixels.fits(0, 0)
