"""Sentences from raw pypdf page texts, per chunk or for a whole document.

Chunks of a document are processed independently, yet their sentences must
concatenate to exactly the whole-document result. That holds by construction:
every decision uses at most two neighbouring pages.

- A page is cleaned and split into segments using that page alone.
- Whether a page's first segment continues the previous page's last one depends
  on those two pages only.
- A page with no sentence boundary inside it always ends its sentence at its own
  end. So a sentence never spans more than two pages, and a chunk that also reads
  one page on each side of its own pages sees every sentence it owns in full.

A sentence belongs to the page its first character is on, and a chunk returns the
sentences of the pages it owns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

from services.workers.pdf.cleanup import Hyphen, clean_page, hyphen_join, join_hyphenated
from services.workers.pdf.filters import is_dialogue, split_long
from services.workers.pdf.sentences import (
    ends_sentence,
    first_sentence,
    last_sentence,
    split_paragraph,
)


@dataclass(frozen=True, kw_only=True)
class TextOptions:
    # Longer sentences are cut at natural breaks, never inside a word.
    sentence_length_limit: int | None = None
    # Drop sentences that open with a quote or a dialogue dash.
    ignore_dialogue: bool = False
    # Keep line breaks inside sentences and flag paragraph starts; else collapse them.
    preserve_formatting: bool = False
    # Join words hyphenated across line and page ends.
    fix_hyphenation: bool = True
    # Drop sentences shorter than this many characters.
    min_sentence_length: int | None = None
    # Remove a bare page number ("12", "Page 3 of 40") on a page's first or last line.
    strip_page_numbers: bool = True

    def __post_init__(self) -> None:
        if self.sentence_length_limit is not None and self.sentence_length_limit < 1:
            raise ValueError("sentence_length_limit must be at least 1")
        if self.min_sentence_length is not None and self.min_sentence_length < 0:
            raise ValueError("min_sentence_length must not be negative")


@dataclass(frozen=True, kw_only=True)
class Sentence:
    text: str
    page: int  # 1-based page the sentence starts on
    new_paragraph: bool  # first sentence of a paragraph (or of the document)


# A sentence while it is assembled and filtered: (text, page, new_paragraph). A plain tuple,
# because building a frozen dataclass per sentence cost more than finding the sentence.
_Record = tuple[str, int, bool]


@dataclass(frozen=True, kw_only=True)
class _Page:
    number: int
    segments: tuple[str, ...]  # line breaks kept: joining pages looks at lines
    # Whether each segment starts a paragraph; the first segment's flag is decided by how
    # the page joins the previous one.
    paragraph_starts: tuple[bool, ...]
    # A sentence ends inside the page: only then can its last one run on into the next
    # page. Said apart from the segments, as the page before a chunk keeps only its last.
    has_boundary: bool


@dataclass(frozen=True, kw_only=True)
class _Glue:
    hyphen: Hyphen | None  # None: the page break is an ordinary line break


def document_sentences(page_texts: Sequence[str], options: TextOptions) -> list[str]:
    """Whole-document segmentation (reference implementation; the sync path and tests use it)."""
    return [text for text, _, _ in _document_records(page_texts, options)]


def chunk_sentences(
    page_texts: Sequence[str],
    *,
    first_read_page: int,
    first_page: int,
    last_page: int,
    options: TextOptions,
) -> list[str]:
    """Sentences owned by a chunk: those starting on pages first_page..last_page.

    page_texts are the raw texts of consecutive pages, the first being page
    `first_read_page`. They must include the page before first_page (unless it is
    page 1) and should include the page after last_page (unless last_page is the
    document's last page); see the module docstring for why.
    """
    records = _chunk_records(
        page_texts,
        first_read_page=first_read_page,
        first_page=first_page,
        last_page=last_page,
        options=options,
    )
    return [text for text, _, _ in records]


def document_sentence_records(page_texts: Sequence[str], options: TextOptions) -> list[Sentence]:
    """Like `document_sentences`, with the start page and paragraph flag of each sentence."""
    return _sentences(_document_records(page_texts, options))


def chunk_sentence_records(
    page_texts: Sequence[str],
    *,
    first_read_page: int,
    first_page: int,
    last_page: int,
    options: TextOptions,
) -> list[Sentence]:
    """Like `chunk_sentences`, with the start page and paragraph flag of each sentence."""
    records = _chunk_records(
        page_texts,
        first_read_page=first_read_page,
        first_page=first_page,
        last_page=last_page,
        options=options,
    )
    return _sentences(records)


def paragraph_numbers(sentences: Iterable[Sentence]) -> list[int]:
    """0-based paragraph index of each sentence, for sentences in document order."""
    numbers: list[int] = []
    current = -1
    for sentence in sentences:
        if sentence.new_paragraph or current < 0:
            current += 1
        numbers.append(current)
    return numbers


def _document_records(page_texts: Sequence[str], options: TextOptions) -> list[_Record]:
    return _finish(_assemble(_pages(page_texts, 1, options), options), options)


def _chunk_records(
    page_texts: Sequence[str],
    *,
    first_read_page: int,
    first_page: int,
    last_page: int,
    options: TextOptions,
) -> list[_Record]:
    _check_chunk_range(len(page_texts), first_read_page, first_page, last_page)
    # Pages further out than one on each side cannot change the result; skip them. Of the
    # page on each side only the segment next to the chunk's pages matters.
    own = page_texts[first_page - first_read_page : last_page - first_read_page + 1]
    pages = _pages(own, first_page, options)
    if first_page > first_read_page:
        before = page_texts[first_page - 1 - first_read_page]
        pages.insert(0, _page_before(before, first_page - 1, options))
    if last_page < first_read_page + len(page_texts) - 1:
        after = page_texts[last_page + 1 - first_read_page]
        pages.append(_page_after(after, last_page + 1, options))
    records = _assemble(pages, options)
    owned = [record for record in records if first_page <= record[1] <= last_page]
    return _finish(owned, options)


def _sentences(records: Iterable[_Record]) -> list[Sentence]:
    return [
        Sentence(text=text, page=page, new_paragraph=new_paragraph)
        for text, page, new_paragraph in records
    ]


def _check_chunk_range(count: int, first_read_page: int, first_page: int, last_page: int) -> None:
    last_read_page = first_read_page + count - 1
    if first_read_page < 1 or not first_read_page <= first_page <= last_page <= last_read_page:
        raise ValueError(
            f"pages {first_page}..{last_page} are not inside the pages read, "
            f"{first_read_page}..{last_read_page}"
        )
    if first_page > 1 and first_read_page == first_page:
        # Without it the chunk cannot tell whether its first text continues a sentence.
        raise ValueError(f"page {first_page - 1} (the overlap before page {first_page}) is missing")


def _pages(page_texts: Sequence[str], first_number: int, options: TextOptions) -> list[_Page]:
    return [
        _page(raw, number, options) for number, raw in enumerate(page_texts, start=first_number)
    ]


def _page(raw: str, number: int, options: TextOptions) -> _Page:
    segments: list[str] = []
    starts: list[bool] = []
    for index, paragraph in enumerate(_paragraphs(raw, options)):
        pieces = split_paragraph(paragraph)
        segments += pieces
        starts += [index > 0] + [False] * (len(pieces) - 1)
    return _Page(
        number=number,
        segments=tuple(segments),
        paragraph_starts=tuple(starts),
        has_boundary=len(segments) > 1,
    )


def _page_before(raw: str, number: int, options: TextOptions) -> _Page:
    """The page before a chunk, reduced to its last segment: its sentences are not the
    chunk's, but the chunk's first one may continue the last."""
    paragraphs = _paragraphs(raw, options)
    if not paragraphs:
        return _Page(number=number, segments=(), paragraph_starts=(), has_boundary=False)
    last, split = last_sentence(paragraphs[-1])
    return _Page(
        number=number,
        segments=(last,),
        paragraph_starts=(False,),
        has_boundary=split or len(paragraphs) > 1,
    )


def _page_after(raw: str, number: int, options: TextOptions) -> _Page:
    """The page after a chunk, reduced to its first segment: the one that may end the
    chunk's last sentence."""
    paragraphs = _paragraphs(raw, options)
    if not paragraphs:
        return _Page(number=number, segments=(), paragraph_starts=(), has_boundary=False)
    first = first_sentence(paragraphs[0])
    split = len(paragraphs) > 1 or len(first) < len(paragraphs[0])
    return _Page(number=number, segments=(first,), paragraph_starts=(False,), has_boundary=split)


def _paragraphs(raw: str, options: TextOptions) -> tuple[str, ...]:
    return clean_page(
        raw,
        fix_hyphenation=options.fix_hyphenation,
        strip_page_numbers=options.strip_page_numbers,
    )


def _assemble(pages: Sequence[_Page], options: TextOptions) -> list[_Record]:
    records: list[_Record] = []
    previous: _Page | None = None
    for page in pages:
        if page.segments:
            _add_page(records, page, previous, options)
        previous = page
    return records


def _add_page(
    records: list[_Record], page: _Page, previous: _Page | None, options: TextOptions
) -> None:
    """Append the page's sentences; its first segment may end the previous page's last one."""
    keep_newlines = options.preserve_formatting
    texts = page.segments if keep_newlines else [text.replace("\n", " ") for text in page.segments]
    if previous is None or not previous.segments:
        # Start of the text read, or right after a blank page.
        records.append((texts[0], page.number, True))
    elif (glue := _continuation(previous, page.segments[0], options)) is None:
        records.append((texts[0], page.number, False))
    else:
        text, number, new_paragraph = records[-1]  # the previous page's last segment
        if glue.hyphen is not None:
            text = join_hyphenated(text, texts[0], glue.hyphen)
        else:
            text += ("\n" if keep_newlines else " ") + texts[0]
        records[-1] = (text, number, new_paragraph)
    records.extend(zip(texts[1:], repeat(page.number), page.paragraph_starts[1:]))


def _continuation(previous: _Page, head: str, options: TextOptions) -> _Glue | None:
    """How `head`, a page's first segment, continues the previous page; None if it does not."""
    if not previous.has_boundary:
        return None  # no boundary inside the previous page: see the module docstring
    tail = previous.segments[-1]
    if options.fix_hyphenation:
        how = hyphen_join(tail[tail.rfind("\n") + 1 :], head.split("\n", 1)[0])
        if how is not None:
            return _Glue(hyphen=how)
    return None if ends_sentence(tail, head) else _Glue(hyphen=None)


def _finish(records: list[_Record], options: TextOptions) -> list[_Record]:
    if options.min_sentence_length is not None or options.ignore_dialogue:
        records = [record for record in records if not _dropped(record[0], options)]
    limit = options.sentence_length_limit
    if limit is None:
        return records
    kept: list[_Record] = []
    for record in records:
        if len(record[0]) > limit:
            kept.extend(_limited(record, limit))
        else:
            kept.append(record)
    return kept


def _dropped(text: str, options: TextOptions) -> bool:
    minimum = options.min_sentence_length
    if minimum is not None and len(text.strip()) < minimum:
        return True
    return options.ignore_dialogue and is_dialogue(text)


def _limited(record: _Record, limit: int) -> list[_Record]:
    text, page, new_paragraph = record
    pieces = split_long(text, limit)
    return [(piece, page, new_paragraph and i == 0) for i, piece in enumerate(pieces)]
