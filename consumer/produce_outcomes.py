"""Per-record produce outcomes, and finding which records the broker refuses on their own.

A produce error is either the record's own fault (too large, invalid, corrupt: sending it again
will fail again, so it must become a dead letter), collateral (the record was aborted because
another record of its transaction or producer failed), or the infrastructure's (broker away,
authorisation, fencing: retry or stop, never dead-letter). kafka-python fails the collateral
records with the culprit's own exception object, so one failed attempt cannot tell them apart;
`isolate` does, by trying the failed records again in halves until each failure stands alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from kafka.errors import (
    CorruptRecordError,
    InvalidProducerEpochError,
    InvalidRecordError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumberError,
    RecordListTooLargeError,
    TransactionAbortedError,
    UnknownProducerIdError,
)

from consumer.records import OutboundRecord

__all__ = [
    "Failures",
    "infrastructure_error",
    "is_size_fault",
    "isolate",
    "send_and_wait",
]

log = logging.getLogger(__name__)

Failures = dict[int, KafkaError]

_SIZE_FAULTS: Final = (MessageSizeTooLargeError, RecordListTooLargeError)
_RECORD_FAULTS: Final = (*_SIZE_FAULTS, InvalidRecordError, CorruptRecordError)
# kafka-python's words for a record that failed only because another one did: its batch held an
# invalid record, or a record sent after a refusal in the same transaction (`send` refuses it).
_COLLATERAL_MESSAGES: Final = (
    "part of a batch which had one more more invalid records",
    "at least one previous transactional or idempotent request has failed",
)
# A refused batch still used up its sequence numbers on the client: the batches behind it fail
# out of order, and kafka-python bumps the producer epoch. Beside a refusal, that is collateral.
_SEQUENCE_FALLOUT: Final = (
    OutOfOrderSequenceNumberError,
    UnknownProducerIdError,
    InvalidProducerEpochError,
    TransactionAbortedError,
)


def is_size_fault(error: KafkaError) -> bool:
    return isinstance(error, _SIZE_FAULTS)


def _is_collateral(error: KafkaError) -> bool:
    return isinstance(error, _SEQUENCE_FALLOUT) or (
        type(error) is KafkaError and any(words in str(error) for words in _COLLATERAL_MESSAGES)
    )


def infrastructure_error(failures: Mapping[int, KafkaError]) -> KafkaError | None:
    """The first failure that is neither a record's own fault nor collateral of one, if any;
    collateral alone (no record at fault) is the infrastructure's too."""
    own = [e for e in failures.values() if isinstance(e, _RECORD_FAULTS)]
    for error in failures.values():
        if not isinstance(error, _RECORD_FAULTS) and not (own and _is_collateral(error)):
            return error
    return None


def send_and_wait(producer: Any, outputs: Sequence[OutboundRecord], timeout_s: float) -> Failures:
    """Send every record, wait for each acknowledgement, and return the failures by index.

    Never raises a client error: a record that `send` itself refuses (over the producer's
    `max_request_size`) is a failure like one the broker refuses.
    """
    futures: list[Any] = []
    failures: Failures = {}
    for index, out in enumerate(outputs):
        try:
            futures.append(producer.send(out.topic, key=out.key, value=out.value))
        except KafkaError as exc:
            futures.append(None)
            failures[index] = exc
    deadline = time.monotonic() + timeout_s
    try:
        producer.flush(timeout=timeout_s)
    except KafkaError as exc:
        # kafka-python's flush trips over a batch it split because the broker found it too
        # large ("Future not done"); each record's own future still tells the truth.
        log.debug("flush failed; waiting on each record", extra={"error": repr(exc)})
    for index, future in enumerate(futures):
        if future is None:
            continue
        try:
            future.get(timeout=max(deadline - time.monotonic(), 0.0))
        except KafkaError as exc:
            failures[index] = exc
    return failures


def isolate(failed: Failures, attempt: Callable[[list[int]], Failures]) -> Failures:
    """The records among `failed` that fail on their own, each with its own error.

    `attempt(indices)` produces exactly those records again and returns their failures (it
    raises on an infrastructure error). A failure that stands alone in its attempt is the
    record's own; otherwise the failed records are tried again in two halves. One culprit among
    n failed records costs about 2 x log2(n) attempts; a failure that does not come back was
    transient and is no culprit.
    """
    if len(failed) <= 1:
        return dict(failed)
    order = sorted(failed)
    middle = len(order) // 2
    found: Failures = {}
    for half in (order[:middle], order[middle:]):
        found.update(isolate(attempt(half), attempt))
    return found
