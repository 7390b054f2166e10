"""Make every outbound record fit its topic: pure functions over sizes, no Kafka client here.

A topic refuses a record batch larger than its `max.message.bytes`, and the producer refuses a
record larger than its `max_request_size`; a record refused there would abort its batch, and the
same batch would be read and refused again for ever. So every record is measured before it is
produced, against `OutputLimits` read from the broker (`consumer.topic_limits`):

- a tagged article that does not fit is shortened, in this order, until it does: the body (when
  `DETENTE_INCLUDE_BODY` echoes it) is dropped, evidence texts are cut to `EVIDENCE_CHARS`, the
  title is cut to the room left; each sets `output_shortened`. If it still cannot fit (a huge
  `url`, say), the caller dead-letters it as `output_too_large`;
- a dead letter always fits: its key and value excerpts are cut to the room left (`excerpts`),
  and a key too large to repeat as the record's key is replaced by its SHA-256.

The check itself is a length comparison; only records that fail it pay for re-serialising.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Final

from consumer.schemas import TaggedArticle

__all__ = [
    "EVIDENCE_CHARS",
    "MIN_DEAD_LETTER_BYTES",
    "RECORD_OVERHEAD_BYTES",
    "OutputLimits",
    "dead_letter_key",
    "excerpts",
    "fit_tagged",
    "fits",
]

# A record batch with one record: the v2 batch header is 61 bytes and the record's own framing
# (length, attributes, timestamp and offset deltas, key/value lengths, header count) at most
# about 30 more. The margin also covers the producer's own size estimate.
RECORD_OVERHEAD_BYTES: Final = 256
# Evidence sentences are cut to this many characters when a tagged article must shrink.
EVIDENCE_CHARS: Final = 280
# Below this a dead letter's envelope itself may not fit: a limit this low is refused at start.
MIN_DEAD_LETTER_BYTES: Final = 8_192
_ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class OutputLimits:
    """The largest record (key + value, in bytes) each destination takes."""

    tagged_bytes: int
    dead_letter_bytes: int


def fits(key: bytes | None, value: bytes, limit: int) -> bool:
    return len(value) + (len(key) if key is not None else 0) + RECORD_OVERHEAD_BYTES <= limit


def fit_tagged(article: TaggedArticle, key: bytes, limit: int) -> bytes | None:
    """The article's record value, shortened as documented until it fits; None if it cannot."""
    value = article.to_json().encode("utf-8")
    if fits(key, value, limit):
        return value
    if article.body is not None:
        article = article.model_copy(update={"body": None, "output_shortened": True})
        value = article.to_json().encode("utf-8")
        if fits(key, value, limit):
            return value
    if any(len(e.text) > EVIDENCE_CHARS for e in article.evidence):
        short = tuple(replace(e, text=_cut(e.text, EVIDENCE_CHARS)) for e in article.evidence)
        article = article.model_copy(update={"evidence": short, "output_shortened": True})
        value = article.to_json().encode("utf-8")
        if fits(key, value, limit):
            return value
    if article.title:
        return _fit_title(article, key, limit)
    return None


def _fit_title(article: TaggedArticle, key: bytes, limit: int) -> bytes | None:
    """Cut the title to the longest prefix that fits (binary search: JSON escaping and UTF-8
    make bytes per character vary, so the length is measured, not estimated)."""
    title = article.title or ""

    def value_with(chars: int) -> bytes:
        cut = _cut(title, chars) if chars < len(title) else title
        update = {"title": cut, "output_shortened": True}
        return article.model_copy(update=update).to_json().encode("utf-8")

    low, high = 0, len(title)  # value_with(low) is the candidate; high is known not to fit
    if not fits(key, value_with(0), limit):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if fits(key, value_with(middle), limit):
            low = middle
        else:
            high = middle
    return value_with(low)


def _cut(text: str, chars: int) -> str:
    return text[: max(chars - len(_ELLIPSIS), 0)] + _ELLIPSIS


def dead_letter_key(key: bytes | None, max_key_bytes: int) -> bytes | None:
    """The original key when it is within the input limit, otherwise its SHA-256 in hex."""
    if key is None or len(key) <= max_key_bytes:
        return key
    return hashlib.sha256(key).hexdigest().encode("ascii")


def excerpts(key_size: int, value_size: int, room: int, key_floor: int) -> tuple[int, int]:
    """How many leading bytes of the key and of the value fit, base64-encoded, in `room` bytes.

    Both whole when they fit. Otherwise the value comes first (it is what a replay needs), after
    the key's first `key_floor` bytes; the key gets whatever room the value leaves.
    """
    if _b64(key_size) + _b64(value_size) <= room:
        return key_size, value_size
    raw_room = max(room, 0) // 4 * 3
    value_bytes = min(value_size, raw_room - min(key_size, key_floor, raw_room))
    key_bytes = min(key_size, raw_room - value_bytes)
    # Round down to whole base64 groups so each excerpt encodes to exactly 4/3 of its bytes.
    key_bytes -= key_bytes % 3 if key_bytes < key_size else 0
    value_bytes -= value_bytes % 3 if value_bytes < value_size else 0
    while _b64(key_bytes) + _b64(value_bytes) > room and value_bytes > 0:
        value_bytes = max(value_bytes - 3, 0)
    return key_bytes, value_bytes


def _b64(size: int) -> int:
    return 4 * ((size + 2) // 3)
