"""Delta E against published reference data.

CIEDE2000: the 34 pairs of Table 1 in G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000
Color-Difference Formula: Implementation Notes, Supplementary Test Data, and Mathematical
Observations", Color Research & Application 30(1):21-30, 2005 (also distributed as
ciede2000testdata.txt on the first author's University of Rochester page). The pairs probe
the hue-angle wrap, the mean-hue discontinuity, greys, and the blue rotation term.
"""

import numpy as np
import pytest

from shared.color.delta_e import Formula, cie76, cie94, ciede2000, delta_e

SHARMA_2005 = [  # L1, a1, b1, L2, a2, b2, dE00
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]
PAIRS = np.array(SHARMA_2005)


def test_ciede2000_reproduces_all_34_sharma_pairs_to_1e_4() -> None:
    got = ciede2000(PAIRS[:, 0:3], PAIRS[:, 3:6])
    assert got.shape == (34,)
    assert np.abs(got - PAIRS[:, 6]).max() < 1e-4


def test_ciede2000_is_symmetric_on_the_reference_pairs() -> None:
    forward = ciede2000(PAIRS[:, 0:3], PAIRS[:, 3:6])
    backward = ciede2000(PAIRS[:, 3:6], PAIRS[:, 0:3])
    assert np.abs(forward - backward).max() < 1e-9


@pytest.mark.parametrize("row", range(34))
def test_each_pair_alone_matches_too(row: int) -> None:
    """One colour at a time (the sync API's shape) gives the batch's answer."""
    reference, sample, expected = PAIRS[row, 0:3], PAIRS[row, 3:6], PAIRS[row, 6]
    assert float(ciede2000(reference, sample)) == pytest.approx(expected, abs=1e-4)


def test_broadcasting_one_colour_against_many() -> None:
    many = PAIRS[:, 3:6]
    one = PAIRS[0, 0:3]
    assert np.allclose(ciede2000(many, one), [float(ciede2000(row, one)) for row in many])


def test_cie76_is_the_euclidean_distance() -> None:
    assert float(cie76([50, 0, 0], [53, 4, 0])) == pytest.approx(5.0)


def test_cie94_graphic_arts_worked_value() -> None:
    # Reference chroma 50: SC = 1 + 0.045*50 = 3.25, SH = 1 + 0.015*50 = 1.75.
    # Sample: same L, chroma 45 at the same hue -> dC = 5, dH = 0 -> 5 / 3.25.
    assert float(cie94([50, 50, 0], [50, 45, 0])) == pytest.approx(5 / 3.25)
    # And a pure lightness difference counts in full.
    assert float(cie94([50, 10, 10], [52, 10, 10])) == pytest.approx(2.0)


def test_cie94_takes_the_first_colour_as_the_reference() -> None:
    assert float(cie94([50, 50, 0], [50, 45, 0])) != pytest.approx(
        float(cie94([50, 45, 0], [50, 50, 0])))


@pytest.mark.parametrize("formula", list(Formula))
def test_a_colour_does_not_differ_from_itself(formula: Formula) -> None:
    rng = np.random.default_rng(3)
    lab = np.column_stack([rng.uniform(0, 100, 500), rng.uniform(-100, 100, 500),
                           rng.uniform(-100, 100, 500)])
    assert np.abs(delta_e(lab, lab, formula)).max() < 1e-9
