"""How a PDF is cut into page ranges that workers process in parallel.

Bigger documents get smaller chunks and more workers so that the slowest chunk
finishes in about the same time whatever the size. Each chunk also reads one page
on each side of the pages it owns, so sentences that cross a chunk edge can be
attributed to exactly one chunk (see `text.chunk_sentences`).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAGES = 500
OVERLAP_PAGES = 1


@dataclass(frozen=True, kw_only=True)
class _Tier:
    max_pages: int
    chunk_size: int
    parallelism: int


# Ordered by max_pages; the first tier that fits a document is used.
_TIERS = (
    _Tier(max_pages=30, chunk_size=30, parallelism=1),
    _Tier(max_pages=100, chunk_size=20, parallelism=3),
    _Tier(max_pages=MAX_PAGES, chunk_size=15, parallelism=5),
)


@dataclass(frozen=True, kw_only=True)
class ChunkSpec:
    index: int  # 0-based
    first_page: int  # 1-based, inclusive: the pages this chunk owns
    last_page: int  # 1-based, inclusive
    read_first_page: int  # first page to extract: first_page - overlap, clamped to 1
    read_last_page: int  # last page to extract: last_page + overlap, clamped to page_count


@dataclass(frozen=True, kw_only=True)
class ChunkPlan:
    page_count: int
    chunk_size: int
    parallelism: int
    overlap_pages: int
    chunks: tuple[ChunkSpec, ...]


class PageCountError(ValueError):
    """The document cannot be processed because of its number of pages.

    The message is meant to be shown to the end user as is.
    """


def plan_chunks(page_count: int) -> ChunkPlan:
    """Split a document of `page_count` pages into chunks, following the size tiers."""
    _check_page_count(page_count)
    tier = next(tier for tier in _TIERS if page_count <= tier.max_pages)
    starts = range(1, page_count + 1, tier.chunk_size)
    chunks = tuple(
        _chunk(index, first, min(first + tier.chunk_size - 1, page_count), page_count)
        for index, first in enumerate(starts)
    )
    return ChunkPlan(
        page_count=page_count,
        chunk_size=tier.chunk_size,
        parallelism=tier.parallelism,
        overlap_pages=OVERLAP_PAGES,
        chunks=chunks,
    )


def _check_page_count(page_count: int) -> None:
    # bool is an int subclass; True pages is a caller bug, not a one-page PDF.
    if isinstance(page_count, bool) or not isinstance(page_count, int):
        raise TypeError(f"page_count must be an int, got {type(page_count).__name__}")
    if page_count <= 0:
        raise PageCountError("PDF has no pages")
    if page_count > MAX_PAGES:
        raise PageCountError(f"PDF has {page_count} pages; the limit is {MAX_PAGES}")


def _chunk(index: int, first_page: int, last_page: int, page_count: int) -> ChunkSpec:
    return ChunkSpec(
        index=index,
        first_page=first_page,
        last_page=last_page,
        read_first_page=max(1, first_page - OVERLAP_PAGES),
        read_last_page=min(page_count, last_page + OVERLAP_PAGES),
    )
