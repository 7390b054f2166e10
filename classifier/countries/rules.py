"""Deciding ambiguous mentions (Georgia, Jordan, Turkey, Korea, ...) from their context.

Each rule is data in `aliases.toml`; this module only applies it. It runs after the plain
mentions of an article are known, so a rule can ask whether another state was named there, and it
runs only for the few articles that contain an ambiguous form. A rule's cue texts are looked for
in one automaton pass over the article (`CueScan`), not one substring search per cue: Georgia's
rule alone has a dozen cues.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import daachorse

from classifier.countries.gazetteer import Rule, RuleStep

__all__ = ["CueScan", "decide", "reads_as_person"]

# Titles that make the next capitalised word a person's name ("Rep. Jordan", "Mr. Chad").
_TITLES: Final = frozenset(
    b"Mr. Mrs. Ms. Dr. Rep. Sen. Gov. Gen. Lt. Sgt. Col. Capt. Coach Judge Justice".split()
)
_SPACE: Final = 0x20
_LOOK_BACK: Final = 32


class CueScan:
    """Which of one rule's cue texts occur anywhere in an article (substring semantics, as
    `cue in text`), found in a single overlapping automaton pass."""

    def __init__(self, rule: Rule) -> None:
        texts = {text for step in rule.steps for text in (*step.cue_texts, *step.unless_texts)}
        self._texts = tuple(sorted(texts))
        self._automaton = (
            daachorse.DoubleArrayAhoCorasick(list(self._texts)) if self._texts else None
        )

    def __call__(self, raw: bytes) -> frozenset[bytes]:
        if self._automaton is None:
            return frozenset()
        texts = self._texts
        return frozenset(texts[index] for _, _, index in self._automaton.find_overlapping(raw))


def _word_before(raw: bytes, end: int) -> tuple[bytes, int]:
    """The space-separated word ending just before `end` (a space) and where it starts."""
    # Bounded look-back: a word is short, and an unbounded rfind would walk a whole paragraph.
    low = max(end - _LOOK_BACK, 0)
    begin = max(raw.rfind(b" ", low, end), raw.rfind(b"\n", low, end), low - 1) + 1
    return raw[begin:end], begin


def _opens_sentence(raw: bytes, begin: int) -> bool:
    """Whether the word starting at `begin` is the first of a sentence, a line or the text."""
    if begin == 0 or raw[begin - 1] != _SPACE:
        return True  # first word of the text or of a line
    before, _ = _word_before(raw, begin - 1)
    # "said. Jordan" opens a sentence; "Rep. Jim Jordan" and "J. Jordan" do not.
    ends_sentence = before.endswith((b".", b"!", b"?", b'."', b".\xe2\x80\x9d"))
    abbreviation = before in _TITLES or len(before.rstrip(b".")) <= 1
    return ends_sentence and not abbreviation


def reads_as_person(raw: bytes, start: int, end: int) -> bool:
    """True where the form at raw[start:end] is part of a person's name, by its neighbours."""
    # A capitalised word just after: a surname ("Chad Wolf", "Jordan Peterson").
    if end + 1 < len(raw) and raw[end] == _SPACE and 0x41 <= raw[end + 1] <= 0x5A:
        return True
    if start < 2 or raw[start - 1] != _SPACE:
        return False  # no word just before, on the same line
    word, begin = _word_before(raw, start - 1)
    if word in _TITLES:
        return True
    # A capitalised plain word just before, mid-sentence: a first name ("Jim Jordan").
    return word[:1].isupper() and word.isalpha() and not _opens_sentence(raw, begin)


def _holds(step: RuleStep, present: Collection[bytes], decided: Collection[str]) -> bool:
    if present and any(cue in present for cue in step.unless_texts):
        return False
    if not step.unless_codes.isdisjoint(decided):
        return False
    if step.unconditional:
        return True
    if present and any(cue in present for cue in step.cue_texts):
        return True
    return not step.cue_codes.isdisjoint(decided)


def decide(rule: Rule, present: Collection[bytes], decided: Collection[str]) -> RuleStep | None:
    """The first step of `rule` that holds in this article, or None: no code. `present`: the
    rule's cue texts found in the article (`CueScan`); `decided`: the codes of its plain
    mentions."""
    for step in rule.steps:
        if _holds(step, present, decided):
            return step
    return None
