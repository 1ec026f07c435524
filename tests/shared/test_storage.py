"""Stored files stay under DATA_DIR whatever path a caller hands in."""

import pytest

from shared import storage
from shared.errors import ConveyorError, ErrorCode
from shared.settings import get_settings


def test_a_relative_path_maps_under_the_data_dir():
    root = get_settings().data_dir.resolve()
    assert storage.absolute("uploads/abc.pdf") == root / "uploads" / "abc.pdf"
    assert storage.absolute("uploads/./x/../abc.pdf") == root / "uploads" / "abc.pdf"


@pytest.mark.parametrize("escape", ["../etc/passwd", "uploads/../../etc/passwd", "/etc/passwd",
                                    "..", ".", "uploads/../.."])
def test_paths_leading_outside_the_data_dir_are_not_found(escape):
    with pytest.raises(ConveyorError) as refused:
        storage.absolute(escape)
    assert refused.value.code is ErrorCode.NOT_FOUND
