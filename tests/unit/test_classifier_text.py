"""Sentence splitting: abbreviations, initials, decimals and line breaks."""

from __future__ import annotations

from classifier.text import normalise_for_dedup, split_sentences


def test_splits_on_terminal_punctuation() -> None:
    text = "Talks resumed on Monday. Both sides agreed to meet again! Will it hold? Nobody knows."
    assert split_sentences(text) == [
        "Talks resumed on Monday.",
        "Both sides agreed to meet again!",
        "Will it hold?",
        "Nobody knows.",
    ]


def test_keeps_abbreviations_initials_and_decimals_inside_sentences() -> None:
    text = "U.S. envoys met Gen. Smith on Jan. 29 in the capital. Growth was 3.5 percent."
    assert split_sentences(text) == [
        "U.S. envoys met Gen. Smith on Jan. 29 in the capital.",
        "Growth was 3.5 percent.",
    ]


def test_line_breaks_end_sentences_and_blank_lines_vanish() -> None:
    text = "A headline without a full stop\n\n  First paragraph here.\nSecond line"
    assert split_sentences(text) == [
        "A headline without a full stop",
        "First paragraph here.",
        "Second line",
    ]


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert split_sentences('He said "we will return." Then he left.') == [
        'He said "we will return."',
        "Then he left.",
    ]


def test_fragments_too_short_to_be_sentences_are_dropped() -> None:
    assert split_sentences("OK\n..\nA real sentence.") == ["A real sentence."]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n  ") == []


def test_normalise_for_dedup_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_for_dedup("  The U.N. said: \u201cstop!\u201d ") == "the u n said stop"
    assert normalise_for_dedup("The U.N. said stop") == normalise_for_dedup("the  u n  said, STOP.")
