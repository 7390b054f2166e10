"""Tiny labelled whole articles, written for the tests (no corpus text), for the article level."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classifier.prediction import ArticleText
from classifier.training.labelled_articles import LABELLED_PATH, LabelledArticles

_PLACES = ("north", "south", "east", "west", "coastal", "river", "hill", "border", "capital",
           "valley", "desert", "island")  # fmt: skip
_STORIES = (
    ("escalation", ["armed_conflict"], "Rebels shelled the {} town",
     "Troops attacked positions near the {} border. Fighting went on overnight."),
    ("de-escalation", ["diplomacy"], "Ministers from the {} sign an agreement",
     "Ministers held talks in the {} region and signed an agreement. Ambassadors return."),
    ("neutral", ["other"], "The {} football team won the league match",
     "Fans in the {} district celebrated. The coach praised the squad."),
)  # fmt: skip


def labelled_rows() -> list[dict[str, object]]:
    """One article per story and place, in the shared labelled set's line format."""
    return [
        {
            "id": f"t-{tone}-{place}",
            "title": title.format(place),
            "body": body.format(place),
            "tone": tone,
            "tone_confidence": "high",
            "topics": topics,
            "group": f"g-{place}",
            "selection": "random",
        }
        for tone, topics, title, body in _STORIES
        for place in _PLACES
    ]


def write_labelled_set(data_dir: Path) -> Path:
    path = data_dir / LABELLED_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in labelled_rows()) + "\n", encoding="utf-8")
    return path


def tiny_labelled() -> LabelledArticles:
    rows = labelled_rows()
    tones = ("escalation", "de-escalation", "neutral")
    return LabelledArticles(
        ids=tuple(str(r["id"]) for r in rows),
        articles=tuple(ArticleText(str(r["title"]), str(r["body"])) for r in rows),
        tone=np.array([tones.index(str(r["tone"])) for r in rows], dtype=np.int64),
        topics=tuple(tuple(r["topics"]) for r in rows),  # type: ignore[arg-type]
        groups=tuple(str(r["group"]) for r in rows),
        high=np.ones(len(rows), dtype=bool),
        random=np.ones(len(rows), dtype=bool),
        weight=np.ones(len(rows)),
        train_only=np.zeros(len(rows), dtype=bool),
    )
