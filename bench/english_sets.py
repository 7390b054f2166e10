"""Every English text in ../shared/datasets, as the language check sees it: a title and a body.

The check of the language filter (`bench/language_id_check.py`) must see each set in the shape the
service would receive it: whole articles as title + body, headline and sentence sets as a title
alone. The rows are grouped by what the acceptance target says about them:

- `article`: whole articles or multi-paragraph reports; none may be rejected.
- `sentence`: headlines, single sentences and one-to-three-sentence notes; the target counts those
  of five words or more (`MIN_SENTENCE_WORDS`).
- `tweet`: crisis tweets, partly non-English by nature; reported apart, in no target.
- `message`: disaster-response SMS as translated into English by volunteers; reported apart.

Readers here are independent of the training code's readers on purpose: this is an evaluation of
the service's input filter, and it reads every row, not a training sample.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = ["MIN_SENTENCE_WORDS", "SETS", "Row", "read_all", "word_count"]

Kind = Literal["article", "sentence", "tweet", "message"]

MIN_SENTENCE_WORDS: Final = 5


@dataclass(frozen=True, slots=True)
class Row:
    set_name: str
    row_id: str
    kind: Kind
    title: str
    body: str


def word_count(text: str) -> int:
    """Whitespace-separated tokens holding a letter (numbers and dashes are not words)."""
    return sum(1 for token in text.split() if any(ch.isalpha() for ch in token))


def _csv(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _jsonl(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _news_articles(name: str) -> Callable[[Path], Iterator[Row]]:
    def read(root: Path) -> Iterator[Row]:
        for item in _jsonl(root / name / "articles.jsonl"):
            yield Row(name, item["id"], "article", item.get("title") or "", item.get("body") or "")

    return read


def _bbc(root: Path) -> Iterator[Row]:
    for item in _csv(root / "bbc_news" / "bbc_news.csv"):
        yield Row("bbc_news", item["id"], "article", item["title"], item["text"])


def _reuters(root: Path) -> Iterator[Row]:
    # 928 rows are a headline with no story (`BRIEF`): they are headlines, not articles.
    for item in _csv(root / "reuters21578" / "reuters21578.csv"):
        if item["body"].strip():
            yield Row("reuters21578", item["newid"], "article", item["title"], item["body"])
        else:
            yield Row("reuters21578_briefs", item["newid"], "sentence", item["title"], "")


def _reliefweb(root: Path) -> Iterator[Row]:
    # One row per (report, theme): the same report appears under several themes.
    seen: set[str] = set()
    for item in _csv(root / "reliefweb_themes" / "reliefweb_themes.csv"):
        if item["nid"] in seen:
            continue
        seen.add(item["nid"])
        title = item["title_line"]
        body = item["post"].removeprefix(title).lstrip()
        yield Row("reliefweb_themes", item["nid"], "article", title, body)


def _ngec(root: Path) -> Iterator[Row]:
    for path in sorted((root / "ngec_synthetic").glob("*.csv")):
        for number, item in enumerate(_csv(path), start=1):
            yield Row("ngec_synthetic", f"{path.stem}:{number}", "article", "", item["text"])


def _text_column(
    name: str, filename: str, column: str, kind: Kind = "sentence", id_column: str | None = None
) -> Callable[[Path], Iterator[Row]]:
    def read(root: Path) -> Iterator[Row]:
        for number, item in enumerate(_csv(root / name / filename), start=1):
            row_id = item[id_column] if id_column else f"{filename}:{number}"
            yield Row(name, row_id, kind, item[column] or "", "")

    return read


def _un_quadclass(root: Path) -> Iterator[Row]:
    # The relevance file repeats the quad-class sentences: each text is checked once.
    seen: set[str] = set()
    for filename in ("en_quadclass.csv", "en_relevance_binary.csv"):
        for number, item in enumerate(_csv(root / "un_quadclass" / filename), start=1):
            if item["text"] in seen:
                continue
            seen.add(item["text"])
            yield Row("un_quadclass", f"{filename}:{number}", "sentence", item["text"], "")


def _disaster_messages(root: Path) -> Iterator[Row]:
    path = root / "disaster_response_messages" / "disaster_response_messages.csv"
    for item in _csv(path):
        if item["genre"] == "news":
            yield Row("disaster_response_news", item["id"], "sentence", item["message"], "")
        else:
            yield Row("disaster_response_direct", item["id"], "message", item["message"], "")


def _tweets(root: Path) -> Iterator[Row]:
    for item in _csv(root / "crisislext26_tweets" / "crisislext26_tweets.csv"):
        flagged = item.get("likely_english_heuristic") == "1"
        name = "crisislext26_tweets" if flagged else "crisislext26_tweets_flagged_non_english"
        yield Row(name, item["Tweet ID"], "tweet", item["Tweet Text"] or "", "")


SETS: Final[dict[str, Callable[[Path], Iterator[Row]]]] = {
    "news_articles_labelled": _news_articles("news_articles_labelled"),
    "news_articles_unlabelled": _news_articles("news_articles_unlabelled"),
    "bbc_news": _bbc,
    "reuters21578": _reuters,
    "reliefweb_themes": _reliefweb,
    "ngec_synthetic": _ngec,
    "conflibert_cameo_train": _text_column("conflibert_cameo", "train.csv", "text"),
    "conflibert_cameo_test": _text_column("conflibert_cameo", "test.csv", "text"),
    "plv_plover": _text_column("plv_plover", "plv_train.csv", "text", id_column="sentence_id"),
    "plover_gsr": _text_column("plover_gsr", "plover_gsr.csv", "text", id_column="id"),
    "un_quadclass": _un_quadclass,
    "acled_notes": _text_column(
        "acled_notes", "acled_2020_05.csv", "text", id_column="event_id_cnty"
    ),
    "huffpost_crime_vs_not": _text_column(
        "huffpost_crime_vs_not", "huffpost_crime_vs_not.csv", "title"
    ),
    "huffpost_fewshot41": _text_column("huffpost_fewshot41", "huffpost_fewshot41.csv", "raw"),
    "ag_news_train_samples": _text_column(
        "ag_news_train_samples", "ag_news_train_samples.csv", "text"
    ),
    "airplane_crash_summaries": _text_column(
        "airplane_crash_summaries", "airplane_crash_summaries.csv", "Summary"
    ),
    "rand_rdwti_terrorism": _text_column(
        "rand_rdwti_terrorism", "rand_rdwti_terrorism.csv", "Description"
    ),
    "disaster_response_messages": _disaster_messages,
    "crisislext26_tweets": _tweets,
}


def read_all(root: Path) -> Iterator[Row]:
    """Every row of every set, set by set, in file order."""
    for reader in SETS.values():
        yield from reader(root)
