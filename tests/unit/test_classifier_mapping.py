"""The label mapping table: every target is well-formed and the key decisions hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from classifier.taxonomy import GOLDSTEIN_MAX, GOLDSTEIN_MIN, OTHER, TONE_LABELS, TOPIC_LABELS
from classifier.training import label_mapping as lm


def _all_targets() -> Iterator[tuple[str, lm.Target]]:
    tables = {
        "cameo": lm.CAMEO_PENTACODE,
        "un": lm.UN_QUADCLASS,
        "plover": lm.PLOVER_EVENT,
        "acled": lm.ACLED_SUB_EVENT,
        "bbc": lm.BBC_CATEGORY,
        "ag": lm.AG_NEWS,
        "huffpost": lm.HUFFPOST_CATEGORY,
    }
    for name, table in tables.items():
        for label, target in table.items():
            yield f"{name}:{label}", target
    for name in ("REUTERS", "TERRORISM", "AIR_CRASH", "AIR_SHOOTDOWN", "CRISIS_TWEET"):
        yield name, getattr(lm, name)


@pytest.mark.parametrize(("where", "target"), list(_all_targets()))
def test_every_target_uses_known_labels_and_a_reason(where: str, target: lm.Target) -> None:
    assert target.tone is None or target.tone in TONE_LABELS, where
    assert target.score is None or GOLDSTEIN_MIN <= target.score <= GOLDSTEIN_MAX, where
    if target.topics is not None:
        assert 1 <= len(target.topics) <= 3, where
        assert all(t in TOPIC_LABELS for t in target.topics), where
        assert OTHER not in target.topics or target.topics == (OTHER,), where
    assert all(t in TOPIC_LABELS for t in target.not_topics), where
    assert not set(target.not_topics) & set(target.topics or ()), where
    assert target.why, where


@pytest.mark.parametrize(("where", "target"), list(_all_targets()))
def test_score_sign_agrees_with_tone(where: str, target: lm.Target) -> None:
    if target.tone is None or target.score is None:
        return
    if target.tone == "escalation":
        assert target.score < 0, where
    elif target.tone == "de-escalation":
        assert target.score > 0, where
    else:
        assert target.score == 0, where


def test_quad_classes_follow_the_cooperation_conflict_convention() -> None:
    for table in (lm.CAMEO_PENTACODE, lm.UN_QUADCLASS):
        assert table["Verbal Cooperation"].tone == "de-escalation"
        assert table["Material Cooperation"].tone == "de-escalation"
        assert table["Verbal Conflict"].tone == "escalation"
        assert table["Material Conflict"].tone == "escalation"
    assert lm.CAMEO_PENTACODE["Make a Statement"].tone == "neutral"
    assert lm.UN_QUADCLASS["Irrelevant"].tone == "neutral"


def test_plover_scores_are_the_readme_values() -> None:
    expected = {
        "ASSAULT": -9.0,
        "COERCE": -7.0,
        "SANCTION": -6.0,
        "MOBILIZE": -5.5,
        "PROTEST": -5.0,
        "THREATEN": -3.5,
        "REJECT": -2.0,
        "ACCUSE": -2.0,
        "AGREE": 2.5,
        "CONSULT": 2.5,
        "CONCEDE": 4.5,
        "SUPPORT": 5.0,
        "RETREAT": 6.5,
        "COOPERATE": 9.5,
        "AID": 10.0,
    }
    for event, score in expected.items():
        assert lm.PLOVER_EVENT[event].score == score, event


def test_plover_mode_refines_topic_but_not_tone() -> None:
    plain = lm.plover_target("ASSAULT")
    suicide = lm.plover_target("ASSAULT", "SUICIDE-ATTACK")
    assert plain is not None
    assert suicide is not None
    assert plain.topics == ("armed_conflict",)
    assert suicide.topics == ("terrorism",)
    assert suicide.tone == plain.tone == "escalation"
    assert lm.plover_target(" consult ") == lm.PLOVER_EVENT["CONSULT"]
    assert lm.plover_target("NOT-AN-EVENT") is None


def test_readme_topic_suggestions_are_kept() -> None:
    assert lm.PLOVER_EVENT["PROTEST"].topics == ("civil_unrest",)
    assert lm.PLOVER_EVENT["SANCTION"].topics == ("sanctions",)
    assert lm.PLOVER_EVENT["AID"].topics == ("humanitarian",)
    assert lm.PLOVER_EVENT["MOBILIZE"].topics == ("military",)
    assert lm.PLOVER_EVENT["RETREAT"].topics == ("peace_process",)
    assert lm.ACLED_SUB_EVENT["Armed clash"].topics == ("armed_conflict",)


def test_non_political_news_is_neutral() -> None:
    for category in ("sport", "tech", "entertainment"):
        assert lm.BBC_CATEGORY[category] == lm.Target(
            "neutral", 0.0, (OTHER,), lm.BBC_CATEGORY[category].why
        )
    assert lm.BBC_CATEGORY["business"].topics == ("economy",)
    assert lm.AG_NEWS["Sports"].tone == "neutral"
    world = lm.AG_NEWS["World"]  # mixed conflict and cooperation: only "not other"
    assert world.tone is None
    assert world.topics is None
    assert world.not_topics == (OTHER,)
    assert lm.HUFFPOST_CATEGORY["SPORTS"].topics == (OTHER,)


def test_disaster_messages_rules() -> None:
    base = {"related": "1", "military": "0", "security": "0"}
    flood = lm.disaster_message_target({**base, "floods": "1"})
    assert flood is not None
    assert flood.tone == "neutral"
    assert flood.topics == ("disaster",)
    need = lm.disaster_message_target({**base, "food": "1"})
    assert need is not None
    assert need.tone is None
    assert need.topics == ("humanitarian",)
    both = lm.disaster_message_target({**base, "storm": "1", "shelter": "1"})
    assert both is not None
    assert both.topics == ("disaster", "humanitarian")
    assert lm.disaster_message_target({**base, "military": "1", "floods": "1"}) is None
    assert lm.disaster_message_target({"related": "0", "floods": "1"}) is None


def test_thresholds_ignore_rows_whose_label_is_unknown() -> None:
    import numpy as np

    from classifier.training.thresholds import choose_thresholds

    rng = np.random.default_rng(0)
    truth = np.zeros((200, 1), dtype=bool)
    truth[:100, 0] = True
    proba = np.where(truth, 0.8, 0.2) + rng.normal(0, 0.01, truth.shape)
    unknown_high = np.full((50, 1), 0.95)  # would be false positives if they were counted
    all_proba = np.vstack([proba, unknown_high])
    all_truth = np.vstack([truth, np.zeros((50, 1), dtype=bool)])
    known = np.vstack([np.ones((200, 1), bool), np.zeros((50, 1), bool)])
    assert choose_thresholds(all_proba, all_truth, known) == choose_thresholds(proba, truth)
