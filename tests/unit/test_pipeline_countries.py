"""The countries step in the pipeline: its own call, its field on the wire, failures contained."""

from __future__ import annotations

import json
from collections.abc import Sequence

from classifier.countries import Country
from classifier.prediction import ArticleClassifier, ArticleText
from consumer.pipeline import PipelineConfig, process_batch, tag_articles
from consumer.schemas import ArticleIn, TaggedArticle
from tests.unit.fakes import DEFAULT_LIMITS, article, inbound

CONFIG = PipelineConfig(output_topic="tagged", dlq_topic="dlq", max_text_chars=200)


class RecordingFinder:
    """Counts its calls and answers one fixed country per text."""

    def __init__(self) -> None:
        self.calls: list[list[ArticleText]] = []

    def extract_many(self, texts: Sequence[ArticleText]) -> list[tuple[Country, ...]]:
        self.calls.append(list(texts))
        return [(Country("PK", "Pakistan", 2, True),) for _ in texts]


class BrokenFinder:
    def extract_many(self, texts: Sequence[ArticleText]) -> list[tuple[Country, ...]]:
        raise RuntimeError("alias table unreadable")


def test_countries_come_from_one_call_per_batch_on_the_models_texts(
    tagger: ArticleClassifier,
) -> None:
    finder = RecordingFinder()
    articles = [
        ArticleIn(id="a", title="Envoys meet", body="x" * 500),
        ArticleIn(id="b", title="Talks resume"),
    ]
    results = tag_articles(articles, tagger, CONFIG, countries=finder)
    assert len(finder.calls) == 1
    # The same texts the classifier reads: title first, body cut at max_text_chars.
    assert [len(t.title) + len(t.body) for t in finder.calls[0]] == [200, len("Talks resume")]
    assert all(isinstance(r, TaggedArticle) for r in results)
    assert [r.countries for r in results if isinstance(r, TaggedArticle)] == [
        (Country("PK", "Pakistan", 2, True),)
    ] * 2


def test_the_wire_record_carries_countries_as_objects(tagger: ArticleClassifier) -> None:
    record = inbound(
        article("c", "Iran and Pakistan agree to return ambassadors", "Tehran and Islamabad said."),
        0,
    )
    (out,) = process_batch([record], tagger, CONFIG, DEFAULT_LIMITS)
    wire = json.loads(out.value)
    assert wire["schema_version"] == "1.1"
    assert [c["code"] for c in wire["countries"]] == ["IR", "PK"]
    iran = {"code": "IR", "name": "Iran", "mentions": 2, "in_headline": True}
    assert wire["countries"][0] == iran


def test_no_state_gives_an_empty_list(tagger: ArticleClassifier) -> None:
    record = inbound(article("d", "Late goal wins the cup final"), 0)
    (out,) = process_batch([record], tagger, CONFIG, DEFAULT_LIMITS)
    assert json.loads(out.value)["countries"] == []


def test_a_failing_country_step_costs_countries_not_articles(tagger: ArticleClassifier) -> None:
    articles = [ArticleIn(id="e", title="Troops shell villages in Syria")]
    (result,) = tag_articles(articles, tagger, CONFIG, countries=BrokenFinder())
    assert isinstance(result, TaggedArticle)
    assert result.countries == ()
