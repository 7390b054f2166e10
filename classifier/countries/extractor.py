"""The countries an article is about, most central first, from one pass over its original text.

    extractor = CountryExtractor.load()
    extractor.extract(ArticleText(title=..., body=...))  # -> (Country(code="IR", ...), ...)

One Aho-Corasick automaton (daachorse: a double array over UTF-8 bytes with a prefilter,
leftmost-longest, built once at load) finds every known form in `title + "\\n" + body` in a single
case-sensitive scan: the classifier's tokens are lower-cased, which would lose "US" vs "us" and
"Turkey" vs "turkey". Python then touches only the matches (a few dozen an article): whole-word
check, ambiguity rules, and a centrality score.

Centrality: each mention adds its kind's weight (name, demonym, seat 1; capital, leader 0.8;
institution 0.5; weak 0.3; from the alias file) times where it stands: headline x3, lead (first
LEAD_BYTES of the body) x2, rest x1. A state is listed only if its score reaches MIN_SCORE and
MIN_SHARE of the top state's: a single passing mention deep in an article does not make the
article about that state. Every listed state must also be substantively present: named in the
headline, or named at least once per SUPPORT_BYTES of text (up to SUPPORT_MAX times). A state
named three or four times in passing in a long article is not one of its main states, and a long
essay that names a state once or twice is about no state; a single sentence needs one mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Protocol

import daachorse

from classifier.countries.gazetteer import Gazetteer, Rule, load_gazetteer
from classifier.countries.rules import CueScan, decide, reads_as_person
from classifier.prediction import ArticleText

__all__ = [
    "MAX_COUNTRIES",
    "Country",
    "CountryExtractor",
    "CountryFinder",
    "default_extractor",
]

MAX_COUNTRIES: Final = 5
LEAD_BYTES: Final = 600
HEADLINE_FACTOR: Final = 3.0
LEAD_FACTOR: Final = 2.0
MIN_SCORE: Final = 1.5
MIN_SHARE: Final = 0.3
SUPPORT_BYTES: Final = 1000
SUPPORT_MAX: Final = 5
# 1 for the ASCII bytes that continue a word; any other byte (space, punctuation, quotes, the
# bytes of non-ASCII characters) ends one.
_WORD: Final = bytes(1 if chr(b).isascii() and chr(b).isalnum() else 0 for b in range(256))
# 1 for the ASCII lower-case letters: a neighbour in lower case means running text.
_LOWER: Final = bytes(1 if 0x61 <= b <= 0x7A else 0 for b in range(256))
_CAPS_WINDOW: Final = 4
_CAPS: Final = 1
_MADE_MAX: Final = 20_000  # bounds the Country cache of a long-running service
_SPACE: Final = 0x20
_PEOPLE: Final = 2


@dataclass(frozen=True, slots=True)
class Country:
    """One state an article is about: ISO 3166-1 alpha-2 code, short English name, how often it
    was mentioned (every counted form), and whether the headline names it."""

    code: str
    name: str
    mentions: int
    in_headline: bool


class CountryFinder(Protocol):
    """What the service needs of the countries step: a batch of texts in, one tuple per text."""

    def extract_many(self, texts: Sequence[ArticleText]) -> list[tuple[Country, ...]]: ...


@cache
def default_extractor() -> CountryExtractor:
    """The extractor of the shipped alias file, built on first use (about 20 ms) and kept."""
    return CountryExtractor.load()


class _Tally:
    """Scores, mention counts and positions of one article's states."""

    __slots__ = ("counts", "first", "headline", "scores", "size")

    def __init__(self, size: int = 0) -> None:
        self.size = size  # bytes of title + body: how much support a listed state needs
        self.scores: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.headline: set[str] = set()

    def add(self, code: str, weight: float, start: int, head_end: int, lead_end: int) -> None:
        if start < head_end:
            weight *= HEADLINE_FACTOR
            self.headline.add(code)
        elif start < lead_end:
            weight *= LEAD_FACTOR
        self.scores[code] = self.scores.get(code, 0.0) + weight
        self.counts[code] = self.counts.get(code, 0) + 1
        self.first.setdefault(code, start)


class CountryExtractor:
    """Built once (the automaton and tables), then pure: same text in, same countries out."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        # Per-pattern columns, so the hot loop indexes tuples instead of reading attributes.
        self._codes = tuple(form.code for form in gazetteer.forms)
        self._weights = tuple(form.weight for form in gazetteer.forms)
        # What a match must pass besides the word boundaries: _CAPS (a short all-caps form is
        # not read in all-caps text) or _PEOPLE (a demonym after "ethnic" is no state).
        self._checks = tuple(
            _CAPS if form.caps_guard else _PEOPLE if form.kind == "demonym" else 0
            for form in gazetteer.forms
        )
        self._people = tuple(prefix.encode() for prefix in gazetteer.people_prefixes)
        self._rules: tuple[Rule | None, ...] = tuple(form.rule for form in gazetteer.forms)
        self._cue_scans = {form.rule: CueScan(form.rule) for form in gazetteer.forms if form.rule}
        self._names = gazetteer.names
        # Country values are immutable: the common (code, mentions, headline) ones are made once.
        self._made: dict[tuple[str, int, bool], Country] = {}
        self._name_weight = gazetteer.weights["name"]
        self._weak_weight = gazetteer.weights["weak"]
        self._automaton = daachorse.DoubleArrayAhoCorasick(
            [form.surface.encode() for form in gazetteer.forms],
            match_kind=daachorse.MATCH_KIND_LEFTMOST_LONGEST,
        )
        self._find = self._automaton.find

    @classmethod
    def load(cls) -> CountryExtractor:
        return cls(load_gazetteer())

    def extract_many(self, texts: Sequence[ArticleText]) -> list[tuple[Country, ...]]:
        return [self.extract(text) for text in texts]

    def extract(self, text: ArticleText) -> tuple[Country, ...]:
        """Up to MAX_COUNTRIES states, most central first; () when no state is involved."""
        head = text.title.encode()
        # A delimiter before and two after the text: the word-boundary and case look-ups of the
        # hot loop never fall off either end, so they need no bounds checks.
        raw = b"".join((b"\n", head, b"\n", text.body.encode(), b"\n\n"))
        head_end = len(head) + 1
        lead_end = head_end + 1 + LEAD_BYTES
        tally = _Tally(len(raw) - 3)  # the title, the newline and the body
        scores, counts, first, headline = tally.scores, tally.counts, tally.first, tally.headline
        pending: dict[Rule, list[tuple[int, int]]] = {}
        codes, weights, checks = self._codes, self._weights, self._checks
        word, lower, people = _WORD, _LOWER, self._people
        # The hot loop: a few dozen matches an article, kept to indexing and dict updates.
        for start, end, index in self._find(raw):
            if word[raw[start - 1]] or word[raw[end]]:
                continue  # inside a longer word: "US" in "USB", "Niger" in "Nigeria"
            code = codes[index]
            if not code:  # a blocked phrase (consumed, no code) or an ambiguous form
                rule = self._rules[index]
                if rule is not None:
                    pending.setdefault(rule, []).append((start, end))
                continue
            check = checks[index]
            # The common cases need no call: a caps-guarded form followed by a lower-case word
            # ("US officials") stands in running text; a demonym with no "ethnic" before it.
            if (
                check
                and not (
                    (check == _CAPS and raw[end] == _SPACE and lower[raw[end + 1]])
                    or (check == _PEOPLE and not raw.endswith(people, 0, start))
                )
                and self._rejects(check, raw, start, end)
            ):
                continue
            weight = weights[index]
            if start < lead_end:
                if start < head_end:
                    weight *= HEADLINE_FACTOR
                    headline.add(code)
                else:
                    weight *= LEAD_FACTOR
            if code in counts:
                scores[code] += weight
                counts[code] += 1
            else:
                scores[code], counts[code], first[code] = weight, 1, start
        if pending:
            self._decide(pending, raw, tally, head_end, lead_end)
        return self._rank(tally)

    def _rejects(self, check: int, raw: bytes, start: int, end: int) -> bool:
        """The form's own check: an all-caps context for short all-caps forms ("HE TOLD US"),
        an ethnic-group prefix for demonyms ("ethnic Albanians")."""
        if check == _CAPS:
            # A lower-case word just before or after on the same line means running text.
            if (raw[end] == _SPACE and _LOWER[raw[end + 1]]) or (
                raw[start - 1] == _SPACE and _LOWER[raw[start - 2]]
            ):
                return False
            return _all_caps(raw, start, end)
        return raw.endswith(self._people, 0, start)

    def _decide(
        self,
        pending: dict[Rule, list[tuple[int, int]]],
        raw: bytes,
        tally: _Tally,
        head_end: int,
        lead_end: int,
    ) -> None:
        decided = frozenset(tally.scores)  # the plain mentions only: rules never feed each other
        for rule, spans in pending.items():
            # Headlines are often title case, where every word is capitalised: read the body only.
            person = [
                rule.person and s >= head_end and reads_as_person(raw, s, e) for s, e in spans
            ]
            if rule.person_anywhere and any(person):
                own_codes = {step.code for step in rule.steps}
                if own_codes.isdisjoint(decided):
                    continue
            step = decide(rule, self._cue_scans[rule](raw), decided)
            if step is None:
                continue
            weight = self._weak_weight if step.weak else self._name_weight
            for (start, _), is_person in zip(spans, person, strict=True):
                if not is_person:
                    tally.add(step.code, weight, start, head_end, lead_end)

    def _rank(self, tally: _Tally) -> tuple[Country, ...]:
        if not tally.scores:
            return ()
        first, counts, headline = tally.first, tally.counts, tally.headline
        ranked = sorted((-score, first[code], code) for code, score in tally.scores.items())
        floor = max(MIN_SCORE, -MIN_SHARE * ranked[0][0])
        support = min(SUPPORT_MAX, 1 + tally.size // SUPPORT_BYTES)
        out: list[Country] = []
        made = self._made
        for score, _, code in ranked:
            if -score < floor or len(out) == MAX_COUNTRIES:
                break
            if counts[code] < support and code not in headline:
                continue  # named a few times in passing in a long text: not a main state
            key = (code, counts[code], code in headline)
            country = made.get(key)
            if country is None:
                country = Country(code, self._names[code], key[1], key[2])
                if len(made) < _MADE_MAX:
                    made[key] = country
            out.append(country)
        return tuple(out)


def _all_caps(raw: bytes, start: int, end: int) -> bool:
    """True in all-caps text ("TRUMP TELLS US TO"), where a short all-caps form is not a name.

    Reads only the few bytes on each side: enough to see the neighbouring words' case, and cheap,
    as "US" is among the most frequent forms."""
    before = raw[max(start - _CAPS_WINDOW, 0) : start]
    # Stay on the form's own line: an all-caps byline ("USA TODAY") sits between normal lines.
    near = before[before.rfind(b"\n") + 1 :] + raw[end : end + _CAPS_WINDOW].split(b"\n", 1)[0]
    return near.upper() == near != near.lower()
