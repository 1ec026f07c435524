import pytest

from shared.page_ranges import describe_pages


@pytest.mark.parametrize(("numbers", "verb", "words"), [
    ([3], True, "page 3 has"),
    ([1, 2, 3, 7], True, "pages 1-3, 7 have"),
    ([1, 2, 3, 5, 7, 8], True, "pages 1-3, 5, 7-8 have"),
    ([2, 4, 5], False, "pages 2, 4-5"),
    ([4], False, "page 4"),
])
def test_describe_pages(numbers: list[int], verb: bool, words: str) -> None:
    assert describe_pages(numbers, verb=verb) == words
