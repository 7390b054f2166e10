"""Corpus building on small fixture files: de-duplication across sets and a stable split."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier.training.corpus import build_corpus, deduplicate, sentence_view, split_examples
from classifier.training.sources import READERS, Example


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


SHARED = "Rebels shelled the northern town overnight, officials said."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    header = ["text", "label", "label_name"]
    train = [
        [f"Ministers from state {i} met to discuss trade.", "1", "Verbal Cooperation"]
        for i in range(40)
    ]
    _write(tmp_path / "conflibert_cameo" / "train.csv", header, train)
    test = [
        [SHARED, "4", "Material Conflict"],
        ["A spokesman made a statement.", "0", "Make a Statement"],
    ]
    _write(tmp_path / "conflibert_cameo" / "test.csv", header, test)
    plv = [["1", SHARED.upper(), "ASSAULT", "4", "Material Conflict"]]
    plv += [
        [str(i + 2), f"Army unit {i} attacked a village.", "ASSAULT", "4", "Material Conflict"]
        for i in range(40)
    ]
    _write(
        tmp_path / "plv_plover" / "plv_train.csv",
        ["sentence_id", "text", "gold_root", "gold_penta", "penta_name"],
        plv,
    )
    ngec = [
        [
            f"Story {i}. Troops withdrew from the border region.",
            "RETREAT",
            "WITHDRAW",
            "Material Cooperation",
        ]
        for i in range(30)
    ]
    _write(
        tmp_path / "ngec_synthetic" / "synthetic.csv",
        ["text", "event", "mode", "quad_category"],
        ngec,
    )
    bbc = [
        [f"sport/{i}", "sport", f"Team {i} wins", f"Team {i} won the cup. Fans cheered."]
        for i in range(30)
    ]
    _write(tmp_path / "bbc_news" / "bbc_news.csv", ["id", "category", "title", "text"], bbc)
    return tmp_path


def _readers() -> dict[str, object]:
    names = ("conflibert_cameo", "plv_plover", "ngec_synthetic", "bbc_news")
    return {name: READERS[name] for name in names}


def test_duplicates_across_sets_are_kept_once_on_the_dev_side(data_dir: Path) -> None:
    corpus = build_corpus(data_dir, seed=1, readers=_readers(), caps={})  # type: ignore[arg-type]
    everything = corpus.train + corpus.dev
    matches = [e for e in everything if e.text.lower() == SHARED.lower()]
    assert len(matches) == 1
    assert matches[0].source == "conflibert_cameo"
    assert matches[0] in corpus.dev


def test_conflibert_test_is_dev_and_synthetic_is_never_dev(data_dir: Path) -> None:
    corpus = build_corpus(data_dir, seed=1, readers=_readers(), caps={})  # type: ignore[arg-type]
    assert all(e.source != "ngec_synthetic" for e in corpus.dev)
    assert sum(e.source == "ngec_synthetic" for e in corpus.train) == 30
    test_rows = [e for e in corpus.dev if e.forced_split == "dev"]
    assert {e.text for e in test_rows} == {SHARED, "A spokesman made a statement."}


def test_split_is_deterministic_and_holds_out_a_slice_of_each_set(data_dir: Path) -> None:
    a = build_corpus(data_dir, seed=7, readers=_readers(), caps={})  # type: ignore[arg-type]
    b = build_corpus(data_dir, seed=7, readers=_readers(), caps={})  # type: ignore[arg-type]
    assert a == b
    for source in ("plv_plover", "bbc_news"):
        n_dev = sum(e.source == source for e in a.dev)
        n_all = n_dev + sum(e.source == source for e in a.train)
        assert 0 < n_dev < n_all
    c = build_corpus(data_dir, seed=8, readers=_readers(), caps={})  # type: ignore[arg-type]
    assert {e.text for e in c.dev} != {e.text for e in a.dev}


def test_caps_sample_deterministically(data_dir: Path) -> None:
    caps = {"plv_plover": 10}
    a = build_corpus(data_dir, seed=3, readers=_readers(), caps=caps)  # type: ignore[arg-type]
    b = build_corpus(data_dir, seed=3, readers=_readers(), caps=caps)  # type: ignore[arg-type]
    assert sum(e.source == "plv_plover" for e in a.train + a.dev) == 10
    assert a == b


def _example(text: str, **kw: object) -> Example:
    base: dict[str, object] = {
        "source": "s",
        "tone": "neutral",
        "score": 0.0,
        "topics": None,
        "unit": "sentence",
    }
    base.update(kw)
    return Example(text=text, **base)  # type: ignore[arg-type]


def test_deduplicate_prefers_forced_dev_then_first_seen() -> None:
    first = _example("Same text!", source="a")
    later_dev = _example("same   TEXT", source="b", forced_split="dev")
    other = _example("Different", source="a")
    kept = deduplicate([first, other, later_dev, _example("   ")])
    assert kept == [later_dev, other]


def test_split_keeps_groups_together() -> None:
    rows = [_example(f"part {i}", group="report-1") for i in range(20)]
    corpus = split_examples(rows, seed=5, dev_fraction=0.5)
    assert len(corpus.train) in (0, 20)


def test_sentence_view_labels_neutral_document_sentences_and_story_leads() -> None:
    neutral_doc = _example("First. Second one. Third.", unit="document", title="Head")
    story = _example(
        "Troops withdrew. Later, shelling resumed.",
        unit="document",
        tone="de-escalation",
        score=6.5,
    )
    view = sentence_view([neutral_doc, story, _example("Already a sentence.")])
    texts = [(e.text, e.tone) for e in view]
    assert ("Second one.", "neutral") in texts
    assert ("Head", "neutral") in texts
    assert ("Troops withdrew.", "de-escalation") in texts
    assert all(t != "Later, shelling resumed." for t, _ in texts)
    assert all(e.unit == "sentence" and e.topics is None for e in view[:-1])
