"""Wire contracts of the three topics, in one place, each carrying an explicit `schema_version`.

- `ArticleIn`, on `articles.raw`: tolerant (unknown fields are ignored), exact about what it needs.
- `TaggedArticle`, on `articles.tagged`: strict and frozen; embeds the classifier's value types.
- `DeadLetter`, on `articles.dlq`: the original bytes with where they came from and why they failed.

`json_schemas()` renders all three for downstream users (`detente schemas` writes them to `docs/`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from classifier.prediction import Evidence, ModelInfo, Tone, TopicScore

__all__ = [
    "SCHEMA_VERSION",
    "ArticleIn",
    "DeadLetter",
    "RejectReason",
    "TaggedArticle",
    "json_schemas",
]

SCHEMA_VERSION: Final = "1.0"

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

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    id: str
    title: str | None
    url: str | None
    source: str | None
    published_at: datetime | None
    language: str | None
    body: str | None = Field(
        default=None, description="Present only when DETENTE_INCLUDE_BODY is true."
    )
    topics: tuple[TopicScore, ...] = Field(description="1 to 3 topics, best first.")
    tone: Tone
    evidence: tuple[Evidence, ...] = Field(description="Up to 3 sentences that drove the tone.")
    truncated: bool = Field(
        description="True when the text fed to the model was cut at DETENTE_MAX_TEXT_CHARS."
    )
    model: ModelInfo
    processed_at: datetime

    def to_json(self) -> str:
        """The record as sent: `body` is left out unless it was asked for."""
        return self.model_dump_json(exclude={"body"} if self.body is None else None)


class DeadLetter(BaseModel):
    """A record that could not be tagged, kept whole so that it can be inspected and replayed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    reason: RejectReason
    detail: str
    source_topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = Field(description="The source record's timestamp.")
    key_base64: str | None
    value_base64: str | None = Field(description="The original bytes; null for a tombstone.")
    value_size: int = Field(description="Size of the original value in bytes.")
    value_truncated: bool = Field(
        default=False,
        description="True when only the first DETENTE_MAX_MESSAGE_BYTES bytes of an oversized value"
        " are kept.",
    )
    rejected_at: datetime


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each topic's records, keyed by topic role."""
    return {
        "article-in": ArticleIn.model_json_schema(),
        "tagged-article": TaggedArticle.model_json_schema(mode="serialization"),
        "dead-letter": DeadLetter.model_json_schema(mode="serialization"),
    }
