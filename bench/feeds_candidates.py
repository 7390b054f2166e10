"""The alternatives measured before choosing the HTML parser and the language identifier.

    python -m venv /tmp/candidates && /tmp/candidates/bin/pip install -e . \\
        pycld2 py3langid lingua-language-detector resiliparse lxml
    /tmp/candidates/bin/python -m bench.feeds_candidates [--data ../shared/datasets] [--out PATH]

Candidates that are not installed are skipped (the project depends only on the chosen ones).

Language identifiers, each given the same text (`detection_text` with CONFIRM_WINDOW_CHARS:
headline and the start of the body, lower-cased, at most 480 characters; lower-casing is what
made lid.176 usable on title-case headlines, and the others get the same text):
- accuracy on the project's own samples (tests/data/language_samples.jsonl: 72 French, Spanish,
  German, Russian, Arabic and Chinese texts, many short, and 12 English articles quoting them);
- the share of English rows whose best guess is not English, on up to `--per-set` rows of each
  English set of ../shared/datasets (whole articles; headlines and sentences of five words or
  more), before any acceptance rule;
- CPU microseconds per text on those rows.

HTML to text, on real articles wrapped in CMS-style HTML (`bench.feeds_speed.wrap_in_html`): CPU
microseconds per article for our renderer over lexbor (selectolax), resiliparse's C++ extractor,
and parsing alone with lexbor and with lxml (the floor under any renderer built on each).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench.english_sets import MIN_SENTENCE_WORDS, Row, read_all, word_count
from bench.feeds_speed import load_articles
from classifier.html_text import clean_text, html_to_text
from classifier.language import CONFIRM_WINDOW_CHARS, LanguageIdentifier, detection_text

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
SAMPLES: Final = PROJECT_ROOT / "tests" / "data" / "language_samples.jsonl"

Identify = Callable[[str], str]  # detection text -> ISO 639-1 code ("" when undecided)


def _fasttext_lite() -> Identify:
    identifier = LanguageIdentifier()
    return lambda text: identifier.detect_text(text).language


def _pycld2() -> Identify:
    import pycld2  # type: ignore[import-not-found]  # noqa: PLC0415

    def identify(text: str) -> str:
        try:
            _, _, details = pycld2.detect(text)
        except pycld2.error:
            return ""
        code: str = details[0][1]
        return "" if code == "un" else code

    return identify


def _py3langid() -> Identify:
    from py3langid.langid import (  # type: ignore[import-not-found]  # noqa: PLC0415
        MODEL_FILE,
        LanguageIdentifier,
    )

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: str(model.classify(text)[0])


def _lingua(low_accuracy: bool) -> Callable[[], Identify]:
    def build() -> Identify:
        from lingua import LanguageDetectorBuilder  # type: ignore[import-not-found]  # noqa: PLC0415

        builder = LanguageDetectorBuilder.from_all_languages()
        detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

        def identify(text: str) -> str:
            language = detector.detect_language_of(text)
            return language.iso_code_639_1.name.lower() if language is not None else ""

        return identify

    return build


def _resiliparse_lang() -> Identify:
    from resiliparse.parse.lang import detect_fast  # type: ignore[import-not-found]  # noqa: PLC0415

    return lambda text: str(detect_fast(text)[0])


IDENTIFIERS: Final[dict[str, tuple[str, Callable[[], Identify]]]] = {
    "fasttext_lid176_lite (chosen)": ("fasttext", _fasttext_lite),
    "pycld2": ("pycld2", _pycld2),
    "py3langid": ("py3langid", _py3langid),
    "lingua_low_accuracy": ("lingua", _lingua(low_accuracy=True)),
    "lingua_high_accuracy": ("lingua", _lingua(low_accuracy=False)),
    "resiliparse_detect_fast": ("resiliparse", _resiliparse_lang),
}


def _english_rows(data: Path, per_set: int) -> list[Row]:
    by_set: dict[str, list[Row]] = defaultdict(list)
    for row in read_all(data):
        if row.kind == "article" or (
            row.kind == "sentence" and word_count(row.title) >= MIN_SENTENCE_WORDS
        ):
            by_set[row.set_name].append(row)
    rng = random.Random(1)
    picked: list[Row] = []
    for rows in by_set.values():
        picked += rng.sample(rows, min(per_set, len(rows)))
    return picked


def compare_identifiers(data: Path, per_set: int) -> dict[str, Any]:
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
    sample_texts = [detection_text(s["title"], s["body"], CONFIRM_WINDOW_CHARS) for s in samples]
    rows = _english_rows(data, per_set)
    texts = [
        detection_text(clean_text(r.title), clean_text(r.body), CONFIRM_WINDOW_CHARS) for r in rows
    ]
    results: dict[str, Any] = {}
    for name, (module, build) in IDENTIFIERS.items():
        if importlib.util.find_spec(module) is None:
            results[name] = "not installed"
            continue
        identify = build()
        correct: Counter[str] = Counter()
        for sample, text in zip(samples, sample_texts, strict=True):
            correct[sample["language"]] += identify(text) == sample["language"]
        started = time.process_time()
        guesses = [identify(text) for text in texts]
        seconds = time.process_time() - started
        wrong: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for row, guess in zip(rows, guesses, strict=True):
            total[row.kind] += 1
            wrong[row.kind] += guess != "en"
        results[name] = {
            "samples_correct": dict(correct),
            "samples_correct_total": f"{sum(correct.values())}/{len(samples)}",
            "english_rows_best_guess_not_english": {
                kind: f"{wrong[kind]}/{total[kind]}" for kind in sorted(total)
            },
            "cpu_us_per_text": round(1e6 * seconds / len(texts), 1),
        }
    return results


def compare_html(data: Path, n_articles: int) -> dict[str, Any]:
    articles = [a for a, is_html in load_articles(data, n_articles, html_share=1.0) if is_html]
    bodies = [a["body"] for a in articles]
    candidates: dict[str, Callable[[str], object]] = {"selectolax_ours (chosen)": html_to_text}
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415

    candidates["lexbor_parse_only"] = LexborHTMLParser
    if importlib.util.find_spec("resiliparse") is not None:
        from resiliparse.extract.html2text import (  # type: ignore[import-not-found]  # noqa: PLC0415
            extract_plain_text,
        )

        candidates["resiliparse_extract_plain_text"] = lambda markup: extract_plain_text(
            markup, preserve_formatting=True, list_bullets=False, skip_elements=["nav", "aside"]
        )
    if importlib.util.find_spec("lxml") is not None:
        import lxml.html  # type: ignore[import-untyped]  # noqa: PLC0415

        candidates["lxml_parse_only"] = lambda markup: lxml.html.fragment_fromstring(
            markup, create_parent="div"
        )
    best: dict[str, float] = {}
    for _ in range(5):
        for name, convert in candidates.items():
            started = time.process_time()
            for body in bodies:
                convert(body)
            per = 1e6 * (time.process_time() - started) / len(bodies)
            best[name] = min(best.get(name, per), per)
    return {
        "articles": len(bodies),
        "mean_html_chars": round(sum(map(len, bodies)) / len(bodies), 1),
        "cpu_us_per_article_best_of_5": {name: round(us, 1) for name, us in best.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT.parent / "shared" / "datasets")
    parser.add_argument("--per-set", type=int, default=1500)
    parser.add_argument("--html-articles", type=int, default=300)
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "bench" / "results" / "feeds_candidates.json"
    )
    args = parser.parse_args()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "language_identifiers": compare_identifiers(args.data, args.per_set),
        "html_to_text": compare_html(args.data, args.html_articles),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
