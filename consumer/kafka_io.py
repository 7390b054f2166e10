"""The Kafka boundary: clients built from settings, topic setup, and the source and sink adapters.

Only this module imports kafka-python. Values are read as raw bytes (no `value_deserializer`):
decoding belongs to the pipeline, where a bad record becomes a dead letter instead of an exception
that would redeliver the same poison record forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kafka import (
    ConsumerRebalanceListener,
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
)
from kafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)
from kafka.structs import OffsetAndMetadata

from consumer.errors import DeliveryError, RetriableDeliveryError, StartupError
from consumer.output_fit import RECORD_OVERHEAD_BYTES
from consumer.records import InboundRecord
from consumer.settings import Settings

__all__ = [
    "KafkaSource",
    "build_admin",
    "build_consumer",
    "build_producer",
    "connection_options",
    "delivery_error",
    "ensure_topics",
    "inbound_record",
    "kafka_offsets",
    "max_record_bytes",
    "new_producer",
    "producer_request_bytes",
]

log = logging.getLogger(__name__)

# Dead letters carry the original value base64-encoded (4/3 larger) plus their envelope.
_ENVELOPE_BYTES = 64 * 1024


def connection_options(settings: Settings) -> dict[str, Any]:
    """Options shared by every client: address, identity and security; the password stays secret."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "client_id": settings.client_id,
        "security_protocol": settings.security_protocol,
        # kafka-python backs off up to 30 s between reconnects; a broker that is back would sit
        # unused that long, long enough for its open transaction to time out. Java uses 1 s.
        "reconnect_backoff_max_ms": 1_000,
    }
    if settings.sasl_mechanism is not None:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path = getattr(settings, name)
        if path is not None:
            options[name] = str(path)
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_check_hostname"] = settings.ssl_check_hostname
        if settings.ssl_key_password is not None:
            options["ssl_password"] = settings.ssl_key_password.get_secret_value()
    return options


def max_record_bytes(settings: Settings) -> int:
    """The `max.message.bytes` detente gives the output topics it creates: room for a dead
    letter of the largest input (base64 is 4/3 larger) and its envelope."""
    return settings.max_message_bytes * 4 // 3 + _ENVELOPE_BYTES


def producer_request_bytes(settings: Settings) -> int:
    """The producer's own `max_request_size`: above every record limit we produce to."""
    return max_record_bytes(settings) + _ENVELOPE_BYTES


def build_admin(settings: Settings) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(**connection_options(settings))
    except KafkaError as exc:
        raise StartupError(f"no Kafka broker answers at {settings.bootstrap_servers}") from exc


def ensure_topics(admin: KafkaAdminClient, settings: Settings) -> None:
    """Create the three topics when missing, or fail fast with a message that says what to do."""
    wanted = {
        settings.input_topic: {},
        settings.output_topic: {"max.message.bytes": str(max_record_bytes(settings))},
        settings.dlq_topic: {"max.message.bytes": str(max_record_bytes(settings))},
    }
    try:
        missing = sorted(set(wanted) - set(admin.list_topics()))
        if not missing:
            return
        if not settings.create_topics:
            raise StartupError(
                f"topics {missing} do not exist and DETENTE_CREATE_TOPICS is false: create them",
                cause="topics",
            )
        log.info("creating topics", extra={"topics": missing})
        try:
            admin.create_topics(
                {
                    name: {
                        "num_partitions": settings.topic_partitions,
                        "replication_factor": settings.topic_replication_factor,
                        "configs": wanted[name],
                    }
                    for name in missing
                },
                wait_for_metadata=True,
            )
        except TopicAlreadyExistsError:
            pass  # another instance created them first
        except (TopicAuthorizationFailedError, ClusterAuthorizationFailedError) as exc:
            raise StartupError(
                f"not allowed to create topics {missing}: create them or grant CREATE ({exc})",
                cause="authorization",
            ) from exc
    except KafkaError as exc:
        raise StartupError(f"topic setup failed: {exc}", cause="topics") from exc


def build_consumer(settings: Settings) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            **connection_options(settings),
            group_id=settings.consumer_group,
            # Static membership: a restarted instance takes its partitions back at once and
            # fences its killed predecessor, instead of waiting out the session timeout.
            group_instance_id=settings.instance_id if settings.static_membership else None,
            session_timeout_ms=settings.session_timeout_ms,
            enable_auto_commit=False,  # offsets are committed only after results are acknowledged
            auto_offset_reset=settings.auto_offset_reset,
            max_poll_records=settings.max_poll_records,
            isolation_level="read_committed",
            max_partition_fetch_bytes=max(settings.max_message_bytes * 2, 1_048_576),
        )
    except KafkaError as exc:
        raise StartupError(f"no Kafka broker answers at {settings.bootstrap_servers}") from exc


def build_producer(settings: Settings, batch_limit: int) -> KafkaProducer:
    try:
        return new_producer(settings, batch_limit)
    except KafkaError as exc:
        raise StartupError(f"no Kafka broker answers at {settings.bootstrap_servers}") from exc


def new_producer(settings: Settings, batch_limit: int) -> KafkaProducer:
    """A producer for `settings` whose batches stay under `batch_limit` bytes (the smallest
    destination's record limit); client errors propagate (the sinks renew their own)."""
    # At-least-once runs without idempotence, one request in flight per broker (so retries keep
    # the order). kafka-python turns an idempotent producer fatal on any record the broker
    # refuses and then fails its in-flight batches client-side although the broker wrote them:
    # sending those again after a refusal duplicated records. Without idempotence a refused
    # record fails alone and nothing written is ever reported failed; the price is that a retry
    # after a lost acknowledgement (the broker or the network failing) may write a record twice,
    # which at-least-once allows.
    guarantee: dict[str, Any] = {
        "enable_idempotence": False,
        "max_in_flight_requests_per_connection": 1,
    }
    if settings.processing_guarantee == "exactly-once":
        guarantee = {
            "enable_idempotence": True,
            "transactional_id": settings.transactional_id(),
            "transaction_timeout_ms": settings.transaction_timeout_ms,
            # A batch's transaction often starts while the broker still completes the previous
            # one (CONCURRENT_TRANSACTIONS): the retry must be quick. The Java client retries that
            # after 20 ms; kafka-python sleeps retry_backoff_ms (default 100 ms) in its network
            # thread, which added 30-40 ms to every small batch (bench/).
            "retry_backoff_ms": 20,
        }
    return KafkaProducer(
        **connection_options(settings),
        **guarantee,
        acks="all",
        # Every batch ends in a flush or a transaction commit, which sends at once whatever
        # the linger; until then a batch's results gather into one request per partition
        # instead of dozens of 16 KiB ones (about 40% less producer CPU a record, bench/).
        linger_ms=20,
        # ...but never larger than the output topics take, or the broker refuses the batch and
        # kafka-python splits it, on every batch. (A record larger than this gets a batch of
        # its own, which fits: every record is fitted to its topic's limit first.)
        batch_size=min(256 * 1024, max(batch_limit - RECORD_OVERHEAD_BYTES, 1024)),
        max_request_size=producer_request_bytes(settings),
    )


class PartitionObserver(Protocol):
    """Told about assignment changes and lag; `ServiceMetrics` is one."""

    def partitions_assigned(self, partitions: Sequence[tuple[str, int]]) -> None: ...

    def partitions_revoked(self, partitions: Sequence[tuple[str, int]]) -> None: ...

    def partition_lag(self, topic: str, partition: int, lag: int) -> None: ...


class KafkaSource:
    """Polls raw records from the input topic's assigned partitions."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        topic: str,
        observer: PartitionObserver,
        stale_after_s: float = 30.0,
    ) -> None:
        self._consumer = consumer
        self._observer = observer
        self._stale_after_s = stale_after_s
        # Written by the polling thread, read by `/readyz`: the consumer itself is not thread-safe.
        self._assigned = 0
        self._last_poll = float("-inf")
        self._last_connected = float("-inf")
        self._next_offset: dict[Any, int] = {}
        consumer.subscribe([topic], listener=_AssignmentListener(observer))
        # Know the topic's partitions before the first join. A group leader that joins without
        # them assigns nothing and joins again once they arrive; kafka-python 3.0.12 can drop
        # that second join when a poll times out during it, and the consumer then sits with no
        # partitions for good (seen in about 1 start in 40).
        try:
            consumer.topics()
        except KafkaError as exc:
            log.warning("could not load topic metadata before joining", extra={"error": str(exc)})

    def is_ready(self) -> bool:
        """Every `readiness` check passes."""
        return all(self.readiness().values())

    def readiness(self) -> dict[str, bool]:
        """Named checks for `/readyz`: the loop is neither wedged nor dead, nor cut off."""
        now = time.monotonic()
        return {
            "broker_reachable": now - self._last_connected < _BROKER_GRACE_S,
            "partitions_assigned": self._assigned > 0,
            "polling": now - self._last_poll < self._stale_after_s,
        }

    def poll(self, max_records: int, timeout_ms: int) -> list[InboundRecord]:
        batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        polled = sum(len(messages) for messages in batches.values())
        if 0 < polled < max_records:
            # kafka-python answers a poll from the fetch it sent during the previous poll, so
            # under steady traffic those records waited a whole batch's processing time in our
            # socket. The fetch this poll just sent brings what arrived since within a round
            # trip: taking it now, while the batch has room, cut that wait (bench/).
            fresh = self._consumer.poll(timeout_ms=_TOP_UP_MS, max_records=max_records - polled)
            for partition, messages in fresh.items():
                batches[partition] = [*batches.get(partition, []), *messages]
        self._last_poll = time.monotonic()
        if self._last_poll - self._last_connected >= 1.0 and _has_broker_connection(self._consumer):
            self._last_connected = self._last_poll
        for partition, messages in batches.items():
            self._next_offset[partition] = messages[-1].offset + 1
        self._report_lag()
        return [inbound_record(message) for messages in batches.values() for message in messages]

    def _report_lag(self) -> None:
        # The high watermark comes with every fetch response, so this asks the broker nothing.
        # A partition counts from its first polled record on: before that its position is unknown.
        assignment = self._consumer.assignment()
        self._assigned = len(assignment)
        for partition in list(self._next_offset):
            if partition not in assignment:
                del self._next_offset[partition]
        for partition, next_offset in self._next_offset.items():
            highwater = self._consumer.highwater(partition)
            if highwater is not None:
                lag = max(highwater - next_offset, 0)
                self._observer.partition_lag(partition.topic, partition.partition, lag)

    def close(self) -> None:
        self._consumer.close(autocommit=False)


# How long a poll that returned records waits for the fresher ones its own fetch brings: a
# loopback or LAN round trip, short enough to cost little when nothing more has arrived.
_TOP_UP_MS = 5

# A broker connection must have been seen this recently for `/readyz` (reconnects take a moment).
_BROKER_GRACE_S = 10.0


def _has_broker_connection(consumer: KafkaConsumer) -> bool:
    # kafka-python's own `connection-count`: the client's open (or opening) broker connections.
    # It drops to 0 within seconds of losing the cluster; heartbeats keep it above 0 when idle.
    try:
        client_metrics = (consumer.metrics() or {}).get("consumer-metrics", {})
    except RuntimeError:  # its IO thread added a metric while we read them: ask again next time
        return False
    return bool(client_metrics.get("connection-count", 0) > 0)


def inbound_record(message: Any) -> InboundRecord:
    """A kafka-python `ConsumerRecord` as our plain value."""
    return InboundRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        timestamp_ms=message.timestamp,
    )


def kafka_offsets(next_offsets: Mapping[tuple[str, int], int]) -> dict[Any, Any]:
    """Our (topic, partition) -> offset map in kafka-python's commit form."""
    return {
        TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
        for (topic, partition), offset in next_offsets.items()
    }


def delivery_error(what: str, exc: KafkaError) -> DeliveryError:
    """Wrap a client error, keeping kafka-python's own verdict on whether a retry can help."""
    error = RetriableDeliveryError if exc.retriable else DeliveryError
    return error(f"{what}: {exc!r}")


class _AssignmentListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, observer: PartitionObserver) -> None:
        self._observer = observer

    def on_partitions_revoked(self, revoked: Any) -> None:
        keys = sorted((tp.topic, tp.partition) for tp in revoked)
        log.info("partitions revoked", extra={"partitions": keys})
        self._observer.partitions_revoked(keys)

    def on_partitions_assigned(self, assigned: Any) -> None:
        keys = sorted((tp.topic, tp.partition) for tp in assigned)
        log.info("partitions assigned", extra={"partitions": keys})
        self._observer.partitions_assigned(keys)
