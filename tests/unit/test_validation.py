from __future__ import annotations

import json

import pytest

from consumer.schemas import ArticleIn, RejectReason
from consumer.validation import InputLimits, Rejection, parse_article

LIMITS = InputLimits(max_message_bytes=5_000, max_json_depth=8)


def _reason(value: bytes | None) -> RejectReason:
    result = parse_article(value, LIMITS)
    assert isinstance(result, Rejection), result
    assert result.detail
    return result.reason


def test_valid_article_keeps_fields_and_ignores_unknown_ones() -> None:
    raw = json.dumps(
        {
            "id": "a-1",
            "title": "Talks resume",
            "published_at": "2024-01-22T10:00:00+05:00",
            "metadata": {"desk": "asia"},
            "unexpected": [1, 2, 3],
        }
    ).encode()
    article = parse_article(raw, LIMITS)
    assert isinstance(article, ArticleIn)
    assert article.id == "a-1"
    assert article.published_at is not None
    assert article.published_at.utcoffset() is not None
    assert article.metadata == {"desk": "asia"}


def test_body_alone_is_enough() -> None:
    assert isinstance(parse_article(b'{"id": "x", "body": "Some text."}', LIMITS), ArticleIn)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, RejectReason.TOMBSTONE),
        (b"x" * 5_001, RejectReason.TOO_LARGE),
        (b'{"id": "\xff"}', RejectReason.INVALID_UTF8),
        (b'{"id": "a", "title": "lone \\ud800 surrogate"}', RejectReason.INVALID_UTF8),
        (b"{not json", RejectReason.NOT_JSON),
        (b"", RejectReason.NOT_JSON),
        (b"[" * 1_500 + b"]" * 1_500, RejectReason.TOO_DEEP),
        (
            b'{"id": "a", "title": "t", "metadata": ' + b'{"k": ' * 9 + b"1" + b"}" * 10,
            RejectReason.TOO_DEEP,
        ),
        (b'["id", "title"]', RejectReason.NOT_OBJECT),
        (b'"just a string"', RejectReason.NOT_OBJECT),
        (b'{"title": "No id here"}', RejectReason.MISSING_ID),
        (b'{"id": "", "title": "Empty id"}', RejectReason.MISSING_ID),
        (b'{"id": "   ", "title": "Blank id"}', RejectReason.MISSING_ID),
        (b'{"id": "a"}', RejectReason.EMPTY_TEXT),
        (b'{"id": "a", "title": "  ", "body": ""}', RejectReason.EMPTY_TEXT),
        (b'{"id": 42, "title": "Numeric id"}', RejectReason.WRONG_TYPE),
        (b'{"id": "a", "title": ["list"]}', RejectReason.WRONG_TYPE),
        (b'{"id": "a", "title": "t", "metadata": "not an object"}', RejectReason.WRONG_TYPE),
        (
            b'{"id": "a", "title": "t", "published_at": "22/01/2024"}',
            RejectReason.INVALID_TIMESTAMP,
        ),
        (
            b'{"id": "a", "title": "t", "published_at": "2024-01-22"}',
            RejectReason.INVALID_TIMESTAMP,
        ),
        (b'{"id": "a", "title": "t", "published_at": 1705917600}', RejectReason.INVALID_TIMESTAMP),
        (
            b'{"id": "a", "title": "t", "published_at": "2024-01-22T10:00:00"}',
            RejectReason.INVALID_TIMESTAMP,
        ),
    ],
)
def test_every_bad_input_is_a_rejection_with_its_reason(
    value: bytes | None, reason: RejectReason
) -> None:
    assert _reason(value) is reason
