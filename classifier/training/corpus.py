"""Build the training corpus: read every set, de-duplicate across sets, cap, and split.

Determinism comes from hashing, not from shuffling: an example's side of the split and its
place in a capped sample depend only on the seed and its normalised text, so adding or
re-ordering rows elsewhere never moves it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from classifier.text import normalise_for_dedup, split_sentences
from classifier.training.sources import READERS, Example, SetReader

__all__ = [
    "CAPS",
    "DEV_FRACTION",
    "Corpus",
    "MissingSetError",
    "build_corpus",
    "deduplicate",
    "sentence_view",
    "split_examples",
    "unit_hash",
]

DEV_FRACTION: Final = 0.15
# Sets far larger than the conflict-event sets are sampled down so that no single source
# (40k terrorism summaries, 30k HuffPost headlines, 14k tweets) dominates the tone model.
CAPS: Final[Mapping[str, int]] = {
    "rand_rdwti_terrorism": 3_000,
    "huffpost": 8_000,
    "crisislext26_tweets": 2_000,
    "reuters21578": 2_500,
    "ag_news_train_samples": 6_500,
    "airplane_crash_summaries": 1_500,
    "un_quadclass": 4_000,
}
# Reader keys whose examples come from several source names (huffpost has two files).
_NEVER_DEV: Final = frozenset({"ngec_synthetic"})


class MissingSetError(FileNotFoundError):
    """A training set the build requires is not in the data directory."""


@dataclass(frozen=True, slots=True)
class Corpus:
    train: tuple[Example, ...]
    dev: tuple[Example, ...]
    missing: tuple[str, ...] = ()  # sets skipped because their files were absent

    def counts(self) -> dict[str, dict[str, int]]:
        """Examples per source and side, for the model card and progress lines."""
        out: dict[str, dict[str, int]] = {}
        for side, examples in (("train", self.train), ("dev", self.dev)):
            for source, n in sorted(Counter(e.source for e in examples).items()):
                out.setdefault(source, {"train": 0, "dev": 0})[side] = n
        return out


def unit_hash(seed: int, key: str) -> float:
    """A uniform number in [0, 1) fixed by seed and key."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _key(example: Example) -> str:
    return normalise_for_dedup(example.text)


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """Keep one example per normalised text: a forced-dev one if any, else the first seen.

    Earlier sets win, so the reader order is the priority order. Empty texts are dropped.
    """
    chosen: dict[str, Example] = {}
    for example in examples:
        key = _key(example)
        if not key:
            continue
        kept = chosen.get(key)
        if kept is None or (example.forced_split == "dev" and kept.forced_split != "dev"):
            chosen[key] = example
    return list(chosen.values())


def _cap(examples: Sequence[Example], cap: int | None, seed: int) -> list[Example]:
    if cap is None or len(examples) <= cap:
        return list(examples)
    ranked = sorted(examples, key=lambda e: unit_hash(seed + 1, _key(e)))
    return ranked[:cap]


def split_examples(
    examples: Iterable[Example], seed: int, dev_fraction: float = DEV_FRACTION
) -> Corpus:
    """Forced splits first; otherwise dev when the group's (or text's) hash < dev_fraction."""
    train: list[Example] = []
    dev: list[Example] = []
    for example in examples:
        side = example.forced_split
        if side is None:
            key = example.group or _key(example)
            side = "dev" if unit_hash(seed, key) < dev_fraction else "train"
        (dev if side == "dev" else train).append(example)
    return Corpus(tuple(train), tuple(dev))


def build_corpus(
    data_dir: Path,
    seed: int = 13,
    readers: Mapping[str, SetReader] = READERS,
    caps: Mapping[str, int] = CAPS,
    *,
    require_all: bool = True,
) -> Corpus:
    """Read, de-duplicate across sets, cap the big sets, and split train/dev.

    A set whose files are absent raises MissingSetError, or with require_all=False is skipped
    and listed in `Corpus.missing`.
    """
    raw: list[Example] = []
    reader_of: dict[str, str] = {}
    missing: list[str] = []
    for name, reader in readers.items():
        try:
            examples = reader(data_dir)
        except FileNotFoundError as exc:
            if require_all:
                raise MissingSetError(f"training set {name!r} not found: {exc.filename}") from exc
            missing.append(name)
            continue
        for example in examples:
            reader_of[example.source] = name
            never_dev = name in _NEVER_DEV
            raw.append(replace(example, forced_split="train") if never_dev else example)
    unique = deduplicate(raw)
    capped: list[Example] = []
    for name in readers:
        members = [e for e in unique if reader_of[e.source] == name]
        capped.extend(_cap(members, caps.get(name), seed))
    split = split_examples(capped, seed)
    return Corpus(split.train, split.dev, tuple(missing))


def sentence_view(examples: Iterable[Example], max_per_doc: int = 6) -> list[Example]:
    """Sentence-level tone examples: sentence units as they are, plus sentences of documents.

    Every sentence of a neutral document is neutral (a football report has no hostile
    sentence), so up to `max_per_doc` of them, and its headline, become neutral sentences.
    A story labelled escalation or de-escalation states its event in the lead, so only the
    first sentence inherits that label; the rest of such a story is left out.
    """
    out: list[Example] = []
    for example in examples:
        if example.tone is None:
            continue
        if example.unit == "sentence":
            out.append(example)
            continue
        sentences = split_sentences(example.text)
        if example.tone == "neutral":
            picked = sentences[:max_per_doc] + ([example.title] if example.title else [])
        else:
            picked = sentences[:1]
        out.extend(replace(example, text=s, title="", unit="sentence", topics=None) for s in picked)
    return out
