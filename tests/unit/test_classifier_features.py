"""Word and bigram counting with the array-based featuriser."""

from __future__ import annotations

import numpy as np

from classifier.features import count_matrix, fit_idf, fit_vocabulary, tfidf, tokenise

_TEXTS = [
    "Troops withdrew from the border town",
    "troops shelled the border town again",
    "The border town held talks",
    "Café owners, the border town's pride",
]


def _vocab():  # type: ignore[no-untyped-def]
    return fit_vocabulary(_TEXTS, min_df=2)


def test_tokenise_lowercases_splits_on_punctuation_and_records_rows() -> None:
    tokens, rows = tokenise(["Hello, World!", "", "café-bar"])
    assert tokens == [b"hello", b"world", "café".encode(), b"bar"]
    assert rows.tolist() == [0, 0, 2, 2]


def test_vocabulary_keeps_words_and_bigrams_seen_in_min_df_texts() -> None:
    vocab = _vocab()
    words = set(vocab.unigrams.tolist())
    assert {"border", "town", "the", "troops"} <= words
    assert "withdrew" not in words  # seen once
    assert len(vocab.bigram_keys) > 0
    assert np.all(np.diff(vocab.bigram_keys) > 0)  # sorted, unique


def test_vocabulary_is_deterministic() -> None:
    a, b = _vocab(), fit_vocabulary(list(reversed(_TEXTS)), min_df=2)
    assert a.unigrams.tolist() == b.unigrams.tolist()
    assert a.bigram_keys.tolist() == b.bigram_keys.tolist()


def test_counts_include_bigrams_within_a_text_only() -> None:
    vocab = _vocab()
    x = count_matrix(vocab, ["border town", "border", "town"])
    index = {w: i for i, w in enumerate(vocab.unigrams.tolist())}
    row0 = x[0].toarray().ravel()
    assert row0[index["border"]] == 1
    assert row0[index["town"]] == 1
    assert row0[vocab.n_unigrams :].sum() == 1  # the bigram "border town"
    assert x[1].toarray().ravel()[vocab.n_unigrams :].sum() == 0
    assert x[2].toarray().ravel()[vocab.n_unigrams :].sum() == 0


def test_unknown_words_are_ignored_and_empty_texts_give_empty_rows() -> None:
    x = count_matrix(_vocab(), ["zebra quantum", ""])
    assert x.shape[0] == 2
    assert x.nnz == 0


def test_tfidf_rows_have_unit_length() -> None:
    vocab = _vocab()
    counts = count_matrix(vocab, _TEXTS)
    x = tfidf(counts, fit_idf(counts))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    assert np.allclose(norms[norms > 0], 1.0)


def test_control_bytes_in_a_text_do_not_shift_the_rows_of_later_texts() -> None:
    # The batch is tokenised around a \x01 sentinel; a text carrying one must not add a row.
    tokens, rows = tokenise(["first,\x01,text", "second text"])
    assert tokens == [b"first", b"text", b"second", b"text"]
    assert rows.tolist() == [0, 0, 1, 1]
