from __future__ import annotations

import pytest

from services.jobs.pdf_chunking import MAX_PAGES, ChunkSpec, PageCountError, plan_chunks


def _owned(page_count: int) -> list[tuple[int, int]]:
    return [(chunk.first_page, chunk.last_page) for chunk in plan_chunks(page_count).chunks]


@pytest.mark.parametrize(
    ("page_count", "chunk_size", "parallelism"),
    [(1, 30, 1), (30, 30, 1), (31, 20, 3), (100, 20, 3), (101, 15, 5), (500, 15, 5)],
)
def test_tier_follows_the_size_table(page_count: int, chunk_size: int, parallelism: int) -> None:
    plan = plan_chunks(page_count)

    assert (plan.page_count, plan.chunk_size, plan.parallelism) == (
        page_count,
        chunk_size,
        parallelism,
    )
    assert plan.overlap_pages == 1


def test_small_document_is_one_chunk_without_overlap() -> None:
    assert plan_chunks(30).chunks == (
        ChunkSpec(index=0, first_page=1, last_page=30, read_first_page=1, read_last_page=30),
    )
    assert plan_chunks(7).chunks == (
        ChunkSpec(index=0, first_page=1, last_page=7, read_first_page=1, read_last_page=7),
    )


def test_medium_document_uses_twenty_page_chunks_with_one_page_overlap() -> None:
    assert plan_chunks(45).chunks == (
        ChunkSpec(index=0, first_page=1, last_page=20, read_first_page=1, read_last_page=21),
        ChunkSpec(index=1, first_page=21, last_page=40, read_first_page=20, read_last_page=41),
        ChunkSpec(index=2, first_page=41, last_page=45, read_first_page=40, read_last_page=45),
    )


def test_large_document_uses_fifteen_page_chunks() -> None:
    assert _owned(101) == [
        (1, 15),
        (16, 30),
        (31, 45),
        (46, 60),
        (61, 75),
        (76, 90),
        (91, 101),
    ]
    assert len(plan_chunks(MAX_PAGES).chunks) == 34


def test_31_pages_is_two_chunks() -> None:
    assert _owned(31) == [(1, 20), (21, 31)]


@pytest.mark.parametrize("page_count", range(1, MAX_PAGES + 1))
def test_chunks_tile_the_document_and_read_one_page_each_side(page_count: int) -> None:
    plan = plan_chunks(page_count)

    pages = [page for c in plan.chunks for page in range(c.first_page, c.last_page + 1)]
    assert pages == list(range(1, page_count + 1))
    assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))
    for chunk in plan.chunks:
        assert chunk.last_page - chunk.first_page + 1 <= plan.chunk_size
        assert chunk.read_first_page == max(1, chunk.first_page - 1)
        assert chunk.read_last_page == min(page_count, chunk.last_page + 1)


def test_zero_pages_is_refused() -> None:
    with pytest.raises(PageCountError, match=r"^PDF has no pages$"):
        plan_chunks(0)


def test_negative_page_count_is_refused() -> None:
    with pytest.raises(PageCountError):
        plan_chunks(-3)


@pytest.mark.parametrize("page_count", [501, 612])
def test_too_many_pages_is_refused_with_a_readable_message(page_count: int) -> None:
    with pytest.raises(PageCountError) as caught:
        plan_chunks(page_count)

    assert str(caught.value) == f"PDF has {page_count} pages; the limit is 500"


def test_page_count_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        plan_chunks(MAX_PAGES + 1)


@pytest.mark.parametrize("page_count", [True, 12.0, "12", None])
def test_non_integer_page_count_is_a_type_error(page_count: object) -> None:
    with pytest.raises(TypeError):
        plan_chunks(page_count)  # type: ignore[arg-type]
