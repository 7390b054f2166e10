"""Readers for the shared training sets: one function per set, each returning `Example`s.

Readers only parse and map labels (through `classifier.training.label_mapping`); sampling,
de-duplication and the train/dev split belong to `classifier.training.corpus`. The sets are read in
place and never copied into the project.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from classifier.html_text import clean_text
from classifier.taxonomy import ToneLabel
from classifier.training import label_mapping as lm

__all__ = ["HEADLINES_PATH", "READERS", "Example", "SetReader", "files_read", "read_headlines"]

Unit = Literal["sentence", "document"]
Split = Literal["train", "dev"]


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. `tone`/`topics` None = the source says nothing about that head."""

    text: str
    source: str
    tone: ToneLabel | None
    score: float | None
    topics: tuple[str, ...] | None
    unit: Unit
    not_topics: tuple[str, ...] = ()  # certainly not these topics (when `topics` is None)
    title: str = ""
    group: str = ""  # rows sharing a group stay on one side of the split (e.g. one report)
    forced_split: Split | None = None


SetReader = Callable[[Path], list[Example]]

csv.field_size_limit(1 << 30)

_ACLED_SIZE: Final = re.compile(r"\s*\[[^\]]*\]\s*$")
_RAND_COUNTRY: Final = re.compile(r"^[A-Z][A-Z .,'&()-]+\.\s+")
_SHOOTDOWN: Final = re.compile(r"shot down|bomb|hijack|missile|terrorist", re.IGNORECASE)
_CRISIS_SKIP: Final = frozenset({"Shootings", "Bombings"})  # attacks, not disasters
# Built into the project, not read from the data directory: headlines we wrote and labelled by
# reading (classifier/training/data/README.md).
HEADLINES_PATH: Final = Path(__file__).resolve().parent / "data" / "headlines.jsonl"


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _make(target: lm.Target, text: str, source: str, unit: Unit, **kw: str | None) -> Example:
    # The same cleaning the service gives every title and body (classifier.html_text): training
    # and serving see the same characters.
    return Example(
        text=clean_text(text).strip(),
        source=source,
        tone=target.tone,
        score=target.score,
        topics=target.topics,
        unit=unit,
        not_topics=target.not_topics,
        title=clean_text(kw.get("title") or "").strip(),
        group=kw.get("group") or "",
        forced_split=kw.get("forced_split"),  # type: ignore[arg-type]
    )


def read_conflibert(root: Path) -> list[Example]:
    out = []
    for split in ("train", "test"):
        forced = "dev" if split == "test" else None  # the published test split is dev only
        for row in _rows(root / "conflibert_cameo" / f"{split}.csv"):
            target = lm.CAMEO_PENTACODE[row["label_name"]]
            out.append(
                _make(target, row["text"], "conflibert_cameo", "sentence", forced_split=forced)
            )
    return out


def read_plv(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "plv_plover" / "plv_train.csv"):
        target = lm.plover_target(row["gold_root"])
        if target is not None:
            out.append(_make(target, row["text"], "plv_plover", "sentence"))
    return out


def read_plover_gsr(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "plover_gsr" / "plover_gsr.csv"):
        target = lm.plover_target(row["event"], row["mode"])
        if target is not None:
            out.append(_make(target, row["text"], "plover_gsr", "sentence"))
    return out


def read_ngec(root: Path) -> list[Example]:
    out = []
    for path in sorted((root / "ngec_synthetic").glob("*.csv")):
        for row in _rows(path):
            target = lm.plover_target(row["event"], row.get("mode", ""))
            if target is not None:
                # Synthetic: train only, never evaluated on.
                out.append(
                    _make(target, row["text"], "ngec_synthetic", "document", forced_split="train")
                )
    return out


def read_un(root: Path) -> list[Example]:
    out = [
        _make(lm.UN_QUADCLASS[row["label_name"]], row["text"], "un_quadclass", "sentence")
        for row in _rows(root / "un_quadclass" / "en_quadclass.csv")
    ]
    return out


def read_acled(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "acled_notes" / "acled_2020_05.csv"):
        target = lm.ACLED_SUB_EVENT.get(row["sub_event_type"])
        if target is not None and row["text"].strip():
            out.append(_make(target, _ACLED_SIZE.sub("", row["text"]), "acled_notes", "sentence"))
    return out


def read_bbc(root: Path) -> list[Example]:
    return [
        _make(
            lm.BBC_CATEGORY[row["category"]],
            row["text"],
            "bbc_news",
            "document",
            title=row["title"],
        )
        for row in _rows(root / "bbc_news" / "bbc_news.csv")
    ]


def read_rand(root: Path) -> list[Example]:
    return [
        _make(
            lm.TERRORISM,
            _RAND_COUNTRY.sub("", row["Description"]),
            "rand_rdwti_terrorism",
            "sentence",
        )
        for row in _rows(root / "rand_rdwti_terrorism" / "rand_rdwti_terrorism.csv")
        if row["Description"].strip()
    ]


def read_reuters(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "reuters21578" / "reuters21578.csv"):
        target = lm.REUTERS
        if row["first_topic"] in lm.REUTERS_NO_TONE:
            target = lm.Target(None, None, target.topics, "trade / ship: conflict in 1987")
        title, body = row["title"].strip(), row["body"].strip()
        if body:
            out.append(_make(target, body, "reuters21578", "document", title=title))
        elif title:
            out.append(_make(target, title, "reuters21578", "sentence"))
    return out


def read_ag(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "ag_news_train_samples" / "ag_news_train_samples.csv"):
        target = lm.AG_NEWS.get(row["label_name"])
        if target is not None:
            out.append(_make(target, row["text"], "ag_news_train_samples", "sentence"))
    return out


def read_huffpost(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "huffpost_fewshot41" / "huffpost_fewshot41.csv"):
        target = lm.HUFFPOST_CATEGORY.get(row["category_inferred"])
        if target is not None:
            out.append(_make(target, row["raw"], "huffpost_fewshot41", "sentence"))
    for row in _rows(root / "huffpost_crime_vs_not" / "huffpost_crime_vs_not.csv"):
        if row["is_crime_report"] == "1":
            out.append(_make(lm.CRIME_HEADLINE, row["title"], "huffpost_crime_vs_not", "sentence"))
    return out


def read_disaster_messages(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "disaster_response_messages" / "disaster_response_messages.csv"):
        target = lm.disaster_message_target(row) if row["genre"] == "news" else None
        if target is not None:
            out.append(_make(target, row["message"], "disaster_response_messages", "sentence"))
    return out


def read_reliefweb(root: Path) -> list[Example]:
    themes: dict[str, set[str]] = defaultdict(set)
    first: dict[str, dict[str, str]] = {}
    for row in _rows(root / "reliefweb_themes" / "reliefweb_themes.csv"):
        themes[row["nid"]].add(row["theme_name"])
        first.setdefault(row["nid"], row)
    out = []
    for nid, row in first.items():
        extra = sorted(
            {t for theme in themes[nid] for t in lm.RELIEFWEB_THEME_TOPICS.get(theme, ())}
        )
        topics = ("humanitarian", *extra)
        tone_known = not themes[nid] & lm.RELIEFWEB_NO_TONE
        target = lm.Target(
            "neutral" if tone_known else None, 0.0 if tone_known else None, topics, ""
        )
        title, post = row["title_line"].strip(), row["post"].strip()
        body = post[len(title) :] if post.startswith(title) else post
        out.append(_make(target, body, "reliefweb_themes", "document", title=title, group=nid))
    return out


def read_air_crashes(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "airplane_crash_summaries" / "airplane_crash_summaries.csv"):
        text = row["Summary"].strip()
        if text:
            target = lm.AIR_SHOOTDOWN if _SHOOTDOWN.search(text) else lm.AIR_CRASH
            out.append(_make(target, text, "airplane_crash_summaries", "sentence"))
    return out


def read_crisis_tweets(root: Path) -> list[Example]:
    out = []
    for row in _rows(root / "crisislext26_tweets" / "crisislext26_tweets.csv"):
        if (
            row.get("likely_english_heuristic") == "1"
            and row.get("Informativeness") == "Related and informative"
            and row.get("event_type") not in _CRISIS_SKIP
        ):
            out.append(_make(lm.CRISIS_TWEET, row["Tweet Text"], "crisislext26_tweets", "sentence"))
    return out


def read_headlines(_root: Path) -> list[Example]:
    """Our hand-written headlines: headline-style wording for every tone. The corpora hold
    thousands of neutral HuffPost headlines whose verbs ("hits", "kills", "fires", "clash") are
    those of conflict headlines, and hardly any escalation or de-escalation headline; without
    these rows "Shelling kills four in Kherson" read as neutral. No Goldstein score is given, so
    the magnitude regressors do not see them; always in training (they are not a corpus to
    score on: the held-out probe is tests/data/headline_probe.jsonl)."""
    out = []
    with HEADLINES_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            target = lm.Target(row["tone"], None, tuple(row["topics"]), "hand-labelled headline")
            out.append(_make(target, row["title"], "headlines", "sentence", forced_split="train"))
    return out


READERS: Final[Mapping[str, SetReader]] = {
    "conflibert_cameo": read_conflibert,
    "plv_plover": read_plv,
    "plover_gsr": read_plover_gsr,
    "un_quadclass": read_un,
    "acled_notes": read_acled,
    "bbc_news": read_bbc,
    "ngec_synthetic": read_ngec,
    "rand_rdwti_terrorism": read_rand,
    "reuters21578": read_reuters,
    "ag_news_train_samples": read_ag,
    "huffpost": read_huffpost,
    "disaster_response_messages": read_disaster_messages,
    "reliefweb_themes": read_reliefweb,
    "airplane_crash_summaries": read_air_crashes,
    "crisislext26_tweets": read_crisis_tweets,
    "headlines": read_headlines,
}


# What each reader opens, relative to the data directory (globs), for the provenance hash.
_FILES: Final[Mapping[str, tuple[str, ...]]] = {
    "conflibert_cameo": ("conflibert_cameo/train.csv", "conflibert_cameo/test.csv"),
    "plv_plover": ("plv_plover/plv_train.csv",),
    "plover_gsr": ("plover_gsr/plover_gsr.csv",),
    "un_quadclass": ("un_quadclass/en_quadclass.csv",),
    "acled_notes": ("acled_notes/acled_2020_05.csv",),
    "bbc_news": ("bbc_news/bbc_news.csv",),
    "ngec_synthetic": ("ngec_synthetic/*.csv",),
    "rand_rdwti_terrorism": ("rand_rdwti_terrorism/rand_rdwti_terrorism.csv",),
    "reuters21578": ("reuters21578/reuters21578.csv",),
    "ag_news_train_samples": ("ag_news_train_samples/ag_news_train_samples.csv",),
    "huffpost": (
        "huffpost_fewshot41/huffpost_fewshot41.csv",
        "huffpost_crime_vs_not/huffpost_crime_vs_not.csv",
    ),
    "disaster_response_messages": ("disaster_response_messages/disaster_response_messages.csv",),
    "reliefweb_themes": ("reliefweb_themes/reliefweb_themes.csv",),
    "airplane_crash_summaries": ("airplane_crash_summaries/airplane_crash_summaries.csv",),
    "crisislext26_tweets": ("crisislext26_tweets/crisislext26_tweets.csv",),
    "headlines": (),  # in the project: HEADLINES_PATH, hashed by the training run itself
}


def files_read(root: Path, readers: Iterable[str] = READERS) -> list[Path]:
    """The files the given readers open (those present), for the provenance hash."""
    found = {p for name in readers for pattern in _FILES[name] for p in root.glob(pattern)}
    return sorted(p for p in found if p.is_file())
