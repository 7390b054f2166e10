"""The items of the countries check: a seeded draw of real articles and sentences, read by id.

    python -m bench.country_check_items [--set check|heldout] --list   # ids, one a line
    python -m bench.country_check_items [--set ...] --show N [--from K]  # items K..K+N, to read
    python -m bench.country_check_items [--set ...] --skeleton PATH    # ids, hashes, no codes

Two sets, each drawn with its own fixed seed: `check` (set 1, seed 12, the gold the extractor was
tuned against) and `heldout` (set 2, seed 1229, read and committed before any change made after set
1's scoring, and scored only to report: never to tune).

The gold (tests/data/countries_gold.jsonl) holds ids, a hash of each item's text and the
countries written down by reading; never the text, which stays in ../shared/datasets. The draw:

- whole articles from `news_articles_labelled`, only its `random` selection (the natural mix of
  news; the keyword-selected rows would over-weight diplomacy), stratified by primary topic into
  international/security and domestic/other so both kinds are covered;
- single sentences from three event sets (`conflibert_cameo` test split, `plv_plover`,
  `plover_gsr`), a sentence whose normalised text was already drawn from another set skipped
  (the sets share sentences).

Sentence ids name the set and the row: `conflibert_cameo:test:<0-based data row>`,
`plv_plover:<sentence_id>`, `plover_gsr:<id>`.

The held-out draw is disjoint from set 1 and reaches outside its pool:

- whole articles: a simple random sample of `news_articles_unlabelled` (6,000 articles of
  2012-2020, half international/security) and one of `news_articles_labelled` in any selection
  and corpus (AllSides, ECB+, BASIL, PAC), leaving out set 1's articles and every article in the
  same-event `group` as one of them;
- sentences: the same three event sets, `conflibert_cameo` from both splits
  (`conflibert_cameo:train:<row>` too), leaving out set 1's sentences by normalised text.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DATASETS: Final = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
SEED: Final = 12
ARTICLES_INTERNATIONAL: Final = 60
ARTICLES_DOMESTIC: Final = 50
SENTENCES_PER_SET: Final = 20
HELDOUT_SEED: Final = 1229
HELDOUT_UNLABELLED: Final = 70
HELDOUT_LABELLED: Final = 40
SETS: Final = ("check", "heldout")

# Primary topics (of the labelled set) that put an article on the international/security side.
_INTERNATIONAL: Final = frozenset(
    {
        "diplomacy", "sanctions", "military", "armed_conflict", "terrorism", "peace_process",
        "humanitarian", "civil_unrest",
    }
)  # fmt: skip
_SENTENCE_SETS: Final = (
    ("conflibert_cameo:test", "conflibert_cameo/test.csv", None),
    ("plv_plover", "plv_plover/plv_train.csv", "sentence_id"),
    ("plover_gsr", "plover_gsr/plover_gsr.csv", "id"),
)
# The held-out draw adds ConfliBERT's train split to its first set's pool.
_HELDOUT_SENTENCE_SETS: Final = (
    (("conflibert_cameo:test", "conflibert_cameo/test.csv", None),
     ("conflibert_cameo:train", "conflibert_cameo/train.csv", None)),
    (("plv_plover", "plv_plover/plv_train.csv", "sentence_id"),),
    (("plover_gsr", "plover_gsr/plover_gsr.csv", "id"),),
)  # fmt: skip
_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "article" or "sentence"
    title: str
    body: str

    @property
    def sha256(self) -> str:
        """12 hex digits of the text's SHA-256: the gold checks it scores the same text."""
        return hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()[:12]


def _articles(datasets: Path, folder: str = "news_articles_labelled") -> list[dict[str, object]]:
    path = datasets / folder / "articles.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _sentence_rows(
    datasets: Path, prefix: str, rel: str, id_column: str | None
) -> list[tuple[str, str]]:
    """[(item id, text)] of one sentence file, in file order."""
    with (datasets / rel).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        (f"{prefix}:{row[id_column] if id_column else n}", row["text"])
        for n, row in enumerate(rows)
    ]


def _sentences(datasets: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(set prefix, [(item id, text)]) per sentence set, in file order."""
    for prefix, rel, id_column in _SENTENCE_SETS:
        yield prefix, _sentence_rows(datasets, prefix, rel, id_column)


def _key(text: str) -> str:
    """A sentence's normalised text: the event sets share sentences with different punctuation."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def _take_sentences(
    rng: random.Random, rows: list[tuple[str, str]], seen: set[str], n: int
) -> list[Item]:
    """n sentences in a seeded order, skipping any whose normalised text is in `seen`."""
    out: list[Item] = []
    for item_id, text in rng.sample(rows, len(rows)):
        key = _key(text)
        if key in seen:
            continue
        seen.add(key)
        out.append(Item(item_id, "sentence", "", text))
        if len(out) == n:
            break
    return out


def _article_item(article: dict[str, object]) -> Item:
    return Item(str(article["id"]), "article", str(article["title"] or ""), str(article["body"]))


def _primary_topic(article: dict[str, object]) -> str:
    topics = article["topics"]
    assert isinstance(topics, list)
    return str(topics[0])


def draw(datasets: Path = DATASETS, seed: int = SEED) -> list[Item]:
    """The check's items, articles first; the same seed and data give the same list."""
    rng = random.Random(seed)
    pool = sorted(
        (a for a in _articles(datasets) if a["selection"] == "random"), key=lambda a: str(a["id"])
    )
    international = [a for a in pool if _primary_topic(a) in _INTERNATIONAL]
    domestic = [a for a in pool if _primary_topic(a) not in _INTERNATIONAL]
    chosen = rng.sample(international, ARTICLES_INTERNATIONAL) + rng.sample(
        domestic, ARTICLES_DOMESTIC
    )
    items = [_article_item(a) for a in chosen]
    seen: set[str] = set()
    for _, rows in _sentences(datasets):
        items += _take_sentences(rng, rows, seen, SENTENCES_PER_SET)
    return items


def draw_heldout(datasets: Path = DATASETS, seed: int = HELDOUT_SEED) -> list[Item]:
    """Set 2, disjoint from set 1 (ids, same-event groups, sentence texts), articles first."""
    first = draw(datasets)
    first_ids = {item.id for item in first}
    seen = {_key(item.body) for item in first if item.kind == "sentence"}
    labelled = _articles(datasets)
    first_groups = {a["group"] for a in labelled if a["id"] in first_ids}
    rng = random.Random(seed)
    unlabelled = sorted(_articles(datasets, "news_articles_unlabelled"), key=lambda a: str(a["id"]))
    pool = sorted(
        (a for a in labelled if a["id"] not in first_ids and a["group"] not in first_groups),
        key=lambda a: str(a["id"]),
    )
    chosen = rng.sample(unlabelled, HELDOUT_UNLABELLED) + rng.sample(pool, HELDOUT_LABELLED)
    items = [_article_item(a) for a in chosen]
    for sources in _HELDOUT_SENTENCE_SETS:
        rows = [row for source in sources for row in _sentence_rows(datasets, *source)]
        items += _take_sentences(rng, rows, seen, SENTENCES_PER_SET)
    return items


def draw_set(name: str, datasets: Path = DATASETS) -> list[Item]:
    """The items of set `name` ("check" or "heldout")."""
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}: one of {SETS}")
    return draw(datasets) if name == "check" else draw_heldout(datasets)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--set", choices=SETS, default="check")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--from", dest="start", type=int, default=0)
    parser.add_argument("--skeleton", type=Path)
    args = parser.parse_args()
    items = draw_set(args.set, args.datasets)
    if args.list:
        for item in items:
            print(item.id)
    for n, item in enumerate(items[args.start : args.start + args.show], start=args.start):
        print(f"\n===== [{n}] {item.id} ({item.kind})\nTITLE: {item.title}\n{item.body}")
    if args.skeleton:
        with args.skeleton.open("w", encoding="utf-8") as fh:
            for item in items:
                row = {"id": item.id, "kind": item.kind, "sha256": item.sha256, "countries": None}
                fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
