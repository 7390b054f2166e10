"""Score the country extractor against the gold written by reading (tests/data/countries_gold*).

    python -m bench.countries_check [--set check|heldout] [--label NAME] [--out PATH]

Pairs: for each item, the first two output entries are the predicted (item, country) pairs and the
gold's (at most two) codes the true ones. An item whose gold is empty is right only if the output is
empty: both sides then use a "none" pseudo-country, so an empty output on an empty gold is one true
positive, a non-empty output on it adds a false negative, and an empty output on a non-empty gold
adds a false positive of "none" besides the missed countries. Articles and sentences are reported
apart, with subsets (international vs domestic articles; items read as sure). Writes JSON (default
bench/results/countries_check.json, or countries_check_heldout.json for set 2) with the commit of
the alias file it was measured at.

Set 1 (`check`, tests/data/countries_gold.jsonl) is the development set: its report lists the
items the extractor gets wrong. Set 2 (`heldout`, tests/data/countries_gold_heldout.jsonl) is
scored only to report: its report holds the totals and never the per-item results, so nobody tunes
on it by reading them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from bench.country_check_items import DATASETS, SETS, Item, draw_set
from bench.measure import commit_of
from classifier.countries import CountryExtractor
from classifier.countries.gazetteer import ALIASES_PATH
from classifier.prediction import ArticleText

ROOT: Final = Path(__file__).resolve().parent.parent
GOLD: Final = {
    "check": ROOT / "tests" / "data" / "countries_gold.jsonl",
    "heldout": ROOT / "tests" / "data" / "countries_gold_heldout.jsonl",
}
OUT: Final = {
    "check": ROOT / "bench" / "results" / "countries_check.json",
    "heldout": ROOT / "bench" / "results" / "countries_check_heldout.json",
}
NONE: Final = "none"
SCORED_ENTRIES: Final = 2


def _pairs(codes: Iterable[str]) -> set[str]:
    return set(codes) or {NONE}


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = exact = 0
    for row in rows:
        gold, predicted = _pairs(row["gold"]), _pairs(row["predicted"][:SCORED_ENTRIES])
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        exact += gold == predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "items": len(rows),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "items_exactly_right": exact,
    }


def run(datasets: Path, which: str = "check", label: str = "") -> dict[str, Any]:
    items: dict[str, Item] = {item.id: item for item in draw_set(which, datasets)}
    extractor = CountryExtractor.load()
    rows = []
    for line in GOLD[which].read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        item = items[gold["id"]]
        if item.sha256 != gold["sha256"]:
            raise SystemExit(f"{item.id}: text changed since the gold was written")
        out = extractor.extract(ArticleText(title=item.title, body=item.body))
        rows.append({**gold, "gold": gold["countries"], "predicted": [c.code for c in out]})
    articles = [r for r in rows if r["kind"] == "article"]
    sentences = [r for r in rows if r["kind"] == "sentence"]
    report: dict[str, Any] = {
        "set": which,
        "run": label,
        "gold": str(GOLD[which].relative_to(ROOT)),
        "alias_file_commit": commit_of(ALIASES_PATH),
        "extractor_commit": commit_of(ROOT / "classifier" / "countries"),
        "scoring": __doc__.split("\n\n")[2].replace("\n", " ") if __doc__ else "",
        "articles": score(articles),
        "sentences": score(sentences),
        "subsets": {
            "articles_international": score([r for r in articles if not r["domestic"]]),
            "articles_domestic": score([r for r in articles if r["domestic"]]),
            "articles_gold_empty": score([r for r in articles if not r["gold"]]),
            "articles_sure": score([r for r in articles if r["sure"]]),
            "sentences_sure": score([r for r in sentences if r["sure"]]),
        },
    }
    if which == "check":  # set 2 is never read item by item
        report["errors"] = [
            {"id": r["id"], "gold": r["gold"], "predicted": r["predicted"][:SCORED_ENTRIES]}
            for r in rows
            if _pairs(r["gold"]) != _pairs(r["predicted"][:SCORED_ENTRIES])
        ]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--set", dest="which", choices=SETS, default="check")
    parser.add_argument("--label", default="", help="a name for this run, kept in the report")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = run(args.datasets, args.which, args.label)
    out: Path = args.out or OUT[args.which]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for kind in ("articles", "sentences"):
        s = report[kind]
        print(f"{kind:9} P={s['precision']:.3f} R={s['recall']:.3f} ({s['items']} items)")
    for name, s in report["subsets"].items():
        print(f"  {name:24} P={s['precision']:.3f} R={s['recall']:.3f} ({s['items']} items)")
    print(f"alias file at {report['alias_file_commit']}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
