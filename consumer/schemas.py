"""Wire contracts of the three topics, in one place, each carrying an explicit `schema_version`.

- `ArticleIn`, on `articles.raw`: tolerant (unknown fields are ignored), exact about what it needs.
- `TaggedArticle`, on `articles.tagged`: strict and frozen; embeds the classifier's value types.
- `DeadLetter`, on `articles.dlq`: the original bytes with where they came from and why they failed.

Versions: the two outbound contracts move separately (`TAGGED_SCHEMA_VERSION`,
`DEAD_LETTER_SCHEMA_VERSION`). 1.1 only adds fields and reason codes to 1.0, and from 1.1 on the
exported JSON Schemas are *open*: unknown fields are allowed and `reason` is a string whose known
values are documented, so that later additions stay additive for consumers that validate. Our own
models stay strict (`extra="forbid"`): what we produce is exactly what is documented.

`json_schemas()` renders all three for downstream users (`detente schemas` writes them to `docs/`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from classifier.countries import Country
from classifier.prediction import Evidence, ModelInfo, Tone, TopicScore

__all__ = [
    "DEAD_LETTER_SCHEMA_VERSION",
    "OUTPUT_REASONS",
    "TAGGED_SCHEMA_VERSION",
    "ArticleIn",
    "DeadLetter",
    "RejectReason",
    "TaggedArticle",
    "json_schemas",
]

TAGGED_SCHEMA_VERSION: Final = "1.1"
DEAD_LETTER_SCHEMA_VERSION: Final = "1.1"

# RFC 3339 date-time: a full date, 'T' (or a space, which the RFC allows), a time, and a mandatory
# offset. Pydantic alone would also take unix numbers and offset-less times, which are ambiguous.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class RejectReason(StrEnum):
    """Machine-readable reason codes of the dead-letter topic. Values are stable ids."""

    TOMBSTONE = "tombstone"
    TOO_LARGE = "too_large"
    INVALID_UTF8 = "invalid_utf8"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NOT_OBJECT = "not_object"
    MISSING_ID = "missing_id"
    EMPTY_TEXT = "empty_text"
    INVALID_TIMESTAMP = "invalid_timestamp"
    WRONG_TYPE = "wrong_type"
    CLASSIFICATION_FAILED = "classification_failed"
    # 1.1
    KEY_TOO_LARGE = "key_too_large"
    ID_TOO_LONG = "id_too_long"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    OUTPUT_TOO_LARGE = "output_too_large"
    OUTPUT_REJECTED = "output_rejected"


# Reasons that describe our output, not the input: the broker refused what we made of a record.
OUTPUT_REASONS: Final = frozenset({RejectReason.OUTPUT_TOO_LARGE, RejectReason.OUTPUT_REJECTED})

_REASON_DOCS: Final = {
    RejectReason.TOMBSTONE: "the record value is null",
    RejectReason.TOO_LARGE: "the value is over DETENTE_MAX_MESSAGE_BYTES",
    RejectReason.INVALID_UTF8: "the value is not UTF-8 (or escapes a lone surrogate)",
    RejectReason.NOT_JSON: "the value is not JSON",
    RejectReason.TOO_DEEP: "the JSON nests deeper than DETENTE_MAX_JSON_DEPTH",
    RejectReason.NOT_OBJECT: "the JSON is not an object",
    RejectReason.MISSING_ID: "`id` is missing or blank",
    RejectReason.EMPTY_TEXT: "`title` and `body` are both empty",
    RejectReason.INVALID_TIMESTAMP: "`published_at` is not RFC 3339 with an offset",
    RejectReason.WRONG_TYPE: "a field has the wrong type",
    RejectReason.CLASSIFICATION_FAILED: "the model failed on this article",
    RejectReason.KEY_TOO_LARGE: "the record key is over DETENTE_MAX_KEY_BYTES",
    RejectReason.ID_TOO_LONG: "`id` is over DETENTE_MAX_ID_BYTES of UTF-8",
    RejectReason.UNSUPPORTED_LANGUAGE: "the article's detected language is not accepted",
    RejectReason.OUTPUT_TOO_LARGE: "the tagged article cannot fit the output topic's limit",
    RejectReason.OUTPUT_REJECTED: "the broker refused the output record for a reason of its own",
}

# Exported as an open string, not an enum: consumers that validate keep accepting reasons added
# by later minor versions.
_OPEN_REASON = WithJsonSchema(
    {
        "type": "string",
        "description": "Machine-readable reason code. Known values: "
        + "; ".join(f"`{reason.value}`: {text}" for reason, text in _REASON_DOCS.items())
        + ". Later minor versions may add values.",
        "examples": [reason.value for reason in RejectReason],
    }
)


class ArticleIn(BaseModel):
    """One article as publishers send it; key = `id`. At least one of title and body has text."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, description="Publisher's article id; also the record key.")
    title: str | None = None
    body: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = Field(default=None, description="RFC 3339 date-time.")
    language: str | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("id")
    @classmethod
    def _id_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id is blank")
        return value

    @field_validator("published_at", mode="before")
    @classmethod
    def _rfc3339(cls, value: object) -> object:
        if value is not None and not (isinstance(value, str) and _RFC3339.match(value)):
            raise ValueError("published_at must be an RFC 3339 date-time with an offset")
        return value

    @model_validator(mode="after")
    def _has_text(self) -> ArticleIn:
        if not (self.title or "").strip() and not (self.body or "").strip():
            raise ValueError("title and body are both empty")
        return self


class TaggedArticle(BaseModel):
    """One tagged article on the output topic; key = `id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["1.1"] = TAGGED_SCHEMA_VERSION
    id: str
    title: str | None = Field(
        description="The input's title as cleaned: HTML turned into plain text, Unicode"
        " normalised (1.1)."
    )
    url: str | None
    source: str | None
    published_at: datetime | None
    language: str | None = Field(
        description="The input's `language` when given, else the detected ISO 639-1 code; null"
        " when the text held nothing to judge (1.1)."
    )
    body: str | None = Field(
        default=None,
        description="Present only when DETENTE_INCLUDE_BODY is true: the cleaned body, as the"
        " model read it (1.1).",
    )
    topics: tuple[TopicScore, ...] = Field(description="1 to 3 topics, best first.")
    tone: Tone
    evidence: tuple[Evidence, ...] = Field(description="Up to 3 sentences that drove the tone.")
    truncated: bool = Field(
        description="True when the text fed to the model was cut at DETENTE_MAX_TEXT_CHARS."
    )
    output_shortened: bool = Field(
        default=False,
        description="True when fields were cut so that the record fits the output topic's size"
        " limit: the body dropped, then evidence texts shortened, then the title shortened (1.1).",
    )
    countries: tuple[Country, ...] = Field(
        default=(),
        description="Up to 5 states the article is about, most central first (headline and lead"
        " weigh more, then how often): ISO 3166-1 alpha-2 `code` (XK for Kosovo), short English"
        " `name`, `mentions` counted in the text, `in_headline`. Empty when no state is involved"
        " (1.1).",
    )
    model: ModelInfo
    processed_at: datetime

    def to_json(self) -> str:
        """The record as sent: `body` is left out unless it was asked for."""
        return self.model_dump_json(exclude={"body"} if self.body is None else None)


class DeadLetter(BaseModel):
    """A record that could not be tagged, kept whole so that it can be inspected and replayed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["1.1"] = DEAD_LETTER_SCHEMA_VERSION
    reason: Annotated[RejectReason, _OPEN_REASON]
    detail: str
    source_topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = Field(description="The source record's timestamp.")
    key_base64: str | None = Field(
        description="The original key (its first bytes when `key_truncated`); null for no key."
    )
    key_size: int | None = Field(
        default=None, description="Size of the original key in bytes; null for no key (1.1)."
    )
    key_truncated: bool = Field(
        default=False,
        description="True when `key_base64` holds only the first bytes of the key, to fit the"
        " dead-letter topic's limit (1.1). The record's own key is then the SHA-256 (hex) of the"
        " original key.",
    )
    value_base64: str | None = Field(
        description="The original bytes (the first ones when `value_truncated`); null for a"
        " tombstone."
    )
    value_size: int = Field(description="Size of the original value in bytes.")
    value_truncated: bool = Field(
        default=False,
        description="True when `value_base64` holds only the first bytes of the value: at most"
        " DETENTE_MAX_MESSAGE_BYTES, and no more than fits the dead-letter topic's limit.",
    )
    rejected_at: datetime


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each topic's records, keyed by topic role; outbound ones are open."""
    return {
        "article-in": ArticleIn.model_json_schema(),
        "tagged-article": _open(TaggedArticle.model_json_schema(mode="serialization")),
        "dead-letter": _open(DeadLetter.model_json_schema(mode="serialization")),
    }


def _open(node: Any) -> Any:
    """Drop every `additionalProperties: false`: a 1.x consumer must accept 1.y additions."""
    if isinstance(node, dict):
        return {
            key: _open(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_open(item) for item in node]
    return node
