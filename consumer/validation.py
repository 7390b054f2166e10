"""Raw bytes to a validated `ArticleIn`, or a `Rejection` that says why not. Never raises."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import ValidationError

from consumer.schemas import ArticleIn, RejectReason

__all__ = ["InputLimits", "Rejection", "check_key", "parse_article"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# Decoded UTF-8 holds no surrogate, so one can only come from a \uD800-\uDFFF escape: searching the
# raw text for one (1-2 us) spares almost every record the walk over the parsed document (~20 us).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


@dataclass(frozen=True, slots=True)
class InputLimits:
    max_message_bytes: int = 1_048_576
    max_json_depth: int = 32
    # The key and the id come back in every output (the id is the tagged record's key and is
    # repeated in its value): unbounded, they could make an output no topic accepts.
    max_key_bytes: int = 4_096
    max_id_bytes: int = 4_096


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str


def check_key(key: bytes | None, limits: InputLimits) -> Rejection | None:
    """A key over the limit is refused before its value is even decoded."""
    if key is not None and len(key) > limits.max_key_bytes:
        return Rejection(
            RejectReason.KEY_TOO_LARGE,
            f"key is {len(key)} bytes, over the limit of {limits.max_key_bytes}",
        )
    return None


def parse_article(value: bytes | None, limits: InputLimits) -> ArticleIn | Rejection:
    """Decode, parse and validate one record value; every failure becomes a `Rejection`."""
    if value is None:
        return Rejection(RejectReason.TOMBSTONE, "record value is null (tombstone)")
    if len(value) > limits.max_message_bytes:
        return Rejection(
            RejectReason.TOO_LARGE,
            f"value is {len(value)} bytes, over the limit of {limits.max_message_bytes}",
        )
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(
            RejectReason.INVALID_UTF8, f"not valid UTF-8: {exc.reason} at byte {exc.start}"
        )
    try:
        document = json.loads(text)
    except RecursionError:
        return Rejection(RejectReason.TOO_DEEP, "JSON nesting exceeds the parser's recursion limit")
    except ValueError as exc:
        return Rejection(RejectReason.NOT_JSON, f"not JSON: {exc}")
    if not isinstance(document, dict):
        return Rejection(
            RejectReason.NOT_OBJECT, f"JSON is a {type(document).__name__}, not an object"
        )
    depth = _json_depth(document)
    if depth > limits.max_json_depth:
        return Rejection(
            RejectReason.TOO_DEEP,
            f"JSON depth {depth} is over the limit of {limits.max_json_depth}",
        )
    if _SURROGATE_ESCAPE.search(text) is not None and _has_lone_surrogate(document):
        return Rejection(
            RejectReason.INVALID_UTF8,
            "a \\u escape encodes a lone surrogate, which is no character and has no UTF-8 form",
        )
    try:
        article = ArticleIn.model_validate(document)
    except ValidationError as exc:
        return _rejection_from(exc)
    id_bytes = len(article.id.encode("utf-8"))
    if id_bytes > limits.max_id_bytes:
        return Rejection(
            RejectReason.ID_TOO_LONG,
            f"id is {id_bytes} bytes of UTF-8, over the limit of {limits.max_id_bytes}",
        )
    return article


def _json_depth(document: object) -> int:
    # Iterative, so that a hostile document cannot exhaust the stack here either.
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _has_lone_surrogate(document: object) -> bool:
    # UTF-8 input cannot hold a surrogate, but a JSON \u escape can; `json.loads` joins the valid
    # pairs, so any surrogate left is lone and would make writing the result as UTF-8 fail.
    stack: list[object] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _rejection_from(error: ValidationError) -> Rejection:
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "article"
    detail = f"{location}: {first['msg']}"
    if first["loc"] == ("id",) and first["type"] in {"missing", "string_too_short", "value_error"}:
        return Rejection(RejectReason.MISSING_ID, detail)
    if first["loc"] == ("published_at",):
        return Rejection(RejectReason.INVALID_TIMESTAMP, detail)
    if first["loc"] == ():
        return Rejection(RejectReason.EMPTY_TEXT, detail)
    return Rejection(RejectReason.WRONG_TYPE, detail)
