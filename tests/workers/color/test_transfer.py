"""The Reinhard-style transfer toward a RAL colour, and its quality report, measured on
generated images (a shaded, noisy surface: what a photo of a painted object looks like)."""

import cv2
import numpy as np
import pytest

from services.workers.color.qc import THRESHOLDS, quality_report
from services.workers.color.transfer import transfer_to_lab
from shared.color.palette import ral_classic
from shared.color.pixels import MAX_LONG_SIDE
from tests.support.surfaces import shaded_surface


def lab_of(code: str) -> tuple[float, float, float]:
    colour = ral_classic().find(code)
    assert colour is not None
    return colour.lab


@pytest.mark.parametrize("code", ["RAL 3000", "RAL 5024", "RAL 6018", "RAL 7016", "RAL 1015",
                                  "RAL 9005", "RAL 9010"])
def test_result_mean_lands_on_the_target_and_keeps_the_shading(code: str) -> None:
    image = shaded_surface()
    result = transfer_to_lab(image, lab_of(code))
    report = quality_report(result, lab_of(code))
    assert report["delta_e_mean"] <= report["thresholds"]["delta_e_mean_max"], report
    assert report["delta_e_chroma_p95"] <= report["thresholds"]["delta_e_chroma_p95_max"]
    assert report["lightness_correlation"] > 0.97, report
    assert result.image.shape == image.shape and result.image.dtype == np.uint8


@pytest.mark.parametrize("code", ["RAL 3000", "RAL 5024", "RAL 6018", "RAL 7016", "RAL 9005"])
def test_mid_and_dark_targets_pass_the_whole_report(code: str) -> None:
    report = quality_report(transfer_to_lab(shaded_surface(), lab_of(code)), lab_of(code))
    assert report["passed"] and all(report["checks"].values()), report


@pytest.mark.parametrize("code", ["RAL 1015", "RAL 9010"])
def test_highlights_clipped_on_a_near_white_target_are_reported(code: str) -> None:
    """The surface's bright side (+-2.5 sigma of L* fits) still pushes some pixels past
    255 in a channel near white: the report measures that instead of passing it."""
    report = quality_report(transfer_to_lab(shaded_surface(), lab_of(code)), lab_of(code))
    assert report["clipped_share"] > report["thresholds"]["clipped_share_max"]
    assert report["checks"]["clipped_share"] is False and report["passed"] is False


def test_an_out_of_gamut_target_is_reported_not_hidden() -> None:
    """Luminous yellow cannot be shown in sRGB: the report says how far sRGB stays from
    it, and its flat, clipped result fails on the lightness structure it lost."""
    target = lab_of("RAL 1026")
    report = quality_report(transfer_to_lab(shaded_surface(), target), target)
    assert report["target_in_srgb_gamut"] is False and report["target_gamut_gap"] > 3
    assert report["delta_e_mean"] > THRESHOLDS["delta_e_mean_max"]  # to the true target
    assert report["checks"]["lightness_correlation"] is False and not report["passed"]


def test_a_target_just_outside_srgb_is_judged_on_what_srgb_can_show() -> None:
    """Sky blue's red is below 0 in sRGB: every result pixel has red 0, which shows the
    target rather than losing detail, and the Delta E limits grow by the gamut gap."""
    target = lab_of("RAL 5015")
    report = quality_report(transfer_to_lab(shaded_surface(), target), target)
    gap = report["target_gamut_gap"]
    assert report["target_in_srgb_gamut"] is False and gap > 0.5
    assert report["thresholds"]["delta_e_mean_max"] == pytest.approx(
        THRESHOLDS["delta_e_mean_max"] + gap, abs=1e-3)
    assert report["delta_e_mean"] <= report["thresholds"]["delta_e_mean_max"]
    assert report["clipped_share"] <= THRESHOLDS["clipped_share_max"], report
    assert report["passed"], report


def test_an_in_gamut_target_keeps_the_stated_limits() -> None:
    report = quality_report(transfer_to_lab(shaded_surface(), lab_of("RAL 3000")),
                            lab_of("RAL 3000"))
    assert report["target_in_srgb_gamut"] is True and report["target_gamut_gap"] == 0
    assert report["thresholds"] == THRESHOLDS


def test_lookup_tables_equal_the_per_pixel_formula() -> None:
    """The LUT form is the formula of the module docstring, to a code value."""
    from shared.color import spaces

    image = shaded_surface(120, 160)
    target_lab = lab_of("RAL 3000")
    result = transfer_to_lab(image, target_lab)
    lab8 = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(float)
    target = spaces.to_opencv_lab(target_lab)
    mean = lab8[::4, ::4].reshape(-1, 3).mean(axis=0)
    expected = np.empty_like(lab8)
    expected[..., 0] = target[0] + result.lightness_gain * (lab8[..., 0] - mean[0])
    expected[..., 1:] = target[1:]
    expected_bgr = cv2.cvtColor(np.clip(np.rint(expected), 0, 255).astype(np.uint8),
                                cv2.COLOR_LAB2BGR)
    assert np.abs(expected_bgr.astype(int) - result.image.astype(int)).max() <= 1


@pytest.mark.parametrize("code", ["RAL 3000", "RAL 1026", "RAL 9005", "RAL 5015"])
def test_the_palette_by_lightness_equals_converting_every_pixel(code: str) -> None:
    """Unmasked, the result is looked up in a palette indexed by input L*; a mask that
    selects everything takes the per-pixel conversion instead: the same bytes."""
    rng = np.random.default_rng(7)
    for image in (shaded_surface(240, 320), rng.integers(0, 256, (240, 320, 3), np.uint8)):
        by_palette = transfer_to_lab(image, lab_of(code))
        per_pixel = transfer_to_lab(image, lab_of(code),
                                    mask=np.full(image.shape[:2], 255, np.uint8))
        assert by_palette.indexed is not None and per_pixel.indexed is None
        assert np.array_equal(by_palette.image, per_pixel.image)
        indexed = by_palette.indexed
        assert np.array_equal(indexed.index, cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0])
        assert np.array_equal(indexed.palette[indexed.index], by_palette.image)


def test_mask_limits_the_change_and_a_soft_edge_blends() -> None:
    image = shaded_surface()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[100:260, 200:440] = 255
    mask[100:260, 440:460] = 128  # a soft edge
    result = transfer_to_lab(image, lab_of("RAL 6018"), mask=mask)
    outside = mask == 0
    assert np.array_equal(result.image[outside], image[outside])
    inside = mask == 255
    assert np.abs(result.image[inside].astype(int) - image[inside].astype(int)).mean() > 30
    edge = result.image[100:260, 440:460].astype(int)
    full = transfer_to_lab(image, lab_of("RAL 6018")).image[100:260, 440:460].astype(int)
    halfway = (image[100:260, 440:460].astype(int) + full) / 2
    assert np.abs(edge - halfway).max() <= 2
    assert int(result.region.sum()) == int((mask >= 128).sum())
    report = quality_report(result, lab_of("RAL 6018"))
    assert report["region_pixels"] == int((mask == 255).sum()) and report["passed"], report


def test_mask_of_another_size_is_scaled_and_an_empty_mask_is_refused() -> None:
    image = shaded_surface()
    small_mask = np.full((90, 160), 255, np.uint8)
    assert transfer_to_lab(image, lab_of("RAL 3000"), mask=small_mask).region is not None
    with pytest.raises(ValueError, match="no pixels"):
        transfer_to_lab(image, lab_of("RAL 3000"), mask=np.zeros(image.shape[:2], np.uint8))


def test_downsample_caps_the_long_side() -> None:
    large = shaded_surface(1200, 4000)
    result = transfer_to_lab(large, lab_of("RAL 3000"))
    assert result.image.shape[:2] == (576, MAX_LONG_SIDE)
    kept = transfer_to_lab(large, lab_of("RAL 3000"), downsample=False)
    assert kept.image.shape[:2] == (1200, 4000)


def test_strength_zero_changes_nothing_and_half_is_halfway() -> None:
    image = shaded_surface()
    assert np.array_equal(transfer_to_lab(image, lab_of("RAL 3000"), strength=0.0).image, image)
    full = transfer_to_lab(image, lab_of("RAL 3000")).image.astype(int)
    half = transfer_to_lab(image, lab_of("RAL 3000"), strength=0.5).image.astype(int)
    assert np.abs(half - (image.astype(int) + full) / 2).max() <= 1


def test_lightness_is_compressed_only_when_the_target_leaves_no_room() -> None:
    contrasty = shaded_surface(bgr=(250, 250, 250))
    near_black = transfer_to_lab(contrasty, lab_of("RAL 9005"))
    assert near_black.lightness_gain < 1.0
    assert transfer_to_lab(contrasty, lab_of("RAL 7040")).lightness_gain == 1.0
