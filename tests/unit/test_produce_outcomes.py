"""Which produce failures are a record's own fault, collateral of one, or the infrastructure's,
with the exceptions kafka-python 3.0.12 really raises in each case."""

from __future__ import annotations

from kafka.errors import (
    InvalidRecordError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumberError,
    TopicAuthorizationFailedError,
    TransactionAbortedError,
)

from consumer.produce_outcomes import infrastructure_error, isolate

REFUSED = MessageSizeTooLargeError("too large")
# What `send` raises for a record sent after a refusal in the same transaction.
AFTER_REFUSAL = KafkaError(
    "Cannot perform send because at least one previous transactional or idempotent request has"
    " failed with errors.",
    REFUSED,
)
SAME_BATCH = KafkaError(
    "Failed to append record because it was part of a batch which had one more more invalid records"
)


def test_everything_that_follows_a_refusal_is_collateral_not_the_infrastructure() -> None:
    failures = {
        0: REFUSED,
        1: AFTER_REFUSAL,
        2: SAME_BATCH,
        3: OutOfOrderSequenceNumberError(),
        4: TransactionAbortedError(),
        5: InvalidRecordError("null key on a compacted topic"),
    }
    assert infrastructure_error(failures) is None


def test_collateral_without_any_refused_record_is_the_infrastructure() -> None:
    assert infrastructure_error({0: AFTER_REFUSAL}) is AFTER_REFUSAL
    assert infrastructure_error({0: TransactionAbortedError(), 1: REFUSED}) is None


def test_the_infrastructure_is_never_hidden_by_a_refusal() -> None:
    for error in (KafkaTimeoutError(), TopicAuthorizationFailedError(), KafkaError("unknown")):
        assert infrastructure_error({0: REFUSED, 1: error}) is error


def test_isolate_finds_the_culprits_by_halves() -> None:
    culprits = {3, 11}
    attempts: list[list[int]] = []

    def attempt(indices: list[int]) -> dict[int, KafkaError]:
        attempts.append(indices)
        # Like a transaction: once a culprit fails, everything sent after it fails too.
        failed_from = min((i for i in indices if i in culprits), default=None)
        if failed_from is None:
            return {}
        return {i: REFUSED for i in indices if i >= failed_from}

    found = isolate({i: REFUSED for i in range(3, 16)}, attempt)
    assert found.keys() == culprits
    assert len(attempts) <= 2 * 2 * 4  # about 2 x log2(13) per culprit
