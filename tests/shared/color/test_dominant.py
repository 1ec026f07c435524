"""Dominant colours: shares of pixels won by each RAL colour, and their honest Delta E."""

import numpy as np

from shared.color.dominant import dominant_colours
from shared.color.palette import ral_classic


def _flat(code: str, shape: tuple[int, int]) -> np.ndarray:
    colour = ral_classic().find(code)
    assert colour is not None
    return np.broadcast_to(np.array(colour.rgb[::-1], np.uint8), (*shape, 3))


def test_shares_follow_the_areas_and_in_gamut_colours_name_themselves() -> None:
    image = np.concatenate([_flat("RAL 6018", (100, 70)), _flat("RAL 1003", (100, 20)),
                            _flat("RAL 7016", (100, 10))], axis=1)
    found = dominant_colours(image, ral_classic())
    assert [(d.colour.code, round(d.share, 2)) for d in found] == [
        ("RAL 6018", 0.7), ("RAL 1003", 0.2), ("RAL 7016", 0.1)]
    assert all(d.delta_e < 0.6 for d in found if d.colour.in_srgb_gamut)


def test_top_limits_the_list_and_specks_under_one_percent_are_left_out() -> None:
    image = np.concatenate([_flat("RAL 9005", (100, 199)), _flat("RAL 3000", (100, 1))],
                           axis=1)
    assert [d.colour.code for d in dominant_colours(image, ral_classic())] == ["RAL 9005"]
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    found = dominant_colours(noise, ral_classic(), top=3)
    assert len(found) == 3 and found[0].share >= found[1].share >= found[2].share


def test_an_empty_image_has_no_dominant_colours() -> None:
    assert dominant_colours(np.zeros((0, 0, 3), np.uint8), ral_classic()) == []
