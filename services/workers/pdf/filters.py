"""Per-sentence filters and splitting applied after segmentation.

Each function looks at one sentence only, so applying them per chunk or to the
whole document gives the same result.
"""

from __future__ import annotations

import re

# Typographic and ASCII opening quotes, and the dashes that open a dialogue turn.
_DASHES = "\N{EM DASH}\N{EN DASH}"
_DIALOGUE_OPENERS = frozenset(
    '"«\N{LEFT DOUBLE QUOTATION MARK}\N{LEFT SINGLE QUOTATION MARK}'
    "\N{DOUBLE LOW-9 QUOTATION MARK}\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}" + _DASHES
)
_SPACE = re.compile(r"\s")
# Clause-opening words a long sentence may be cut before.
_CONJUNCTION = re.compile(
    r"(?:and|or|but|because|which|while|whereas|although|though|so|yet|then|et|ou|mais"
    r"|donc|car|puis|qui|que|parce|lorsque|quand|tandis|alors|afin)\b"
)
# A space before one of these is French typography; cutting there would orphan the mark.
_NO_CUT_BEFORE = frozenset(";:!?»%)]")
_LEVEL_WORST = 4


def is_dialogue(sentence: str) -> bool:
    """Whether the sentence is a line of dialogue: it opens with a quote or a dash."""
    return bool(sentence) and sentence[0] in _DIALOGUE_OPENERS


def split_long(sentence: str, limit: int) -> list[str]:
    """Cut `sentence` into pieces of at most `limit` characters at natural breaks.

    Preference order: after ; or :, before a dash, after a comma, before a
    conjunction, then any space. Words are never cut, so a single word longer
    than `limit` stays whole (and over the limit).
    """
    pieces: list[str] = []
    rest = sentence
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        if cut is None:
            match = _SPACE.search(rest, limit + 1)
            if match is None:
                break
            cut = match.start()
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut + 1 :].lstrip()
    pieces.append(rest)
    return pieces


def _best_cut(text: str, limit: int) -> int | None:
    """Index of the space to cut at, or None when no space fits under the limit."""
    # Cutting a good separator too early would leave a long tail to cut badly; a
    # separator must be in the last two thirds of the window to win.
    floor = limit // 3
    best: dict[int, int] = {}
    for match in _SPACE.finditer(text, 1, limit + 1):
        level = _cut_level(text, match.start())
        if level is not None and (level == _LEVEL_WORST or match.start() >= floor):
            best[level] = match.start()
    return best[min(best)] if best else None


def _cut_level(text: str, space: int) -> int | None:
    following = text[space + 1 : space + 2]
    if not following or following in _NO_CUT_BEFORE:
        return None
    preceding = text[space - 1]
    if preceding in ";:":
        return 0
    if following in _DASHES:
        return 1
    if preceding == ",":
        return 2
    if _CONJUNCTION.match(text, space + 1):
        return 3
    return _LEVEL_WORST
