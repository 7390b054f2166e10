"""Sentence splitting and text normalisation: the only places that decide what a sentence is.

Both run on every article the service sees, so they avoid per-character Python work: one regex
pass finds candidate fragments (cut at every `.`, `!`, `?` or line break) and a short loop glues
back the cuts that were abbreviations, initials or decimals.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["normalise_for_dedup", "split_sentences"]

# Everything up to and including a run of terminal punctuation (plus closing quotes), a line
# break, or the end of the text.
_FRAGMENT: Final = re.compile(r"[^.!?\n]*(?:[.!?]+[\"'”’)\]]*|\n|$)")
_INITIALS: Final = re.compile(r"^(?:[A-Za-z][.])*[A-Za-z]$")
_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")

# Lower-cased words that end with a period without ending a sentence in news copy.
_ABBREVIATIONS: Final = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "gov",
        "sen", "rep", "st", "jr", "sr", "no", "nos", "vs", "etc", "inc", "ltd", "co", "corp",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "approx", "dept", "est", "fig", "mt", "ft", "rev", "hon", "pres", "govt", "al",
    }
)  # fmt: skip

# A sentence shorter than this (in characters, stripped) carries no tone: bylines, "Follow".
MIN_SENTENCE_CHARS: Final = 3


def _ends_mid_sentence(fragment: str) -> bool:
    """True when a fragment's final period belongs to an abbreviation or initials."""
    if not fragment.endswith("."):
        return False
    word = fragment[fragment.rfind(" ") + 1 : -1].lstrip("\"'“‘(")
    if len(word) > 6:
        return False
    return word.lower() in _ABBREVIATIONS or _INITIALS.match(word) is not None


def split_sentences(text: str) -> list[str]:
    """Split text into stripped sentences in order; line breaks always end a sentence."""
    sentences: list[str] = []
    pending = ""
    for fragment in _FRAGMENT.findall(text):
        if not fragment:
            continue
        if pending:
            head = fragment.lstrip()
            # A lower-case or digit continuation means the cut was inside a sentence
            # ("3.5 percent", "U.S. officials", "Jan. 29").
            if head and (head[0].islower() or head[0].isdigit() or _ends_mid_sentence(pending)):
                pending += fragment
            else:
                sentences.append(pending)
                pending = fragment
        else:
            pending = fragment
        if pending.endswith("\n"):
            sentences.append(pending)
            pending = ""
    if pending:
        sentences.append(pending)
    return [s for s in (p.strip() for p in sentences) if len(s) >= MIN_SENTENCE_CHARS]


def normalise_for_dedup(text: str) -> str:
    """Lower-case alphanumeric words joined by single spaces: the key for cross-set duplicates."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()
