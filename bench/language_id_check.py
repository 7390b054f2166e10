"""How often the language filter turns English away, on every English text in ../shared/datasets.

    python -m bench.language_id_check [--data ../shared/datasets] [--out PATH] [--rows PATH]

Each row goes through what the service does to an article: `clean_text` on title and body, then
`judge` with the accepted set {"en"} (the identifier on the headline and the start of the body,
a longer window to confirm any rejection). Figures, by the groups of `bench.english_sets`:

- whole articles: every row, none may be rejected;
- headlines and sentences of five words or more: at most 0.05 % may be rejected (shorter ones are
  counted apart);
- disaster-response SMS and crisis tweets: reported apart (partly non-English by nature).

It also sweeps the two thresholds of the rule over a grid and reports, for each pair, the English
rejections beside the share of the project's own foreign samples (tests/data) that are rejected:
the measurement the chosen values rest on.

The JSON report (default bench/results/language_id_check.json) names rejected rows by set and row
id only, never by text: the datasets' texts are not ours to commit. The rejected rows with an
excerpt of their text go to a separate JSON Lines file (default bench/results/local/, ignored by
git) for a reader who has the datasets to judge whether each really is English.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench.english_sets import MIN_SENTENCE_WORDS, Row, read_all, word_count
from classifier.html_text import clean_text
from classifier.language import (
    CONFIRM_WINDOW_CHARS,
    FIRST_WINDOW_CHARS,
    MODEL_SHA256,
    REJECT_PROBABILITY,
    REJECT_PROBABILITY_ENGLISH_WORDS,
    Detection,
    LanguageIdentifier,
    Verdict,
    judge,
)

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
SAMPLES: Final = PROJECT_ROOT / "tests" / "data" / "language_samples.jsonl"
ACCEPTED: Final = frozenset({"en"})
EXCERPT_CHARS: Final = 120
TARGET_SENTENCE_SHARE: Final = 0.0005
SWEEP_REJECT_AT: Final = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
SWEEP_ENGLISH_WORDS: Final = (0.0, 0.95, 0.99)  # 0.0: no separate bar for English words


@dataclass(frozen=True, slots=True)
class Checked:
    row: Row
    group: str  # article, sentence, short_sentence, message, or the tweet set's name
    title: str  # cleaned
    body: str  # cleaned


class CachedIdentifier:
    """The identifier with its answers kept, so that the threshold sweep costs no model time."""

    def __init__(self, identifier: LanguageIdentifier) -> None:
        self._identifier = identifier
        self._answers: dict[str, Detection] = {}

    def detect_text(self, text: str) -> Detection:
        answer = self._answers.get(text)
        if answer is None:
            answer = self._answers[text] = self._identifier.detect_text(text)
        return answer


def _group(row: Row) -> str:
    if row.kind == "sentence":
        return "sentence" if word_count(row.title) >= MIN_SENTENCE_WORDS else "short_sentence"
    if row.kind == "tweet":
        return row.set_name
    return row.kind


def check_rows(data: Path) -> list[Checked]:
    return [
        Checked(row, _group(row), clean_text(row.title), clean_text(row.body))
        for row in read_all(data)
    ]


def _verdicts(
    checked: list[Checked], identifier: CachedIdentifier, reject_at: float, english_words: float
) -> list[Verdict]:
    return [
        judge(identifier, item.title, item.body, ACCEPTED, reject_at, english_words)
        for item in checked
    ]


def _rates(checked: list[Checked], verdicts: list[Verdict]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for item, verdict in zip(checked, verdicts, strict=True):
        total[item.group] += 1
        if not verdict.accepted:
            rejected[item.group] += 1
    return {
        group: {
            "rows": total[group],
            "rejected": rejected[group],
            "rejected_share": round(rejected[group] / total[group], 6),
        }
        for group in sorted(total)
    }


def _samples() -> list[Checked]:
    out = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        row = Row("samples", sample["id"], "article", sample["title"], sample["body"])
        out.append(Checked(row, sample["language"], sample["title"], sample["body"]))
    return out


def _sweep(checked: list[Checked], identifier: CachedIdentifier) -> list[dict[str, Any]]:
    samples = _samples()
    rows = []
    for reject_at in SWEEP_REJECT_AT:
        for english_words in SWEEP_ENGLISH_WORDS:
            rates = _rates(checked, _verdicts(checked, identifier, reject_at, english_words))
            verdicts = _verdicts(samples, identifier, reject_at, english_words)
            foreign = [v for s, v in zip(samples, verdicts, strict=True) if s.group != "en"]
            english = [v for s, v in zip(samples, verdicts, strict=True) if s.group == "en"]
            rows.append(
                {
                    "reject_at": reject_at,
                    "reject_at_with_english_words": english_words or None,
                    "articles_rejected": rates["article"]["rejected"],
                    "sentences_rejected": rates["sentence"]["rejected"],
                    "sentences_rejected_share": rates["sentence"]["rejected_share"],
                    "messages_rejected": rates.get("message", {}).get("rejected"),
                    "foreign_samples_rejected": sum(not v.accepted for v in foreign),
                    "foreign_samples": len(foreign),
                    "english_samples_rejected": sum(not v.accepted for v in english),
                }
            )
    return rows


def _rejected_rows(checked: list[Checked], verdicts: list[Verdict]) -> list[dict[str, Any]]:
    out = []
    for item, verdict in zip(checked, verdicts, strict=True):
        if item.group.startswith("crisislext26") or verdict.accepted:
            continue
        text = " ".join(f"{item.row.title} {item.row.body}".split())
        out.append(
            {
                "set": item.row.set_name,
                "row_id": item.row.row_id,
                "group": item.group,
                "language": verdict.detection.language,
                "probability": round(verdict.detection.probability, 3),
                "excerpt": text[:EXCERPT_CHARS],
            }
        )
    return out


def run(data: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    identifier = CachedIdentifier(LanguageIdentifier())
    started = time.process_time()
    checked = check_rows(data)
    verdicts = _verdicts(checked, identifier, REJECT_PROBABILITY, REJECT_PROBABILITY_ENGLISH_WORDS)
    seconds = time.process_time() - started
    per_set: dict[str, Counter[str]] = defaultdict(Counter)
    for item, verdict in zip(checked, verdicts, strict=True):
        per_set[f"{item.row.set_name}:{item.group}"]["rows"] += 1
        per_set[f"{item.row.set_name}:{item.group}"]["rejected"] += not verdict.accepted
    tweet_languages: Counter[str] = Counter(
        verdict.detection.language
        for item, verdict in zip(checked, verdicts, strict=True)
        if item.group.startswith("crisislext26") and not verdict.accepted
    )
    rejected = _rejected_rows(checked, verdicts)
    groups = _rates(checked, verdicts)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_sha256": MODEL_SHA256,
        "rule": {
            "accepted": sorted(ACCEPTED),
            "first_window_chars": FIRST_WINDOW_CHARS,
            "confirm_window_chars": CONFIRM_WINDOW_CHARS,
            "reject_probability": REJECT_PROBABILITY,
            "reject_probability_with_english_words": REJECT_PROBABILITY_ENGLISH_WORDS,
        },
        "targets": {
            "whole_articles_rejected": groups["article"]["rejected"],
            "whole_articles_target": 0,
            "sentences_rejected_share": groups["sentence"]["rejected_share"],
            "sentences_target_share": TARGET_SENTENCE_SHARE,
            "met": groups["article"]["rejected"] == 0
            and groups["sentence"]["rejected_share"] <= TARGET_SENTENCE_SHARE,
        },
        "groups": groups,
        "per_set": {name: dict(counts) for name, counts in sorted(per_set.items())},
        "tweets_rejected_by_language": dict(tweet_languages.most_common()),
        "rejected_rows": [
            {key: row[key] for key in ("set", "row_id", "group", "language", "probability")}
            for row in rejected
        ],
        "threshold_sweep": _sweep(checked, identifier),
        "cpu_seconds_clean_and_detect": round(seconds, 2),
        "rows_checked": len(checked),
        "rows_file_sha256_of_ids": hashlib.sha256(
            "\n".join(f"{r['set']}:{r['row_id']}" for r in rejected).encode()
        ).hexdigest(),
    }
    return report, rejected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT.parent / "shared" / "datasets")
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "bench" / "results" / "language_id_check.json"
    )
    parser.add_argument(
        "--rows",
        type=Path,
        default=PROJECT_ROOT / "bench" / "results" / "local" / "language_id_rejected_rows.jsonl",
    )
    args = parser.parse_args()
    report, rejected = run(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    args.rows.parent.mkdir(parents=True, exist_ok=True)
    with args.rows.open("w", encoding="utf-8") as handle:
        for row in rejected:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    targets = report["targets"]
    print(
        f"whole articles rejected: {targets['whole_articles_rejected']}"
        f" of {report['groups']['article']['rows']}; sentences >= {MIN_SENTENCE_WORDS} words"
        f" rejected: {report['groups']['sentence']['rejected']}"
        f" of {report['groups']['sentence']['rows']}"
        f" ({100 * targets['sentences_rejected_share']:.3f} %, target <= 0.05 %);"
        f" targets met: {targets['met']}"
    )
    print(f"report: {args.out}; rejected rows with excerpts: {args.rows}")


if __name__ == "__main__":
    main()
