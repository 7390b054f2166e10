"""Language identification on samples written for this project (tests/data/language_samples.jsonl).

The samples are our own words: 12 articles, headlines and short phrases in each of French,
Spanish, German, Russian, Arabic and Chinese, and 12 English articles that quote French, German,
Spanish, Russian, Arabic, Chinese, Catalan or Latin phrases.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from classifier.language import (
    CONFIRM_WINDOW_CHARS,
    FIRST_WINDOW_CHARS,
    MODEL_SHA256,
    UNDETERMINED,
    Detection,
    LanguageIdentifier,
    LanguageModelError,
    accepts,
    bundled_model_path,
    detection_text,
    judge,
)

SAMPLES_FILE = Path(__file__).resolve().parent.parent / "data" / "language_samples.jsonl"
SAMPLES = [json.loads(line) for line in SAMPLES_FILE.read_text(encoding="utf-8").splitlines()]
FOREIGN = [s for s in SAMPLES if s["language"] != "en"]
ENGLISH = [s for s in SAMPLES if s["language"] == "en"]
ENGLISH_ONLY = frozenset({"en"})


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def test_samples_cover_six_languages_with_short_ones() -> None:
    per_language = Counter(s["language"] for s in FOREIGN)
    assert set(per_language) == {"fr", "es", "de", "ru", "ar", "zh"}
    assert min(per_language.values()) >= 10
    short = Counter(s["language"] for s in FOREIGN if len(s["title"] + s["body"]) <= 40)
    assert all(short[language] >= 2 for language in per_language)
    assert len(ENGLISH) >= 10


@pytest.mark.parametrize("sample", FOREIGN, ids=[s["id"] for s in FOREIGN])
def test_every_foreign_sample_is_rejected(
    identifier: LanguageIdentifier, sample: dict[str, str]
) -> None:
    verdict = judge(identifier, sample["title"], sample["body"], ENGLISH_ONLY)
    assert not verdict.accepted, verdict


def test_foreign_samples_are_named_correctly_almost_always(identifier: LanguageIdentifier) -> None:
    # Two of 72 were measured wrong: "Кто виноват?" reads as Ukrainian and one Chinese headline as
    # Japanese. Both are still rejected; the detail names the language detected.
    wrong = [
        (s["id"], detection.language)
        for s in FOREIGN
        if (detection := identifier.detect(s["title"], s["body"])).language != s["language"]
    ]
    assert len(wrong) <= 3, wrong


@pytest.mark.parametrize("sample", ENGLISH, ids=[s["id"] for s in ENGLISH])
def test_english_quoting_foreign_phrases_is_accepted(
    identifier: LanguageIdentifier, sample: dict[str, str]
) -> None:
    verdict = judge(identifier, sample["title"], sample["body"], ENGLISH_ONLY)
    assert verdict.accepted, verdict


def test_other_accepted_languages(identifier: LanguageIdentifier) -> None:
    french = identifier.detect("Le gouvernement annonce un plan d'aide aux agriculteurs", "")
    english = identifier.detect("The government announced a plan to help farmers", "")
    assert accepts(french, frozenset({"en", "fr"}))
    assert not accepts(english, frozenset({"fr"}))  # the English-words guard protects only English


@pytest.mark.parametrize(
    "headline",
    [
        "Día de los Muertos altars fill the plaza",
        "Fête de la musique fills the streets of Lyon",
        "Déjà vu at the central bank",
    ],
)
def test_short_english_headlines_with_loanwords_are_accepted(
    identifier: LanguageIdentifier, headline: str
) -> None:
    # The identifier reads each as Spanish or French, with more than REJECT_PROBABILITY on other
    # languages; the English function words ("the", "of") keep them in.
    detection = identifier.detect(headline, "")
    assert detection.language != "en"
    assert accepts(detection, ENGLISH_ONLY)


def test_text_without_letters_is_undetermined_and_accepted(identifier: LanguageIdentifier) -> None:
    detection = identifier.detect("2026 - 3:1", "12,000 ... !!")
    assert detection.language == UNDETERMINED
    assert detection.probability == 0.0
    assert accepts(detection, ENGLISH_ONLY)


@pytest.mark.parametrize("max_chars", [FIRST_WINDOW_CHARS, CONFIRM_WINDOW_CHARS])
def test_detection_reads_headline_and_a_bounded_start_of_the_body(max_chars: int) -> None:
    text = detection_text("BREAKING: Talks Resume", "Officials said\n\nthe talks " * 200, max_chars)
    assert text.startswith("breaking: talks resume officials said the talks")
    assert max_chars - 12 <= len(text) <= max_chars
    assert not text.endswith(" ")
    assert "\n" not in text


class _Scripted:
    """An identifier that answers from a script, to see which windows `judge` reads."""

    def __init__(self, *answers: Detection) -> None:
        self.answers = list(answers)
        self.read: list[str] = []

    def detect_text(self, text: str) -> Detection:
        self.read.append(text)
        answer = self.answers.pop(0)
        return Detection(answer.language, answer.probability, answer.candidates, text)


def _said(language: str, probability: float) -> Detection:
    return Detection(language, probability, ((language, probability),), "")


def test_an_accepted_article_pays_for_the_short_window_only() -> None:
    scripted = _Scripted(_said("en", 0.97))
    verdict = judge(scripted, "Talks resume", "word " * 300, ENGLISH_ONLY)
    assert verdict.accepted
    assert len(scripted.read) == 1
    assert len(scripted.read[0]) <= FIRST_WINDOW_CHARS


def test_a_rejection_needs_the_long_window_to_agree() -> None:
    overturned = _Scripted(_said("de", 0.9), _said("en", 0.8))
    verdict = judge(overturned, "Talks", "word " * 300, ENGLISH_ONLY)
    assert verdict.accepted
    assert [len(text) <= FIRST_WINDOW_CHARS for text in overturned.read] == [True, False]
    confirmed = _Scripted(_said("de", 0.9), _said("de", 0.95))
    verdict = judge(confirmed, "Talks", "word " * 300, ENGLISH_ONLY)
    assert not verdict.accepted
    assert verdict.detection.probability == 0.95
    # A headline alone has nothing more to read: one window decides.
    alone = _Scripted(_said("de", 0.9))
    assert not judge(alone, "Hochwasser in Bayern", "", ENGLISH_ONLY).accepted
    assert len(alone.read) == 1


def test_probabilities_and_candidates(identifier: LanguageIdentifier) -> None:
    detection = identifier.detect("Grève nationale dans les transports ce jeudi", "")
    assert detection.language == "fr"
    assert 0.0 < detection.probability <= 1.0
    assert detection.candidates[0] == ("fr", detection.probability)
    assert len(detection.candidates) == 5


def test_rule_on_made_up_detections() -> None:
    def detection(text: str, *candidates: tuple[str, float]) -> Detection:
        return Detection(candidates[0][0], candidates[0][1], candidates, text)

    # Mass of non-accepted languages, not just the winner: ru and uk split a Russian phrase.
    assert not accepts(detection("кто виноват?", ("uk", 0.44), ("ru", 0.43)), ENGLISH_ONLY)
    assert accepts(detection("x y z", ("fr", 0.40), ("en", 0.35)), ENGLISH_ONLY)
    # English function words raise the bar to 0.99.
    assert accepts(detection("the best way", ("fr", 0.96)), ENGLISH_ONLY)
    assert not accepts(detection("the best way", ("fr", 0.995)), ENGLISH_ONLY)


def test_the_model_file_is_checked(tmp_path: Path) -> None:
    assert bundled_model_path().is_file()
    altered = tmp_path / "lid.176.ftz"
    altered.write_bytes(b"not the model")
    with pytest.raises(LanguageModelError, match=MODEL_SHA256):
        LanguageIdentifier(altered)
    with pytest.raises(LanguageModelError, match="cannot read"):
        LanguageIdentifier(tmp_path / "missing.ftz")


# Run in a fresh interpreter: an audit hook refuses every socket operation and every file opened
# for writing or directory created, before the identifier is imported. No home, no cache, no
# temporary directory either. The identifier must still load and name French.
_OFFLINE_SCRIPT = textwrap.dedent(
    """
    import os, sys

    def refuse(event, args):
        if event.startswith("socket."):
            raise PermissionError(f"network use refused: {event}")
        if event in ("os.mkdir", "os.rename", "os.remove", "shutil.copyfile"):
            raise PermissionError(f"file system write refused: {event} {args[0]!r}")
        if event == "open" and len(args) > 2:
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                raise PermissionError(f"file write refused: {args[0]!r}")

    sys.addaudithook(refuse)
    from classifier.language import LanguageIdentifier, accepts
    detection = LanguageIdentifier().detect("Grève nationale dans les transports ce jeudi", "")
    assert detection.language == "fr", detection
    assert not accepts(detection, frozenset({"en"}))
    print("offline ok", detection.language, round(detection.probability, 3))
    """
)


def test_nothing_is_downloaded_or_written_at_run_time(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(missing / "home"),
        "TMPDIR": str(missing / "tmp"),
        "XDG_CACHE_HOME": str(missing / "cache"),
        "FTLANG_CACHE": str(missing / "ftlang"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "no_proxy": "*",
    }
    done = subprocess.run(
        [sys.executable, "-B", "-c", _OFFLINE_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "offline ok fr" in done.stdout
    assert not missing.exists()


def test_an_accepted_article_is_called_by_an_accepted_language() -> None:
    def scripted(*candidates: tuple[str, float]) -> _Scripted:
        return _Scripted(Detection(candidates[0][0], candidates[0][1], candidates, ""))

    # A loanword headline: French first, English words keep it in; it is called English.
    loanword = scripted(("fr", 0.9), ("en", 0.05))
    assert judge(loanword, "the art of the après-ski menu", "", ENGLISH_ONLY).language == "en"
    # English accepted alone: an accepted article is English even if no candidate says so.
    unnamed = scripted(("fr", 0.9), ("it", 0.05))
    assert judge(unnamed, "the envoy said 'il faut'", "", ENGLISH_ONLY).language == "en"
    # Several accepted and none named: the detected language stays.
    several = scripted(("fr", 0.9), ("it", 0.05))
    verdict = judge(several, "the envoy said 'il faut'", "", frozenset({"en", "de"}))
    assert (verdict.accepted, verdict.language) == (True, "fr")
    # A rejected article is called by what was detected.
    rejected = scripted(
        ("fr", 0.99),
    )
    assert judge(rejected, "grève nationale", "", ENGLISH_ONLY).language == "fr"
