"""The shipped RAL Classic data and the derived sRGB."""

import numpy as np
import pytest

from shared.color import spaces
from shared.color.delta_e import Formula, ciede2000
from shared.color.palette import GROUPS, normalise_code, ral_classic
from shared.errors import ConveyorError, ErrorCode


def test_the_collection_is_complete_and_unique() -> None:
    palette = ral_classic()
    codes = [colour.code for colour in palette.colours]
    assert len(codes) == 213 == len(set(codes))
    assert {colour.group for colour in palette.colours} == set(GROUPS.values())
    assert palette.reference == {"space": "CIE 1976 L*a*b*", "illuminant": "D65",
                                 "observer": "CIE 1964 10°"}
    assert "wikipedia.org/wiki/List_of_RAL_colours" in palette.source


@pytest.mark.parametrize(("code", "name", "hex_code"), [
    # The source's own sRGB for these, reproduced from its L*a*b* (see palette.py).
    ("RAL 1000", "Green beige", "#CDBA88"),
    ("RAL 1001", "Beige", "#D0B084"),
    ("RAL 1003", "Signal yellow", "#F9A800"),
])
def test_derived_hex_matches_the_source_table(code: str, name: str, hex_code: str) -> None:
    colour = ral_classic().find(code)
    assert colour is not None and colour.name == name and colour.hex == hex_code


@pytest.mark.parametrize("text", ["RAL 3000", "ral3000", "RAL3000", "ral 3000", "3000",
                                  " RAL-3000 ", "Ral_3000"])
def test_code_spellings(text: str) -> None:
    colour = ral_classic().find(text)
    assert colour is not None and colour.code == "RAL 3000" and colour.name == "Flame red"


@pytest.mark.parametrize("text", ["RAL 3006", "30000", "RAL", "", "blue", "RAL 300"])
def test_unknown_codes(text: str) -> None:
    assert ral_classic().find(text) is None
    if not any(char.isdigit() for char in text) or len(text.strip()) < 4:
        assert normalise_code(text) is None


def test_require_gives_the_colour_for_any_spelling() -> None:
    assert ral_classic().require("ral-3000").name == "Flame red"


@pytest.mark.parametrize("error", [ErrorCode.INPUT_INVALID, ErrorCode.NOT_FOUND])
def test_require_refuses_an_unknown_code_with_the_callers_error(error: ErrorCode) -> None:
    with pytest.raises(ConveyorError) as caught:
        ral_classic().require("RAL 3006", error=error)
    assert caught.value.code == error
    assert caught.value.message.startswith("Unknown RAL code 'RAL 3006'; ")
    assert "GET /api/v1/palette" in caught.value.message


def test_lab_to_srgb_to_lab_round_trips_every_colour() -> None:
    lab = np.array([colour.lab for colour in ral_classic().colours])
    assert np.abs(spaces.srgb_to_lab(spaces.lab_to_srgb(lab)) - lab).max() < 1e-9


def test_in_gamut_colours_survive_8_bit_quantisation() -> None:
    """The published hex of an in-gamut colour is within rounding of its reference."""
    for colour in ral_classic().colours:
        if colour.in_srgb_gamut:
            difference = float(ciede2000(colour.lab, spaces.srgb_to_lab(colour.rgb)))
            assert difference < 1.0, colour.code  # <= half a code value per channel


def test_out_of_gamut_flags_are_the_saturated_colours() -> None:
    flagged = {c.code for c in ral_classic().colours if not c.in_srgb_gamut}
    # Luminous (fluorescent) colours cannot be shown in sRGB; greys always can.
    assert {"RAL 1026", "RAL 2005", "RAL 3024", "RAL 6038"} <= flagged
    assert not any(code.startswith("RAL 7") for code in flagged)
    assert 10 <= len(flagged) <= 60


@pytest.mark.parametrize("formula", list(Formula))
def test_every_colour_matches_itself_first(formula: Formula) -> None:
    palette = ral_classic()
    for colour in palette.colours:
        best = palette.nearest(colour.lab, top_n=3, formula=formula)
        assert best[0].colour.code == colour.code and best[0].delta_e == pytest.approx(0)
        assert best[0].delta_e <= best[1].delta_e <= best[2].delta_e


def test_in_gamut_hex_matches_its_own_colour() -> None:
    """From the hex a client would send, the nearest colour is the one it came from."""
    palette = ral_classic()
    for colour in palette.colours:
        if colour.in_srgb_gamut:
            best = palette.nearest(spaces.srgb_to_lab(colour.rgb), top_n=1)[0]
            assert best.colour.code == colour.code, (colour.code, best.colour.code)


def test_group_filter_and_top_n() -> None:
    palette = ral_classic()
    reds = palette.nearest((40.0, 55.0, 40.0), top_n=50, group="red")
    assert len(reds) == 25 and all(match.colour.group == "red" for match in reds)
    assert len(palette.in_group("grey")) == 38
