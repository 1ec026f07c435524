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
from dataclasses import dataclass, field

from services.workers.pdf.cleanup import Hyphen, clean_page, hyphen_join, join_hyphenated
from services.workers.pdf.filters import is_dialogue, split_long
from services.workers.pdf.sentences import ends_sentence, split_paragraph


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


@dataclass(frozen=True, kw_only=True)
class _Page:
    number: int
    # (text, starts a paragraph) per segment; the first segment's flag is decided by
    # how the page joins the previous one.
    segments: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, kw_only=True)
class _Glue:
    hyphen: Hyphen | None  # None: the page break is an ordinary line break


@dataclass(kw_only=True)
class _Assembler:
    """Glues page segments into sentences, page after page."""

    keep_newlines: bool
    done: list[Sentence] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    page: int = 0
    new_paragraph: bool = False

    def start(self, text: str, *, page: int, new_paragraph: bool) -> None:
        self.flush()
        self.parts = [text]
        self.page = page
        self.new_paragraph = new_paragraph

    def glue(self, text: str, how: Hyphen | None) -> None:
        if how is None:
            self.parts.append("\n")
            self.parts.append(text)
        else:
            self.parts[-1] = join_hyphenated(self.parts[-1], text, how)

    def flush(self) -> None:
        if not self.parts:
            return
        text = "".join(self.parts)
        if not self.keep_newlines:
            text = text.replace("\n", " ")
        self.done.append(Sentence(text=text, page=self.page, new_paragraph=self.new_paragraph))
        self.parts = []


def document_sentences(page_texts: Sequence[str], options: TextOptions) -> list[str]:
    """Whole-document segmentation (reference implementation; the sync path and tests use it)."""
    return [sentence.text for sentence in document_sentence_records(page_texts, options)]


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
    records = chunk_sentence_records(
        page_texts,
        first_read_page=first_read_page,
        first_page=first_page,
        last_page=last_page,
        options=options,
    )
    return [sentence.text for sentence in records]


def document_sentence_records(page_texts: Sequence[str], options: TextOptions) -> list[Sentence]:
    """Like `document_sentences`, with the start page and paragraph flag of each sentence."""
    return _finish(_assemble(_pages(page_texts, 1, options), options), options)


def chunk_sentence_records(
    page_texts: Sequence[str],
    *,
    first_read_page: int,
    first_page: int,
    last_page: int,
    options: TextOptions,
) -> list[Sentence]:
    """Like `chunk_sentences`, with the start page and paragraph flag of each sentence."""
    _check_chunk_range(len(page_texts), first_read_page, first_page, last_page)
    # Pages further out than one on each side cannot change the result; skip them.
    low = max(first_read_page, first_page - 1)
    high = min(first_read_page + len(page_texts) - 1, last_page + 1)
    window = page_texts[low - first_read_page : high - first_read_page + 1]
    sentences = _assemble(_pages(window, low, options), options)
    owned = [sentence for sentence in sentences if first_page <= sentence.page <= last_page]
    return _finish(owned, options)


def paragraph_numbers(sentences: Iterable[Sentence]) -> list[int]:
    """0-based paragraph index of each sentence, for sentences in document order."""
    numbers: list[int] = []
    current = -1
    for sentence in sentences:
        if sentence.new_paragraph or current < 0:
            current += 1
        numbers.append(current)
    return numbers


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
        _Page(number=number, segments=_segments(raw, options))
        for number, raw in enumerate(page_texts, start=first_number)
    ]


def _segments(raw: str, options: TextOptions) -> tuple[tuple[str, bool], ...]:
    paragraphs = clean_page(
        raw,
        fix_hyphenation=options.fix_hyphenation,
        strip_page_numbers=options.strip_page_numbers,
    )
    return tuple(
        (piece, index == 0 and number > 0)
        for number, paragraph in enumerate(paragraphs)
        for index, piece in enumerate(split_paragraph(paragraph))
    )


def _assemble(pages: Sequence[_Page], options: TextOptions) -> list[Sentence]:
    assembler = _Assembler(keep_newlines=options.preserve_formatting)
    previous: _Page | None = None
    for page in pages:
        for index, (text, starts_paragraph) in enumerate(page.segments):
            if index > 0:
                assembler.start(text, page=page.number, new_paragraph=starts_paragraph)
            elif previous is None or not previous.segments:
                # Start of the text read, or right after a blank page.
                assembler.start(text, page=page.number, new_paragraph=True)
            elif (glue := _continuation(previous, text, options)) is None:
                assembler.start(text, page=page.number, new_paragraph=False)
            else:
                assembler.glue(text, glue.hyphen)
        previous = page
    assembler.flush()
    return assembler.done


def _continuation(previous: _Page, head: str, options: TextOptions) -> _Glue | None:
    """How `head`, a page's first segment, continues the previous page; None if it does not."""
    if len(previous.segments) == 1:
        return None  # no boundary inside the previous page: see the module docstring
    tail = previous.segments[-1][0]
    if options.fix_hyphenation:
        how = hyphen_join(tail[tail.rfind("\n") + 1 :], head.split("\n", 1)[0])
        if how is not None:
            return _Glue(hyphen=how)
    return None if ends_sentence(tail, head) else _Glue(hyphen=None)


def _finish(sentences: Iterable[Sentence], options: TextOptions) -> list[Sentence]:
    kept: list[Sentence] = []
    for sentence in sentences:
        if not _dropped(sentence.text, options):
            kept.extend(_limited(sentence, options.sentence_length_limit))
    return kept


def _dropped(text: str, options: TextOptions) -> bool:
    minimum = options.min_sentence_length
    if minimum is not None and len(text.strip()) < minimum:
        return True
    return options.ignore_dialogue and is_dialogue(text)


def _limited(sentence: Sentence, limit: int | None) -> list[Sentence]:
    if limit is None or len(sentence.text) <= limit:
        return [sentence]
    pieces = split_long(sentence.text, limit)
    return [
        Sentence(text=piece, page=sentence.page, new_paragraph=sentence.new_paragraph and i == 0)
        for i, piece in enumerate(pieces)
    ]
