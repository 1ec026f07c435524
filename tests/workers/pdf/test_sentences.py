"""Concrete sentence splits for English and French text, one page at a time."""

from __future__ import annotations

import random

import pytest

from services.workers.pdf.sentences import (
    ends_sentence,
    first_sentence,
    last_sentence,
    split_paragraph,
)
from services.workers.pdf.text import TextOptions, document_sentences


def _split(text: str) -> list[str]:
    return document_sentences([text], TextOptions())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Mrs. Brown and Dr. Jones. They talked.",
            ["Mr. Smith met Mrs. Brown and Dr. Jones.", "They talked."],
        ),
        (
            "Bring fruit, e.g. apples, i.e. something sweet. Then leave.",
            ["Bring fruit, e.g. apples, i.e. something sweet.", "Then leave."],
        ),
        (
            "We bought pens, paper, etc. and ink. Pens, paper, etc. The shop closed.",
            ["We bought pens, paper, etc. and ink.", "Pens, paper, etc.", "The shop closed."],
        ),
        (
            "She moved to the U.S. The climate suited her. The U.S. Army hired her.",
            ["She moved to the U.S.", "The climate suited her.", "The U.S. Army hired her."],
        ),
        (
            "We met at 9 a.m. on Jan. 5. It rained. See No. 7 and p. 12 of vol. 2.",
            ["We met at 9 a.m. on Jan. 5.", "It rained.", "See No. 7 and p. 12 of vol. 2."],
        ),
        ("Kramer vs. Kramer won. Cf. the list.", ["Kramer vs. Kramer won.", "Cf. the list."]),
        ("He gave it to me. Then he left.", ["He gave it to me.", "Then he left."]),
        (
            "M. Dupont, Mme Durand et Mlle. Petit sont là. Voir p. ex. la note. Cf. annexe.",
            [
                "M. Dupont, Mme Durand et Mlle. Petit sont là.",
                "Voir p. ex. la note.",
                "Cf. annexe.",
            ],
        ),
        (
            "Rome fut fondée en 753 av. J.-C. La ville grandit.",
            ["Rome fut fondée en 753 av. J.-C.", "La ville grandit."],
        ),
    ],
)
def test_abbreviations(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "J. R. R. Tolkien wrote it. John F. Kennedy read it.",
            ["J. R. R. Tolkien wrote it.", "John F. Kennedy read it."],
        ),
        ("It was plan B. The others failed.", ["It was plan B.", "The others failed."]),
    ],
)
def test_initials(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "It costs $3.50. That is cheap. We sold 1.000 units. Prices rose 0.5 percent.",
            [
                "It costs $3.50.",
                "That is cheap.",
                "We sold 1.000 units.",
                "Prices rose 0.5 percent.",
            ],
        ),
        (
            "Le taux est de 2,5 %. Il monte à 3,75 € par mois. Fin.",
            ["Le taux est de 2,5 %.", "Il monte à 3,75 € par mois.", "Fin."],
        ),
        ("He was born in 1990. 2020 was hard.", ["He was born in 1990.", "2020 was hard."]),
        (
            "He finished 2nd. Then he left. Le 1er mai, il part. Il revient le 2e jour.",
            ["He finished 2nd.", "Then he left.", "Le 1er mai, il part.", "Il revient le 2e jour."],
        ),
        ("1. Introduction\nThis paper studies it.", ["1. Introduction This paper studies it."]),
    ],
)
def test_numbers_and_ordinals(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wait... What? Fine.", ["Wait...", "What?", "Fine."]),
        ("I thought… maybe not. Well… Yes.", ["I thought… maybe not.", "Well…", "Yes."]),
        ("I wonder... perhaps later.", ["I wonder... perhaps later."]),
        ("Really?! Yes!! Good.", ["Really?!", "Yes!!", "Good."]),
    ],
)
def test_ellipses_and_marks(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Stop!" he said. "Why?" She ran.', ['"Stop!" he said.', '"Why?"', "She ran."]),
        ("“Stop!” he said. “Now.” They left.", ["“Stop!” he said.", "“Now.”", "They left."]),
        ("He said 'no.' Then he left.", ["He said 'no.'", "Then he left."]),
        ("« Non ! » dit-il. « Viens. » Il vint.", ["« Non ! » dit-il.", "« Viens. »", "Il vint."]),
        ("(See the annex.) The end.", ["(See the annex.)", "The end."]),
    ],
)
def test_quotes(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tu viens ? Oui ! Bien sûr : je viens ; toi aussi.",
            ["Tu viens ?", "Oui !", "Bien sûr : je viens ; toi aussi."],
        ),
        # Non-breaking and narrow no-break spaces, as French typesetting produces them.
        ("Quoi\u202f?\u00a0Rien\u00a0! Bon.", ["Quoi ?", "Rien !", "Bon."]),
        ("— Oui, dit-elle. — Non ! répondit-il.", ["— Oui, dit-elle.", "— Non ! répondit-il."]),
        ("— Tu viens ?\n— Oui.", ["— Tu viens ?", "— Oui."]),
        ("Vraiment ?! C'est fou.", ["Vraiment ?!", "C'est fou."]),
    ],
)
def test_french_typography_and_dialogue(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Visit https://example.com/a.b?c=d. Then write to john.doe@example.org. Thanks.",
            [
                "Visit https://example.com/a.b?c=d.",
                "Then write to john.doe@example.org.",
                "Thanks.",
            ],
        ),
        (
            "See www.example.co.uk/index.html for details.",
            ["See www.example.co.uk/index.html for details."],
        ),
    ],
)
def test_urls_and_emails_are_not_split(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A list marker keeps its period at the start of the paragraph or of any line in it.
        (
            "Results were good. See\nb. The appendix. And\niv. Later. Then\n12. Items.",
            ["Results were good.", "See\nb. The appendix.", "And\niv. Later.", "Then\n12. Items."],
        ),
        ("(IV. Four. End.", ["(IV. Four.", "End."]),
        # Elsewhere a lone letter is an initial, ended only by a typical opener.
        ("It was (b. The next.", ["It was (b.", "The next."]),
        ("It was plan b. Lots followed.", ["It was plan b. Lots followed."]),
        # Abbreviations are looked up whatever their case; titles only with their capital.
        (
            "Kramer VS. Kramer won. Kramer Vs. Kramer lost.",
            ["Kramer VS. Kramer won.", "Kramer Vs. Kramer lost."],
        ),
        ("Ask me. Me Dupont came.", ["Ask me.", "Me Dupont came."]),
        # A period after nothing (dot leaders) ends a sentence like any word's.
        ("Wait. . . Then.", ["Wait.", ".", ".", "Then."]),
    ],
)
def test_short_tokens_list_markers_and_empty_tokens(text: str, expected: list[str]) -> None:
    assert split_paragraph(text) == expected


_PIECES = [
    "word end. The",
    "Mr. Smith",
    "e.g. this",
    "U.S. Army",
    "U.S. The",
    "J. R. Tolkien",
    "No. 5",
    "p. 12",
    "etc. and",
    "\n1. Item",
    "\nIV. Part",
    "\nb. Note",
    "Wait... What?",
    "Oui ! Non",
    "« Non ! » dit-il.",
    "“Now.” They",
    "(see above.) So",
    "3.50. Next",
    "x . Y",
    ". . .",
    "Inc. shares",
    "al. The",
    "ok",
    "the",
    "\n",
]


@pytest.mark.parametrize("seed", range(30))
def test_first_and_last_sentence_agree_with_split_paragraph(seed: int) -> None:
    rng = random.Random(seed)
    text = " ".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 25))).strip()
    pieces = split_paragraph(text)

    assert first_sentence(text) == pieces[0]
    assert last_sentence(text) == (pieces[-1], len(pieces) > 1)


def test_split_paragraph_keeps_line_breaks_inside_sentences() -> None:
    assert split_paragraph("One line\ncontinues. Next\none.") == [
        "One line\ncontinues.",
        "Next\none.",
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("It ended.", "Then it began.", True),
        ("It ended", "then it began.", False),
        ("It was Mr.", "Smith who came.", False),
        ("He asked, etc.", "and so on.", False),
        ("« Non ! »", "Il part.", True),
        ("Wait", "", False),
    ],
)
def test_ends_sentence_across_a_page_break(before: str, after: str, expected: bool) -> None:
    assert ends_sentence(before, after) is expected
