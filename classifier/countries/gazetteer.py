"""Every surface form the extractor knows, with its code, kind, weight and ambiguity rule.

Names and codes come from pycountry (ISO 3166-1); our additions (aliases, demonyms, capitals,
seats of government, leaders, institutions, weak US evidence, blocked phrases, the ethnic-group
prefixes, ambiguity rules) come from the one reviewed data file `aliases.toml` beside this module.
Loading fails fast when two states claim one form, so a conflict is fixed in review rather than
decided by load order.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pycountry

__all__ = ["ALIASES_PATH", "Form", "Gazetteer", "Rule", "RuleStep", "load_gazetteer"]

ALIASES_PATH: Final = Path(__file__).with_name("aliases.toml")
BLOCKED: Final = "blocked"
AMBIGUOUS: Final = "ambiguous"
# All-caps forms this short are skipped in all-caps text, where "US" is usually the pronoun.
_CAPS_GUARD_MAX: Final = 4


@dataclass(frozen=True, slots=True)
class RuleStep:
    code: str
    weak: bool
    cue_texts: tuple[bytes, ...]  # any present in the article -> the step may hold
    cue_codes: frozenset[str]  # any decided elsewhere in the article -> the step may hold
    unless_texts: tuple[bytes, ...]
    unless_codes: frozenset[str]

    @property
    def unconditional(self) -> bool:
        return not self.cue_texts and not self.cue_codes


# Identity, not value, equality: a rule is a dict key in the hot path, and hashing its nested
# cue tuples on every ambiguous match would cost microseconds.
@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    surface: str
    why: str
    person: bool  # dropped where it reads as a person's name
    person_anywhere: bool  # one person reading drops every bare occurrence in the article
    steps: tuple[RuleStep, ...]


@dataclass(frozen=True, slots=True)
class Form:
    surface: str
    code: str  # "" for blocked and ambiguous forms
    kind: str  # name, demonym, capital, seat, leader, institution, weak, blocked, ambiguous
    weight: float
    caps_guard: bool
    rule: Rule | None = None


@dataclass(frozen=True, slots=True)
class Gazetteer:
    forms: tuple[Form, ...]
    names: dict[str, str]  # code -> short English name
    weights: dict[str, float]
    # Words that, just before a demonym, make it an ethnic group ("ethnic Albanians"): no code.
    people_prefixes: tuple[str, ...] = ()


def _plural(word: str) -> str | None:
    return None if word.endswith(("s", "sh", "ch", "ese")) else word + "s"


def _iso_forms(country: Any) -> list[str]:
    """pycountry's names of one state as they appear in running text."""
    out = []
    for attr in ("name", "common_name", "official_name"):
        value = getattr(country, attr, None)
        if not value or "(" in value:
            continue
        # "Iran, Islamic Republic of" -> "Iran"; "the State of Palestine" -> "State of Palestine"
        value = value.split(",")[0].strip().removeprefix("the ")
        out.append(value)
    return out


def _rule(surface: str, spec: dict[str, Any]) -> Rule:
    steps = []
    for step in spec["rules"]:
        cues, unless = step.get("cues", []), step.get("unless", [])
        steps.append(
            RuleStep(
                code=step["code"],
                weak=bool(step.get("weak", False)),
                cue_texts=tuple(c.encode() for c in cues if not c.startswith("@")),
                cue_codes=frozenset(c[1:] for c in cues if c.startswith("@")),
                unless_texts=tuple(c.encode() for c in unless if not c.startswith("@")),
                unless_codes=frozenset(c[1:] for c in unless if c.startswith("@")),
            )
        )
    return Rule(
        surface=surface,
        why=spec["why"],
        person=bool(spec.get("person", False)),
        person_anywhere=bool(spec.get("person_anywhere", False)),
        steps=tuple(steps),
    )


def load_gazetteer(path: Path = ALIASES_PATH) -> Gazetteer:
    """Read pycountry and the alias file into one table of forms; raises on a conflict."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    weights: dict[str, float] = dict(data["meta"]["weights"])
    blocked = list(data["blocked"]["phrases"])
    reserved = set(data["ambiguous"]) | set(blocked)
    claimed: dict[str, tuple[str, str]] = {}

    def claim(surface: str, code: str, kind: str) -> None:
        if surface in reserved:
            return
        previous = claimed.get(surface)
        if previous is not None and previous[0] != code:
            raise ValueError(f"{surface!r} claimed by {previous[0]} and {code}")
        if previous is None or previous[1] == "weak":
            claimed[surface] = (code, kind)

    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names[code] = str(getattr(country, "common_name", None) or country.name)
        for form in _iso_forms(country):
            claim(form, code, "name")
    for code, entry in data["countries"].items():
        names.setdefault(code, (entry.get("names") or [code])[0])
        for kind, key in (("name", "names"), ("capital", "capitals"), ("seat", "seats")):
            for form in entry.get(key, []):
                claim(form, code, kind)
        for word in [*entry.get("demonyms", []), *entry.get("nouns", [])]:
            claim(word, code, "demonym")
            plural = _plural(word)
            if plural:
                claim(plural, code, "demonym")
    names.update(data["names"])
    for kind, table in (("leader", "leaders"), ("institution", "institutions"), ("weak", "weak")):
        for code, forms in data[table].items():
            for form in forms:
                claim(form, code, kind)

    out = [
        Form(s, code, kind, weights[kind], _caps_guard(s)) for s, (code, kind) in claimed.items()
    ]
    out += [Form(p, "", BLOCKED, 0.0, False) for p in blocked]
    for surface, spec in data["ambiguous"].items():
        out.append(Form(surface, "", AMBIGUOUS, 0.0, False, _rule(surface, spec)))
        plural = _plural(surface)
        if spec.get("plural") and plural:
            out.append(Form(plural, "", AMBIGUOUS, 0.0, False, _rule(plural, spec)))
    prefixes = tuple(f"{word} " for word in data["blocked"]["people_prefixes"])
    return Gazetteer(forms=tuple(out), names=names, weights=weights, people_prefixes=prefixes)


def _caps_guard(surface: str) -> bool:
    # A dotted abbreviation ("U.S.") is never the pronoun: only bare short capitals are guarded.
    return surface.isupper() and len(surface) <= _CAPS_GUARD_MAX and "." not in surface
