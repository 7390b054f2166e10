from __future__ import annotations

import unicodedata

import pytest

from classifier.normalisation import normalise


def test_plain_ascii_is_untouched() -> None:
    text = "Officials said on Tuesday that talks would resume.\n\nA second  round follows."
    assert normalise(text) is text or normalise(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the minister’s ‘plan’", "the minister's 'plan'"),
        ("“We will appeal,” she said", '"We will appeal," she said'),
        ("„Nein“, sagte er", '"Nein", sagte er'),
        ("governmentʼs request", "government's request"),
        ("€2\u00a0billion", "€2 billion"),
        ("a\u2009thin\u202fspace and\u3000ideographic", "a thin space and ideographic"),
        ("col1\tcol2", "col1 col2"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("para\u2029next\u2028line\fend", "para\nnext\nline\nend"),
        ("zero\u200bwidth\ufeff and soft\u00adhyphen", "zerowidth and softhyphen"),
        ("Reuters\x05\x05 copy\x00 with\x1b controls\x81", "Reuters copy with controls"),
        ("don\x92t \x93quote\x94 \x96 dash\x85", 'don\'t "quote" – dash…'),
        ("ﬁnance and ﬂows", "finance and flows"),
        ("ＡＢＣ！ and ２０２６", "ABC! and 2026"),
    ],
)
def test_folds(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_decomposed_accents_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Zürich café señor")
    assert decomposed != "Zürich café señor"
    assert normalise(decomposed) == "Zürich café señor"


@pytest.mark.parametrize(
    "text",
    [
        "10 km² and ½ a mile",  # full NFKC would rewrite both
        "Wait… then — and – dashes",
        "« Nous ne céderons pas »",
        "height 5′11″",
        "emoji family 👩\u200d👩\u200d👧 and ZWNJ می\u200cخواهم",
        "Привет, 世界, مرحبا",
    ],
)
def test_meaningful_characters_stay(text: str) -> None:
    assert normalise(text) == text


def test_normalising_twice_changes_nothing() -> None:
    raw = "“Talks”\u00a0resume\r\n– ﬁnally\x05"
    once = normalise(raw)
    assert normalise(once) == once


def test_every_folded_character_is_noticed_by_a_fast_check() -> None:
    """The design's invariant: `normalise` scans only when a cheap check says it must."""
    from classifier.normalisation import _COMMON, _FOLD

    common = {old for old, _ in _COMMON}
    for char in _FOLD:
        noticed = (
            char in common or not char.isprintable() or not unicodedata.is_normalized("NFKC", char)
        )
        assert noticed, hex(ord(char))


def test_agrees_with_a_character_by_character_reference() -> None:
    import random

    from classifier.normalisation import _FOLD

    def reference(text: str) -> str:
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
        return "".join(_FOLD.get(char, char) for char in text)

    pool = [*_FOLD, *"abcXYZ \n.'\"", "é", "ü", "ß", "…", "²", "世", "я", "\u200d"]
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
        assert normalise(text) == reference(text), repr(text)
