"""Event-cue features: lexicon classes, inflections, reversal scope and the first cue."""

from __future__ import annotations

import numpy as np

from classifier.cues import CUE_CLASSES, N_CUE_FEATURES, cue_tables, word_forms
from classifier.features import Vocabulary, count_matrix, fit_vocabulary, tfidf

_N = len(CUE_CLASSES)
_VCOOP, _MCOOP, _VCONF, _MCONF = range(_N)


def _cues(texts: list[str]) -> np.ndarray:
    vocab = fit_vocabulary(texts * 3, min_df=1)
    x = count_matrix(vocab, texts).toarray()
    return np.asarray(x[:, vocab.cue_offset :])


def test_word_forms_cover_regular_inflections() -> None:
    assert {"demand", "demands", "demanded", "demanding"} <= word_forms("demand")
    assert {"ban", "banned", "banning"} <= word_forms("ban")
    assert {"seize", "seized", "seizing"} <= word_forms("seize")


def test_cue_tables_classify_inflected_and_irregular_forms() -> None:
    classes, reverses, closes = cue_tables(["demanded", "met", "shelled", "aid", "halted", "town"])
    assert classes.tolist() == [_VCONF, _VCOOP, _MCONF, _MCOOP, _MCONF, -1]
    assert reverses.tolist() == [False, False, False, False, True, False]
    assert closes.tolist() == [False, False, False, False, True, False]


def test_economic_coercion_crackdowns_and_headline_verbs_are_conflict_cues() -> None:
    words = ["tariffs", "retaliated", "duties", "duty", "blacklisted", "coup", "ousted"]
    classes, _, _ = cue_tables([*words, "blasts", "summoned", "waiver"])
    assert classes.tolist() == [_MCONF, _MCONF, _MCONF, -1, _MCONF, _MCONF, _MCONF,
                                _VCONF, _VCONF, _MCOOP]  # fmt: skip


def test_a_closing_participle_reverses_the_cue_before_it_within_its_row() -> None:
    x = _cues(["sanctions on the bank were lifted", "sanctions were imposed", "tariffs", "lifted"])
    assert x[0, _N + _MCONF] == 1  # "sanctions ... lifted": conflict undone
    assert x[0, 2 * _N + _MCOOP] == 1  # so the first cue reads cooperative
    assert x[1, _N + _MCONF] == 0
    assert x[1, 2 * _N + _MCONF] == 1
    assert x[2, _N + _MCONF] == 0  # a closing word in the next row does not reach back
    assert x[2, 2 * _N + _MCONF] == 1


def test_closing_scope_is_bounded() -> None:
    x = _cues(["talks between the two long estranged neighbours postponed", "talks postponed"])
    assert x[0, _N + _VCOOP] == 0  # seven tokens apart: beyond CLOSING_SCOPE
    assert x[1, _N + _VCOOP] == 1
    assert x[1, 2 * _N + _VCONF] == 1


def test_a_cue_after_a_reversal_word_is_counted_as_reversed() -> None:
    x = _cues(["japan halted economic aid to serbia", "japan sent economic aid to serbia"])
    assert x[0, _N + _MCOOP] == 1
    assert x[0, _MCOOP] == 0
    assert x[1, _MCOOP] == 1
    assert x[1, _N + _MCOOP] == 0
    # First cue: "halted" itself (material conflict) in the first sentence, "aid" in the second.
    assert x[0, 2 * _N + _MCONF] == 1
    assert x[1, 2 * _N + _MCOOP] == 1


def test_first_cue_is_flipped_when_reversed_and_scope_stays_in_its_row() -> None:
    x = _cues(["the army did not attack the town", "no", "talks resumed"])
    assert x[0, 2 * _N + _MCOOP] == 1  # "not attack": a reversed conflict cue reads cooperative
    assert x[2, _VCOOP] == 1
    assert x[2, _N + _VCOOP] == 0


def test_cue_columns_stay_out_of_the_row_length() -> None:
    vocab = Vocabulary(np.array(["aid", "town"]), np.zeros(0, np.int64))
    counts = count_matrix(vocab, ["aid town"])
    assert counts.shape[1] == 2 + N_CUE_FEATURES
    x = tfidf(counts, np.ones(counts.shape[1]), unscaled_tail=N_CUE_FEATURES).toarray()[0]
    assert np.isclose(np.linalg.norm(x[:2]), 1.0)
    assert x[2 + _MCOOP] == np.log1p(1.0)
