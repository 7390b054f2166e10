"""`evaluate_file`, the dev report and an end-to-end `train` on fixture files."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from classifier.artifact import load_classifier
from classifier.prediction import (
    ArticleText,
    Evidence,
    ModelInfo,
    Prediction,
    Tone,
    TopicScore,
)
from classifier.training import TrainConfig, train
from classifier.training.evaluation import EvaluationInputError, evaluate_file, read_labelled
from tests.unit.article_fixtures import write_labelled_set


class KeywordFake:
    """A list-free fake classifier: 'attack' -> escalation, 'talks' -> de-escalation."""

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("fake", "0")

    def classify(self, articles: Sequence[ArticleText]) -> list[Prediction]:
        out = []
        for a in articles:
            text = f"{a.title} {a.body}"
            label = (
                "escalation"
                if "attack" in text
                else "de-escalation"
                if "talks" in text
                else "neutral"
            )
            topic = "armed_conflict" if label == "escalation" else "diplomacy"
            probs = {"escalation": 0.0, "de-escalation": 0.0, "neutral": 0.0, label: 1.0}
            tone = Tone(label, 0.0, 1.0, probs)  # type: ignore[arg-type]
            out.append(Prediction((TopicScore(topic, 0.9),), tone, (Evidence(text, label, 0.0),)))  # type: ignore[arg-type]
        return out


def test_evaluate_file_reports_tone_and_topic_metrics(tmp_path: Path) -> None:
    rows = [
        {"text": "rebels attack a base", "tone": "escalation", "topics": ["armed_conflict"]},
        {
            "title": "Envoys",
            "body": "talks resume",
            "tone": "de-escalation",
            "topics": ["diplomacy"],
        },
        {"text": "talks on trade", "tone": "neutral", "topics": ["economy"]},
        {"text": "no labels here"},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    result = evaluate_file(path, KeywordFake())
    json.dumps(result)  # JSON-able
    assert result["n_articles"] == 4
    tone = result["tone"]
    assert tone["n"] == 3
    assert tone["per_class_f1"]["escalation"] == 1.0
    assert tone["confusion_matrix"]["rows_true_cols_pred"][2] == [0, 1, 0]
    assert tone["polarity_macro_f1"] == 1.0
    topics = result["topics"]
    assert topics["n"] == 3
    assert topics["micro_f1"] == pytest.approx(2 / 3)
    assert topics["per_class_f1"]["economy"] == 0.0


def test_bad_lines_are_reported_by_number() -> None:
    with pytest.raises(EvaluationInputError, match="line 2"):
        read_labelled(['{"text": "ok"}', '{"tone": "escalation"}'])
    with pytest.raises(EvaluationInputError, match="unknown tone"):
        read_labelled(['{"text": "x", "tone": "angry"}'])
    with pytest.raises(EvaluationInputError, match="invalid JSON"):
        read_labelled(["{nope"])


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_train_writes_a_loadable_model_with_metadata(tmp_path: Path) -> None:
    data = tmp_path / "datasets"
    places = [f"province {i}" for i in range(30)]
    cameo = [[f"Rebels attacked the army in {p}.", "4", "Material Conflict"] for p in places]
    cameo += [
        [f"Ministers held talks and signed a deal in {p}.", "2", "Material Cooperation"]
        for p in places
    ]
    cameo += [
        [f"The spokesman said the weather in {p} was fine.", "0", "Make a Statement"]
        for p in places
    ]
    _write(data / "conflibert_cameo" / "train.csv", ["text", "label", "label_name"], cameo)
    _write(data / "conflibert_cameo" / "test.csv", ["text", "label", "label_name"], cameo[::7])
    bbc = [
        [f"sport/{i}", "sport", f"Team {i} wins the cup", f"Team {i} won. Fans sang loudly."]
        for i in range(40)
    ]
    _write(data / "bbc_news" / "bbc_news.csv", ["id", "category", "title", "text"], bbc)
    write_labelled_set(data)
    extra = tmp_path / "mine.jsonl"
    extra.write_text(
        json.dumps({"title": "Talks", "body": "Envoys met. They agreed.", "tone": "de-escalation"})
        + "\n",
        encoding="utf-8",
    )
    lines: list[str] = []
    meta = train(
        data,
        tmp_path / "model",
        lines.append,
        TrainConfig(folds=2, require_all_sets=False),
        with_baseline=True,
        extra=extra,
        extra_weight=2.0,
    )
    assert lines, "progress lines are reported"
    assert meta["dev_metrics"]["model"]["conflibert_test_tone"]["n"] > 0
    assert "baseline" in meta["dev_metrics"]
    files = {f["path"] for f in meta["training"]["provenance"]["files"]}
    assert files == {
        "conflibert_cameo/train.csv",
        "conflibert_cameo/test.csv",
        "bbc_news/bbc_news.csv",
        "news_articles_labelled/articles.jsonl",
        "classifier/training/data/headlines.jsonl",  # built in: read whatever the data dir
        "classifier/training/data/vocabulary_articles.jsonl",
        str(extra),
    }
    assert meta["training"]["extra"] == {"path": str(extra), "weight": 2.0}
    vocabulary = meta["training"]["vocabulary_articles"]
    assert vocabulary["path"] == "classifier/training/data/vocabulary_articles.jsonl"
    assert vocabulary["training_only"] is True
    article = meta["article_level"]
    # The shared set, the user's line and the built-in vocabulary articles (training-only).
    assert article["rows"] == 36 + 1 + article["training_only_rows"]
    assert article["training_only_rows"] > 100
    assert article["out_of_fold_tone"]["all"]["n"] == 37  # never scored
    assert article["temperature"] > 0
    tagger = load_classifier(tmp_path / "model")
    [p] = tagger.classify([ArticleText("Rebels attacked the army", "Fighting continued.")])
    assert p.tone.label == "escalation"


def test_train_refuses_a_data_dir_missing_sets_unless_told(tmp_path: Path) -> None:
    from classifier.training.corpus import MissingSetError

    with pytest.raises(MissingSetError, match="conflibert_cameo"):
        train(tmp_path, tmp_path / "model", lambda _: None, TrainConfig(folds=2))


def test_metrics_of_empty_inputs_are_empty_not_errors() -> None:
    from classifier.training.metrics import polarity_f1, tone_metrics, topic_metrics

    assert tone_metrics([], [])["n"] == 0
    assert polarity_f1(["neutral"], ["neutral"]) is None
    assert topic_metrics([], [])["micro_f1"] is None


def test_evaluate_reports_the_confidence_cut_and_the_confidently_labelled_slice(
    tmp_path: Path,
) -> None:
    rows = [
        {"title": "A", "body": "rebels attack", "tone": "escalation", "tone_confidence": "high"},
        {"title": "B", "body": "talks go on", "tone": "escalation", "tone_confidence": "low"},
        {"title": "C", "body": "a quiet day", "tone": "neutral", "tone_confidence": "high"},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    tone = evaluate_file(path, KeywordFake(), 0.7)["tone"]
    # The fake is always fully confident: everything is kept, two of three are right.
    assert tone["model_confidence"] == {
        "cut": 0.7,
        "coverage": 1.0,
        "precision": pytest.approx(2 / 3),
        "precision_below_cut": None,
    }
    assert tone["gold_high"]["n"] == 2
    assert tone["gold_high"]["accuracy"] == 1.0
    assert tone["calibration_ece"] == pytest.approx(1 / 3)
    with pytest.raises(EvaluationInputError, match="tone_confidence"):
        read_labelled(['{"text": "x", "tone_confidence": "medium"}'])
