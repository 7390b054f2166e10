"""`detente classify`: JSONL articles in, JSONL tagged articles out, with the service's own core.

This is the backfill mode for users without Kafka. A bad line is reported with its number and
reason and the run goes on; the output lines are exactly the output topic's records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO

from classifier.prediction import ArticleClassifier
from consumer.pipeline import PipelineConfig, check_feed_text, tag_articles
from consumer.schemas import ArticleIn, TaggedArticle
from consumer.validation import Rejection, parse_article

__all__ = ["ClassifyReport", "classify_lines"]


@dataclass(frozen=True, slots=True)
class ClassifyReport:
    read: int
    tagged: int
    rejected: int


def classify_lines(
    lines: Iterable[bytes],
    classifier: ArticleClassifier,
    config: PipelineConfig,
    output: IO[str],
    rejects: IO[str],
    batch_size: int = 256,
) -> ClassifyReport:
    read = tagged = rejected = 0
    numbered = ((number, line) for number, line in enumerate(lines, start=1) if line.strip())
    for chunk in _chunks(numbered, batch_size):
        read += len(chunk)
        valid: list[tuple[int, ArticleIn]] = []
        parsed = [parse_article(line.rstrip(b"\r\n"), config.limits) for _, line in chunk]
        # Cleaned text in an accepted language, or a rejection (unsupported_language...).
        prepared, _ = check_feed_text(parsed, config)
        for (number, _), item in zip(chunk, prepared, strict=True):
            if isinstance(item, Rejection):
                _report(rejects, number, item)
                rejected += 1
            else:
                valid.append((number, item))
        results = tag_articles([article for _, article in valid], classifier, config)
        for (number, _), result in zip(valid, results, strict=True):
            if isinstance(result, TaggedArticle):
                output.write(result.to_json())
                output.write("\n")
                tagged += 1
            else:
                _report(rejects, number, result)
                rejected += 1
    output.flush()
    return ClassifyReport(read=read, tagged=tagged, rejected=rejected)


def _report(rejects: IO[str], line: int, rejection: Rejection) -> None:
    entry = {"line": line, "reason": rejection.reason.value, "detail": rejection.detail}
    rejects.write(json.dumps(entry) + "\n")


def _chunks(items: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    while chunk := list(islice(items, size)):
        yield chunk
