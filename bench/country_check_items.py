"""The items of the countries check: a seeded draw of real articles and sentences, read by id.

    python -m bench.country_check_items --list            # ids of the draw, one a line
    python -m bench.country_check_items --show N [--from K]  # print items K..K+N to read them
    python -m bench.country_check_items --skeleton PATH   # gold skeleton: ids, hashes, no codes

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


def _articles(datasets: Path) -> list[dict[str, object]]:
    path = datasets / "news_articles_labelled" / "articles.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _sentences(datasets: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(set prefix, [(item id, text)]) per sentence set, in file order."""
    for prefix, rel, id_column in _SENTENCE_SETS:
        with (datasets / rel).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        yield (
            prefix,
            [
                (f"{prefix}:{row[id_column] if id_column else n}", row["text"])
                for n, row in enumerate(rows)
            ],
        )


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
    items = [Item(str(a["id"]), "article", str(a["title"] or ""), str(a["body"])) for a in chosen]
    seen: set[str] = set()
    for _, rows in _sentences(datasets):
        order = rng.sample(rows, len(rows))
        taken = 0
        for item_id, text in order:
            key = _NON_ALNUM.sub(" ", text.lower()).strip()
            if key in seen:
                continue
            seen.add(key)
            items.append(Item(item_id, "sentence", "", text))
            taken += 1
            if taken == SENTENCES_PER_SET:
                break
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--from", dest="start", type=int, default=0)
    parser.add_argument("--skeleton", type=Path)
    args = parser.parse_args()
    items = draw(args.datasets)
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
