"""Pipeline step: text as feeds deliver it -> clean text in an accepted language, or a rejection.

Runs after validation and before anything reads an article (`process_batch`, `detente classify`):

- `title` and `body` go through `classifier.html_text.clean_text` (HTML to plain text, Unicode
  normalised). The cleaned text replaces the original in the article, so the model, the countries
  step, the evidence and the echoed `title` / `body` all see the same plain text;
- the language is judged on the cleaned text (`classifier.language.judge`); an article in a
  language that is not accepted becomes an `unsupported_language` rejection whose detail names the
  detected language and its probability;
- the article's `language` is the input's value when given, else the detected code (none when
  there was no text to judge). An article accepted although another language came first (an
  English headline with a loanword) is called by its most probable accepted language.

The language of every judged article (as above, or the detected one of a rejected article) is
returned beside the results, for the metric of articles by language. Pure: no Kafka, no
Prometheus.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from classifier.html_text import clean_text
from classifier.language import UNDETERMINED, TextIdentifier, judge, probability_not_accepted
from consumer.schemas import ArticleIn, RejectReason
from consumer.validation import Rejection

__all__ = ["prepare_feed_text"]


def prepare_feed_text(
    items: Sequence[ArticleIn | Rejection],
    accepted: AbstractSet[str],
    identifier: TextIdentifier,
) -> tuple[list[ArticleIn | Rejection], list[str | None]]:
    """Each valid article cleaned and judged; rejections pass through. Same length and order.

    The second list holds the detected language of each judged article (None for items that
    were already rejections)."""
    out: list[ArticleIn | Rejection] = []
    languages: list[str | None] = []
    for item in items:
        if isinstance(item, Rejection):
            out.append(item)
            languages.append(None)
            continue
        prepared, language = _prepare(item, accepted, identifier)
        out.append(prepared)
        languages.append(language)
    return out, languages


def _prepare(
    article: ArticleIn, accepted: AbstractSet[str], identifier: TextIdentifier
) -> tuple[ArticleIn | Rejection, str | None]:
    title = clean_text(article.title) if article.title else article.title
    body = clean_text(article.body) if article.body else article.body
    if not (title or "").strip() and not (body or "").strip():
        return Rejection(
            RejectReason.EMPTY_TEXT, "title and body hold no text once the HTML is removed"
        ), None
    verdict = judge(identifier, title or "", body or "", accepted)
    detected = verdict.language
    if not verdict.accepted:
        detection = verdict.detection
        against = probability_not_accepted(detection, accepted)
        detail = (
            f"detected language {detected} with probability {detection.probability:.3f}"
            f" (languages not accepted: {against:.3f}); accepted: {', '.join(sorted(accepted))}"
        )
        return Rejection(RejectReason.UNSUPPORTED_LANGUAGE, detail), detected
    language = article.language or (None if detected == UNDETERMINED else detected)
    cleaned = article.model_copy(update={"title": title, "body": body, "language": language})
    return cleaned, detected
