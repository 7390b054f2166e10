from __future__ import annotations

import io
import json

from classifier.prediction import ArticleClassifier
from consumer.batch_mode import classify_lines
from consumer.pipeline import PipelineConfig
from consumer.schemas import TaggedArticle
from tests.conftest import SAMPLES


def test_classify_writes_output_schema_lines_and_reports_bad_lines_by_number(
    tagger: ArticleClassifier,
) -> None:
    good = SAMPLES.read_bytes().splitlines()[:3]
    lines = [good[0], b"{oops", good[1], b"", b'{"id": "x"}', good[2]]
    output, rejects = io.StringIO(), io.StringIO()

    report = classify_lines(lines, tagger, PipelineConfig(), output, rejects, batch_size=2)

    assert (report.read, report.tagged, report.rejected) == (5, 3, 2)
    tagged = [TaggedArticle.model_validate_json(line) for line in output.getvalue().splitlines()]
    assert [t.id for t in tagged] == [json.loads(line)["id"] for line in good]
    problems = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert [(p["line"], p["reason"]) for p in problems] == [(2, "not_json"), (5, "empty_text")]


def test_classify_writes_the_countries_of_each_article(tagger: ArticleClassifier) -> None:
    by_id = {json.loads(line)["id"]: line for line in SAMPLES.read_bytes().splitlines()}
    lines = [by_id["sample-010"], by_id["sample-006"]]
    output = io.StringIO()
    classify_lines(lines, tagger, PipelineConfig(), output, io.StringIO())
    rows = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [[c["code"] for c in row["countries"]] for row in rows] == [["IR", "PK"], []]
