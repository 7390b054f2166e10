"""CPU per article of feed-text cleaning and the language check, beside the whole pipeline's.

    python -m bench.feeds_speed [--data ../shared/datasets] [--articles 1000] [--html-share 0.25]
                                [--repeats 5] [--out PATH]

Real articles (`news_articles_unlabelled`, whole headline and body), a share of them wrapped in
HTML the way CMS exports deliver it (paragraph tags, inline links and emphasis, entity-encoded
quotes, a share bar, an embedded script, a figure with a caption, a newsletter line), all encoded
as input records. In one process pinned to one core, with BLAS on one thread, it times:

- `clean_text` on title and body (plain and HTML articles apart, then the mix);
- the language check: `judge` on the cleaned text (short window, long one only to confirm a
  rejection);
- the whole pipeline on the same records: `process_batch` (the service's core: parse, validate,
  clean, check the language, classify, serialise) and `classify_lines` (what `detente classify`
  runs, without the process start).

CPU seconds come from `time.process_time`, the median of `--repeats` runs; figures are per article
and as a share of the pipeline's CPU, measured side by side, so the ratio holds on a busy machine
even when the absolute figures do not. Writes a JSON report (bench/results/feeds_speed.json).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import platform
import random
import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

# One core: BLAS threads must be limited before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from bench.measure import cpu_seconds, pin_one_core  # noqa: E402
from classifier.artifact import load_classifier  # noqa: E402
from classifier.html_text import clean_text  # noqa: E402
from classifier.language import LanguageIdentifier, judge  # noqa: E402
from consumer.batch_mode import classify_lines  # noqa: E402
from consumer.output_fit import OutputLimits  # noqa: E402
from consumer.pipeline import PipelineConfig, process_batch  # noqa: E402
from consumer.records import InboundRecord  # noqa: E402

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
ACCEPTED: Final = frozenset({"en"})
BATCH: Final = 250  # the service's default max_poll_records
# The limits detente creates its topics with (1 MiB + Kafka's record-batch overhead).
LIMITS: Final = OutputLimits(tagged_bytes=1_463_637, dead_letter_bytes=1_463_637)


def _entities(text: str) -> str:
    # CMS exports escape markup characters and often the typographic quotes too.
    text = html.escape(text, quote=False)
    for char, entity in (("’", "&rsquo;"), ("‘", "&lsquo;"), ("“", "&ldquo;"), ("”", "&rdquo;")):
        text = text.replace(char, entity)
    return text


def wrap_in_html(body: str, rng: random.Random) -> str:
    """A CMS-style HTML body around the article's own paragraphs."""
    parts = ['<div class="article-body">']
    for number, paragraph in enumerate(p for p in body.split("\n") if p.strip()):
        words = _entities(paragraph).split(" ")
        if len(words) > 12:
            at = rng.randrange(len(words) - 4)
            words[at] = f'<a href="https://example.org/story/{at}">{words[at]}</a>'
            words[at + 2] = f"<em>{words[at + 2]}</em>"
            words[at + 4] = f"<strong>{words[at + 4]}</strong>"
        parts.append(f'<p class="para">{" ".join(words)}</p>')
        if number == 1:
            parts.append(
                '<div class="share"><a href="#">Share</a> <a href="#">Facebook</a>'
                ' <a href="#">Twitter</a> <a href="#">Email</a></div>'
            )
        if number == 3:
            parts.append(
                '<figure><img src="/i.jpg" alt=""><figcaption>A photo caption for the story.'
                "</figcaption></figure>"
                '<script async src="https://example.org/embed.js"></script>'
            )
    parts.append("<p>Sign up for our newsletter to get the day&rsquo;s news.</p></div>")
    return "\n".join(parts)


def load_articles(
    data: Path, n: int, html_share: float, seed: int = 5
) -> list[tuple[dict[str, str], bool]]:
    rng = random.Random(seed)
    path = data / "news_articles_unlabelled" / "articles.jsonl"
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    picked = rng.sample(rows, min(n, len(rows)))
    out = []
    for number, row in enumerate(picked):
        is_html = rng.random() < html_share
        body = wrap_in_html(row["body"], rng) if is_html else row["body"]
        out.append(({"id": f"a{number}", "title": row["title"], "body": body}, is_html))
    return out


def run(data: Path, n_articles: int, html_share: float, repeats: int) -> dict[str, Any]:
    cpu = pin_one_core()
    threadpool_limits(1)
    tagger = load_classifier(PROJECT_ROOT / "models")
    identifier = LanguageIdentifier()
    articles = load_articles(data, n_articles, html_share)
    texts = [(a["title"], a["body"]) for a, _ in articles]
    plain = [t for t, (_, is_html) in zip(texts, articles, strict=True) if not is_html]
    marked = [t for t, (_, is_html) in zip(texts, articles, strict=True) if is_html]
    cleaned = [(clean_text(title), clean_text(body)) for title, body in texts]
    lines = [json.dumps(a).encode("utf-8") for a, _ in articles]
    records = [
        InboundRecord(topic="raw", partition=0, offset=i, key=None, value=value, timestamp_ms=0)
        for i, value in enumerate(lines)
    ]
    config = PipelineConfig()

    def clean(batch: list[tuple[str, str]]) -> Callable[[], object]:
        return lambda: [(clean_text(title), clean_text(body)) for title, body in batch]

    def check() -> object:
        return [judge(identifier, title, body, ACCEPTED).accepted for title, body in cleaned]

    def pipeline() -> object:
        return [
            process_batch(records[i : i + BATCH], tagger, config, LIMITS)
            for i in range(0, len(records), BATCH)
        ]

    def batch_mode() -> object:
        return classify_lines(lines, tagger, config, io.StringIO(), io.StringIO(), BATCH)

    pipeline()  # warm-up: first-call allocations, lazy imports
    n = len(articles)
    seconds = {
        "clean_plain": cpu_seconds(clean(plain), repeats),
        "clean_html": cpu_seconds(clean(marked), repeats),
        "clean_all": cpu_seconds(clean(texts), repeats),
        "language_check": cpu_seconds(check, repeats),
        "pipeline_process_batch": cpu_seconds(pipeline, repeats),
        "pipeline_classify_lines": cpu_seconds(batch_mode, repeats),
    }
    per_article_ms = {
        "clean_plain": 1000 * seconds["clean_plain"] / max(len(plain), 1),
        "clean_html": 1000 * seconds["clean_html"] / max(len(marked), 1),
        "clean_all": 1000 * seconds["clean_all"] / n,
        "language_check": 1000 * seconds["language_check"] / n,
        "pipeline_process_batch": 1000 * seconds["pipeline_process_batch"] / n,
        "pipeline_classify_lines": 1000 * seconds["pipeline_classify_lines"] / n,
    }
    feeds = per_article_ms["clean_all"] + per_article_ms["language_check"]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "pinned_cpu": cpu,
        "load_average": os.getloadavg(),
        "articles": n,
        "html_articles": len(marked),
        "mean_input_chars": {
            "plain": round(statistics.fmean(len(t) + len(b) for t, b in plain), 1) if plain else 0,
            "html": round(statistics.fmean(len(t) + len(b) for t, b in marked), 1) if marked else 0,
        },
        "repeats": repeats,
        "cpu_ms_per_article": {key: round(value, 4) for key, value in per_article_ms.items()},
        "cleaning_and_language_ms_per_article": round(feeds, 4),
        "target_ms_per_article": 0.05,
        "share_of_pipeline": {
            "process_batch": round(feeds / per_article_ms["pipeline_process_batch"], 4),
            "classify_lines": round(feeds / per_article_ms["pipeline_classify_lines"], 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT.parent / "shared" / "datasets")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--html-share", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "bench" / "results" / "feeds_speed.json"
    )
    args = parser.parse_args()
    report = run(args.data, args.articles, args.html_share, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    per = report["cpu_ms_per_article"]
    print(
        f"{report['articles']} articles ({report['html_articles']} HTML), CPU ms per article:"
        f" clean plain {per['clean_plain']:.4f}, clean HTML {per['clean_html']:.4f},"
        f" clean mix {per['clean_all']:.4f}, language {per['language_check']:.4f};"
        f" cleaning + language {report['cleaning_and_language_ms_per_article']:.4f}"
        f" (target 0.05) vs pipeline {per['pipeline_process_batch']:.4f}"
        f" = {100 * report['share_of_pipeline']['process_batch']:.1f} %"
    )
    print(f"report: {args.out}")


if __name__ == "__main__":
    main()
