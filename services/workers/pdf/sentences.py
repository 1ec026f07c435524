"""Rule-based sentence boundaries for English and French text.

A boundary is a terminator run (. ! ? … with closing quotes or brackets) followed by
whitespace, accepted or rejected by looking only at the word before it and the word
after it. Keeping the decision that local is deliberate: the same text must split
the same way whichever chunk of the document it is seen from.
"""

from __future__ import annotations

import re

_APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Titles that precede a name. Matched with their capital only: "Me Dupont" is a title,
# "gave it to me." ends a sentence.
_TITLES = _words(
    """
    Mr Mrs Ms Mx Dr Drs Prof Profs Messrs Mme Mmes Mlle Mlles MM M Me Mgr Pr
    St Ste Sts Mt Gen Col Lt Sgt Capt Cpt Cmdr Adm Maj Rev Hon Gov Sen Rep Pres Supt
    """
)
# Latin-style abbreviations that practically never end a sentence, in any case.
_NEVER_FINAL = _words("vs cf e.g i.e viz approx ca ex resp esp incl av apr")
# Abbreviations that normally precede a number: "No. 5", "p. 12", "Jan. 3".
_BEFORE_NUMBER = _words(
    """
    no nos nr p pp para paras vol vols ch chap fig figs art arts sec sect eq eqs tab op t
    env jan feb mar jun jul aug sep sept oct nov dec janv févr fév avr juil déc
    """
)
# Abbreviations that end a sentence only when a typical sentence opener follows.
_AMBIGUOUS = _words("inc ltd co corp llc jr sr bros al esq dept univ ave blvd rd")
# Words that very often open a sentence; after an ambiguous abbreviation they tip the
# decision towards a boundary ("in the U.S. The" vs "the U.S. Army").
_STARTERS = _words(
    """
    A An The This That These Those There Then Thus They Their It Its He His Him She Her
    We Our I You Your In On At As And But Or So If When While Where What Who Why How
    After Before Although Because Since However Moreover Also Yet For From To With By
    Some Many Most All Each Every No Not One Yes My Here Now Later Today Still Such Both
    Le La Les L' Un Une Des Du De D' Au Aux Ce Cet Cette Ces C' Ça Il Ils Elle Elles
    On Nous Vous Je J' Tu Mais Et Ou Donc Or Ni Car Puis Alors Ensuite Enfin Cependant
    Pourtant En Dans Pour Par Sur Avec Sans Quand Lorsque Si Comme Depuis Après Avant
    Selon Chaque Tout Tous Toute Toutes Son Sa Ses Leur Leurs Mon Ma Mes Notre Nos Votre
    Vos Oui Non Voici Voilà Ici
    """
)

_CLOSERS = "\"')\\]\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
# French puts a (non-breaking) space before », so a closing guillemet may follow one.
# Possessive: "! »" must never be read as "!" followed by a sentence starting with "»".
# One mark, then possessively any more: `[.!?…]++`, spelled so that the pattern opens with a
# character set, which lets the regex engine skip from mark to mark (half the scan time).
_TERMINATOR = rf"[.!?…][.!?…]*+(?:\s?»|[{_CLOSERS}])*+"
_CANDIDATE = re.compile(rf"({_TERMINATOR})\s+")
_FINAL = re.compile(rf"{_TERMINATOR}$")
# Skipped when looking for the first letter of the next sentence: opening quotes and
# brackets, dialogue dashes, Spanish-style inverted marks.
_OPENERS = (
    "«\"'([¿¡ \n\N{LEFT DOUBLE QUOTATION MARK}\N{LEFT SINGLE QUOTATION MARK}"
    "\N{DOUBLE LOW-9 QUOTATION MARK}\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}"
    "\N{EM DASH}\N{EN DASH}"
)
_NEXT_WORD = re.compile(rf"[^\W\d_]+['{_APOSTROPHE}]?")
# "U.S", "e.g", "Ph.D", "J.-C": short letter groups separated by dots.
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.-?)+[^\W\d_]{1,2}")
# Tokens that number a list item or heading at the start of a line: "1.", "IV.", "b.".
_LIST_MARKER = re.compile(r"\d{1,2}|[IVXivx]{1,4}|[^\W\d_]")
_FINAL_SEARCH_CHARS = 16
# Every abbreviation in lower case: a word outside it can only be held back by the
# list-marker, initial or dotted-abbreviation rules.
_LISTED = frozenset(title.lower() for title in _TITLES) | _NEVER_FINAL | _BEFORE_NUMBER | _AMBIGUOUS


def split_paragraph(text: str) -> list[str]:
    """Split one paragraph (stripped, single-spaced lines) into sentences."""
    pieces: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        # `_accepted`, spelled out: this runs once per candidate of the document.
        term_start, term_end = match.span(1)
        next_start = match.end()
        if is_boundary(text, term_start, text[term_start:term_end], text, next_start):
            pieces.append(text[start:term_end])
            start = next_start
    pieces.append(text[start:])
    return pieces


def first_sentence(text: str) -> str:
    """`split_paragraph(text)[0]`, without deciding the candidates after it."""
    for match in _CANDIDATE.finditer(text):
        if _accepted(text, match):
            return text[: match.end(1)]
    return text


def last_sentence(text: str) -> tuple[str, bool]:
    """`split_paragraph(text)[-1]`, and whether a sentence comes before it in `text`.

    Candidates are decided from the end: each decision is local, so the last accepted
    one is the same whichever way they are read.
    """
    for match in reversed(list(_CANDIDATE.finditer(text))):
        if _accepted(text, match):
            return text[match.end() :], True
    return text, False


def ends_sentence(before: str, after: str) -> bool:
    """Whether a sentence ends between the end of `before` and the start of `after`.

    Used where two pages meet: `before` is the end of one page, `after` the start
    of the next.
    """
    match = _FINAL.search(before, max(0, len(before) - _FINAL_SEARCH_CHARS))
    if match is None:
        return False
    return is_boundary(before, match.start(), match.group(), after, 0)


def _accepted(text: str, candidate: re.Match[str]) -> bool:
    term_start, term_end = candidate.span(1)
    return is_boundary(text, term_start, text[term_start:term_end], text, candidate.end())


def is_boundary(before: str, term_start: int, term: str, after: str, pos: int) -> bool:
    """Decide a candidate: `term` starts at before[term_start]; the next text at after[pos]."""
    end = len(after)
    while pos < end and after[pos] in _OPENERS:
        pos += 1
    if pos < end and after[pos].islower():
        return False  # "etc. and", "« Non ! » dit-il", "wait… maybe"
    if term == "." or (term[0] == "." and not term.startswith("..")):
        return _period_ends_sentence(before, term_start, after, pos)
    return True  # ! ? and ellipses


def _period_ends_sentence(before: str, term_start: int, after: str, pos: int) -> bool:
    token, at_line_start = _word_before(before, term_start)
    key = token.lower()
    if key not in _LISTED and len(token) != 1 and "." not in token:
        # The common case, decided as below but cheaper: a word in no list, and neither an
        # initial nor dotted (nor a dot leader's empty token), ends the sentence unless it
        # numbers a list item.
        return not (at_line_start and _LIST_MARKER.fullmatch(token))
    if token in _TITLES or key in _NEVER_FINAL:
        return False
    if key in _BEFORE_NUMBER and after[pos : pos + 1].isdigit():
        return False
    if at_line_start and _LIST_MARKER.fullmatch(token):
        return False
    if key in _AMBIGUOUS or key in _BEFORE_NUMBER or _looks_abbreviated(token):
        return _next_word(after, pos) in _STARTERS
    return True


def _word_before(text: str, end: int) -> tuple[str, bool]:
    """The token ending at text[end] (after the last space or line break, openers stripped),
    and whether it starts a line."""
    start = text.rfind(" ", 0, end) + 1
    word = text[start:end]
    if "\n" in word:
        return word[word.rfind("\n") + 1 :].lstrip(_OPENERS), True
    return word.lstrip(_OPENERS), start == 0


def _looks_abbreviated(token: str) -> bool:
    # A lone letter is usually an initial ("J. R. R. Tolkien").
    return (len(token) == 1 and token.isalpha()) or _DOTTED.fullmatch(token) is not None


def _next_word(text: str, pos: int) -> str:
    match = _NEXT_WORD.match(text, pos)
    return match.group().replace(_APOSTROPHE, "'") if match else ""
