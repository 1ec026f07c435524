from __future__ import annotations

import random
import sys
from collections.abc import Sequence

import pytest

from services.jobs.pdf_chunking import plan_chunks
from services.workers.pdf.cleanup import clean_page
from services.workers.pdf.text import (
    Sentence,
    TextOptions,
    chunk_sentence_records,
    chunk_sentences,
    document_sentence_records,
    document_sentences,
    paragraph_numbers,
)

DEFAULT = TextOptions()


def _chunked(pages: Sequence[str], options: TextOptions) -> list[str]:
    sentences: list[str] = []
    for chunk in plan_chunks(len(pages)).chunks:
        sentences += chunk_sentences(
            pages[chunk.read_first_page - 1 : chunk.read_last_page],
            first_read_page=chunk.read_first_page,
            first_page=chunk.first_page,
            last_page=chunk.last_page,
            options=options,
        )
    return sentences


# --- page cleanup and joining -------------------------------------------------------------


def test_hyphenated_words_are_joined_across_lines_and_pages() -> None:
    pages = ["The exam-\nple is good. It is well-known and so-", "called. The end."]

    assert document_sentences(pages, DEFAULT) == [
        "The example is good.",
        "It is well-known and socalled.",
        "The end.",
    ]


def test_compounds_capitals_urls_and_dashes_keep_their_hyphen() -> None:
    text = "Jean-\nPaul met a mother-in-\nlaw at example.com/some-\npath today — yes -\nreally."

    assert document_sentences([text], DEFAULT) == [
        "Jean-Paul met a mother-in-law at example.com/some-path today — yes - really."
    ]


def test_hyphenation_fix_can_be_turned_off() -> None:
    options = TextOptions(fix_hyphenation=False)

    assert document_sentences(["An exam-\nple. Next", "one."], options) == [
        "An exam- ple.",
        "Next one.",
    ]


def test_whitespace_ligatures_and_invisible_characters_are_normalised() -> None:
    text = "The \ufb01rst  of\tthe\u00a0o\ufb03ce\u00ad   rules.\r\nAnd\u200b more."

    assert document_sentences([text], DEFAULT) == ["The first of the office rules.", "And more."]


def test_every_unicode_whitespace_is_read_as_a_space_or_a_line_break() -> None:
    # Cleanup relies on " " and "\n" being the only whitespace left after normalising.
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]

    for space in spaces:
        paragraphs = clean_page(
            f" a{space}{space}b{space}", fix_hyphenation=True, strip_page_numbers=True
        )
        assert paragraphs in {("a b",), ("a\nb",), ("a", "b")}, repr(space)


def test_page_numbers_on_first_or_last_line_are_removed() -> None:
    pages = ["Page 1 of 3\nHi. It began with a long", "sentence. And it\nended.\n- 2 -", "3 / 3"]

    assert document_sentences(pages, DEFAULT) == [
        "Hi.",
        "It began with a long sentence.",
        "And it ended.",
    ]
    kept = document_sentences(pages, TextOptions(strip_page_numbers=False))
    assert kept == [
        "Page 1 of 3 Hi.",
        "It began with a long sentence.",
        "And it ended.",
        "- 2 - 3 / 3",
    ]


def test_a_sentence_continues_across_a_page_break() -> None:
    pages = ["First. The second starts here", "and ends here. Third."]

    assert document_sentences(pages, DEFAULT) == [
        "First.",
        "The second starts here and ends here.",
        "Third.",
    ]


def test_an_abbreviation_at_a_page_end_does_not_end_the_sentence() -> None:
    pages = ["First. We met Dr.", "Watson there. Bye."]

    assert document_sentences(pages, DEFAULT) == ["First.", "We met Dr. Watson there.", "Bye."]


def test_empty_pages_break_sentences() -> None:
    pages = ["One. Two without end", "", "  \n ", "three. Four."]

    assert document_sentences(pages, DEFAULT) == ["One.", "Two without end", "three.", "Four."]


def test_a_page_without_a_boundary_ends_its_sentence() -> None:
    # Keeps every sentence within two pages, which a one-page chunk overlap relies on.
    pages = ["Hi. Long one", "still going on and", "on. Done."]

    assert document_sentences(pages, DEFAULT) == [
        "Hi.",
        "Long one still going on and",
        "on.",
        "Done.",
    ]


def test_no_pages_give_no_sentences() -> None:
    assert document_sentences([], DEFAULT) == []
    assert document_sentences(["", " "], DEFAULT) == []


# --- options --------------------------------------------------------------------------------


def test_long_sentences_are_cut_at_natural_breaks() -> None:
    text = (
        "The committee met on Monday; it discussed the budget, the schedule and the staff, "
        "and then it adjourned without a vote because nobody agreed."
    )

    assert document_sentences([text], TextOptions(sentence_length_limit=60)) == [
        "The committee met on Monday;",
        "it discussed the budget, the schedule and the staff,",
        "and then it adjourned without a vote because nobody agreed.",
    ]


def test_cutting_prefers_dashes_then_conjunctions_then_spaces() -> None:
    options = TextOptions(sentence_length_limit=30)

    assert document_sentences(["We waited for hours — nobody came at all."], options) == [
        "We waited for hours",
        "— nobody came at all.",
    ]
    assert document_sentences(["Il attendait longtemps mais personne ne vint."], options) == [
        "Il attendait longtemps",
        "mais personne ne vint.",
    ]
    assert document_sentences(["Supercalifragilistic words never get cut."], options) == [
        "Supercalifragilistic words",
        "never get cut.",
    ]


def test_a_word_longer_than_the_limit_is_never_cut() -> None:
    options = TextOptions(sentence_length_limit=10)

    assert document_sentences(["Antidisestablishmentarianism rules."], options) == [
        "Antidisestablishmentarianism",
        "rules.",
    ]


def test_cuts_never_leave_french_punctuation_alone() -> None:
    options = TextOptions(sentence_length_limit=20)

    pieces = document_sentences(["Bien sûr : je viens demain ; toi aussi ?"], options)

    assert pieces == ["Bien sûr :", "je viens demain ;", "toi aussi ?"]
    assert all(len(piece) <= 20 for piece in pieces)


def test_dialogue_can_be_ignored() -> None:
    text = (
        "“Stop!” he said. The door shut. « Non ! » dit-il. Il partit.\n"
        '— Oui, dit-elle.\n\N{EN DASH} Bon. "Why?" They ran.'
    )

    assert document_sentences([text], TextOptions(ignore_dialogue=True)) == [
        "The door shut.",
        "Il partit.",
        "They ran.",
    ]
    assert len(document_sentences([text], DEFAULT)) == 8


def test_short_sentences_can_be_dropped() -> None:
    text = "Ok. Yes. This one is long enough. No."

    assert document_sentences([text], TextOptions(min_sentence_length=5)) == [
        "This one is long enough."
    ]


def test_formatting_keeps_line_breaks_and_marks_paragraphs() -> None:
    pages = ["Title line\n\nFirst line\nof text. Second.\n\nNew para-\ngraph starts", "here. End."]
    options = TextOptions(preserve_formatting=True)

    records = document_sentence_records(pages, options)

    assert records == [
        Sentence(text="Title line", page=1, new_paragraph=True),
        Sentence(text="First line\nof text.", page=1, new_paragraph=True),
        Sentence(text="Second.", page=1, new_paragraph=False),
        Sentence(text="New paragraph starts\nhere.", page=1, new_paragraph=True),
        Sentence(text="End.", page=2, new_paragraph=False),
    ]
    assert paragraph_numbers(records) == [0, 1, 1, 2, 2]
    assert document_sentences(pages, DEFAULT)[1] == "First line of text."


def test_invalid_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="sentence_length_limit"):
        TextOptions(sentence_length_limit=0)
    with pytest.raises(ValueError, match="min_sentence_length"):
        TextOptions(min_sentence_length=-1)


# --- chunks ---------------------------------------------------------------------------------


def test_a_sentence_across_a_chunk_edge_belongs_to_the_earlier_chunk() -> None:
    pages = ["Page one. It crosses", "into page two. Page two ends.", "Page three."]

    first = chunk_sentences(
        pages[:2], first_read_page=1, first_page=1, last_page=1, options=DEFAULT
    )
    second = chunk_sentences(pages, first_read_page=1, first_page=2, last_page=3, options=DEFAULT)

    assert first == ["Page one.", "It crosses into page two."]
    assert second == ["Page two ends.", "Page three."]


def test_chunk_records_carry_their_start_page() -> None:
    pages = ["Intro. A sentence that", "continues. Next one.", "Last."]

    records = chunk_sentence_records(
        pages[1:], first_read_page=2, first_page=3, last_page=3, options=DEFAULT
    )

    assert records == [Sentence(text="Last.", page=3, new_paragraph=False)]


@pytest.mark.parametrize(
    ("before", "owned"),
    [
        # The page before ends mid-sentence after a paragraph break or a full stop: the
        # chunk's first text continues that sentence, which is not the chunk's.
        ("Title\n\nA sentence that", ["Next."]),
        ("One. A sentence that", ["Next."]),
        # No boundary on the page before: its sentence ends with it.
        ("A sentence that", ["continues here.", "Next."]),
        ("", ["continues here.", "Next."]),
    ],
)
def test_a_chunk_sees_how_the_page_before_ends(before: str, owned: list[str]) -> None:
    pages = [before, "continues here. Next.", "Last."]

    assert (
        chunk_sentences(pages, first_read_page=1, first_page=2, last_page=2, options=DEFAULT)
        == owned
    )


def test_chunk_needs_the_page_before_its_first_page() -> None:
    with pytest.raises(ValueError, match="page 4"):
        chunk_sentences(["x"] * 3, first_read_page=5, first_page=5, last_page=6, options=DEFAULT)


def test_chunk_pages_must_be_inside_the_pages_read() -> None:
    with pytest.raises(ValueError, match="not inside"):
        chunk_sentences(["x"] * 3, first_read_page=1, first_page=2, last_page=4, options=DEFAULT)


# --- chunked segmentation equals whole-document segmentation ------------------------------


def _words(text: str, sep: str = " ") -> list[str]:
    return text.split(sep)


_TOKENS = _words(
    "the cat sat on a mat and then walked away into the garden while people watched "
    "Alice Bob Paris London The It He Elle Le voici demain répondit-il well-known"
)
_TRICKY = _words(
    "end.|end!|why?|so...|hmm…|Mr.|Dr.|U.S.|e.g.|etc.|p.|No.|J.|M.|3.50|2,5 %|« Non ! »"
    '|“Stop!”|"Go."|\N{EM DASH}|https://x.org/a-b.|a@b.fr|1.|exam-|Non !|Quoi ?|(see above.)',
    "|",
)


def _random_page(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(["", "   ", "\n\n", "12", "- 7 -"])
    count = rng.randint(1, 8) if roll < 0.35 else rng.randint(10, 90)
    parts: list[str] = []
    for _ in range(count):
        parts.append(rng.choice(_TRICKY) if rng.random() < 0.3 else rng.choice(_TOKENS))
        parts.append(rng.choice([" "] * 8 + ["\n", "\n", "\n\n", "-\n"]))
    return "".join(parts[:-1]) + rng.choice(["", "", "-", ".", "\n3"])


@pytest.mark.parametrize("page_count", range(1, 131))
def test_chunks_concatenate_to_the_document(page_count: int) -> None:
    rng = random.Random(page_count)
    pages = [_random_page(rng) for _ in range(page_count)]
    options = TextOptions(
        sentence_length_limit=rng.choice([None, 40, 200]),
        ignore_dialogue=rng.random() < 0.3,
        preserve_formatting=rng.random() < 0.3,
        fix_hyphenation=rng.random() < 0.8,
        min_sentence_length=rng.choice([None, None, 3]),
    )

    expected = document_sentences(pages, options)

    assert _chunked(pages, options) == expected
    assert expected  # the generator always produces some text at these sizes


@pytest.mark.parametrize("seed", range(60))
def test_any_chunking_gives_the_document_records(seed: int) -> None:
    # Chunks of one to four pages, some reading more than one page on a side: each page
    # next to a chunk is only partly segmented, which must not change a record.
    rng = random.Random(seed)
    pages = [_random_page(rng) for _ in range(rng.randint(1, 25))]
    options = TextOptions(
        preserve_formatting=rng.random() < 0.5, fix_hyphenation=rng.random() < 0.8
    )
    records: list[Sentence] = []
    first = 1
    while first <= len(pages):
        last = min(len(pages), first + rng.randint(0, 3))
        read_first = max(1, first - rng.choice([1, 1, 2]))
        read_last = min(len(pages), last + rng.choice([1, 1, 2]))
        records += chunk_sentence_records(
            pages[read_first - 1 : read_last],
            first_read_page=read_first,
            first_page=first,
            last_page=last,
            options=options,
        )
        first = last + 1

    assert records == document_sentence_records(pages, options)


# A no-break space keeps a part on one line and one page, as French typesetting does.
_SENTENCE_PARTS = _words(
    "Mr. Smith|Dr. Watson|e.g. apples|the U.S. Army|J. R. R. Tolkien|No.\u00a05|p.\u00a012"
    "|$3.50|M. Dupont|«\u00a0Non\u00a0!\u00a0» dit-il|https://example.com/path|etc. and"
    "|j.doe@example.org|2,5\u00a0%|well-known|le 1er mai",
    "|",
)
_WORDS = _words("garden morning yesterday following remarkable although silence window")
_ENDS = [".", ".", ".", "!", "?", "...", "…"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 12))]
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randint(0, len(words)), rng.choice(_SENTENCE_PARTS))
    opener = rng.choice(["The", "Alice", "Elle", "— Oui,", "It"])
    return f"{opener} {' '.join(words)}{rng.choice(_ENDS)}"


def _hyphenate(word: str, rng: random.Random) -> tuple[str, str]:
    """Cut a long lowercase word into "exa-" and "mple", or return ("", word)."""
    if word.isalpha() and word.islower() and len(word) > 6 and rng.random() < 0.5:
        cut = rng.randint(2, len(word) - 2)
        return word[:cut] + "-", word[cut:]
    return "", word


def _layout(sentences: list[str], rng: random.Random) -> list[str]:
    """Lay sentences out on pages; every page holds a sentence end followed by more text."""
    pages: list[str] = []
    text, ends = "", 0
    for sentence in sentences:
        for index, word in enumerate(sentence.split(" ")):
            gap = rng.choice([" "] * 6 + ["\n"]) if text else ""
            head, tail = _hyphenate(word, rng)
            if text and ends >= 2 and rng.random() < 0.08:
                pages.append(text + (gap + head if head else "") + rng.choice(["", "\n9"]))
                if index == 0 and rng.random() < 0.3:
                    pages.append("")
                text, ends = tail, 0
            elif head and rng.random() < 0.2:
                text += f"{gap}{head}\n{tail}"
            else:
                text += gap + word
        ends += 1
    return [*pages, text]


@pytest.mark.parametrize("seed", range(40))
def test_generated_documents_are_segmented_into_their_sentences(seed: int) -> None:
    rng = random.Random(seed)
    sentences = [_sentence(rng) for _ in range(rng.randint(5, 300))]
    expected = [sentence.replace("\u00a0", " ") for sentence in sentences]

    pages = _layout(sentences, rng)

    assert document_sentences(pages, DEFAULT) == expected
    assert _chunked(pages, DEFAULT) == expected
