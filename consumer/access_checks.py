"""Startup checks of what the broker lets this principal do, each named, each saying the fix.

A secured cluster refuses a missing permission only when the call that needs it is made: a dead
letter could wait hours for its first write, and a consumer without its group would merely sit
unassigned. After the handshake (`consumer.broker_handshake`: TLS and SASL), `check_access` asks
up front, in this order, and stops at the first failure with a `StartupError` (exit 2) whose
message starts with the check's name:

    input_topic        exists and visible; after creation: Read
    output_topic       exists and visible; after creation: Write, DescribeConfigs (the size
                       limit is read from the topic's config: consumer.topic_limits)
    dead_letter_topic  exists and visible; after creation: Write, DescribeConfigs
    consumer_group     Read on the group (FindCoordinator and DescribeGroups say so)
    transactional_id   exactly-once only: the transactional id is not refused (DescribeTransactions)

Topic permissions come from the operations the broker says this principal may perform on each
topic (KIP-430: Metadata with topic authorized operations), never from a probe write. A broker that
does not say (before Kafka 2.3) gets a warning instead: then a missing grant shows at the first
call that needs it, where delivery is retried with backoff and alerted on (as for a permission
withdrawn while running) and the batch's offsets are not committed, so nothing is lost.

Topics that do not exist, or exist but are not visible, are reported as "missing or not visible to
User:X" (Kafka does not tell the two apart), with the grant to add.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
    TransactionalIdNotFoundError,
)

from consumer.broker_handshake import check_broker_handshake
from consumer.errors import StartupError
from consumer.kafka_io import build_admin
from consumer.settings import Settings

__all__ = ["AccessCheckError", "check_access", "principal", "run_startup_checks"]

log = logging.getLogger(__name__)

_NO_ERROR = 0
_TOPIC_ALREADY_EXISTS = 36
# Coordinators of a fresh cluster appear a moment after the first request that needs them.
_COORDINATOR_WAIT_S = 30.0
_NEW_TOPIC_WAIT_S = 5.0


class AccessCheckError(StartupError):
    """A named startup check failed; `check` is its name (also the message's first words)."""

    def __init__(self, check: str, message: str, cause: str) -> None:
        super().__init__(f"check {check} failed: {message}", cause=cause)
        self.check = check


@dataclass(frozen=True)
class _Role:
    check: str
    topic: str
    operations: tuple[str, ...]  # as Kafka names them: READ, WRITE, DESCRIBE_CONFIGS
    # Granted for a better service, not needed to run: a missing one is a warning, not a stop.
    recommended: tuple[str, ...] = ()


def _roles(settings: Settings) -> list[_Role]:
    # DescribeConfigs: the service reads the output topics' max.message.bytes to fit its records.
    # Without it the limit detente creates topics with is assumed (issue #10's decision) and a
    # refusal is still found and dead-lettered: recommended, not required.
    return [
        _Role("input_topic", settings.input_topic, ("READ",)),
        _Role("output_topic", settings.output_topic, ("WRITE",), ("DESCRIBE_CONFIGS",)),
        _Role("dead_letter_topic", settings.dlq_topic, ("WRITE",), ("DESCRIBE_CONFIGS",)),
    ]


def principal(settings: Settings) -> str:
    """The principal the broker will see, as far as the settings tell."""
    if settings.security_protocol.startswith("SASL_") and settings.sasl_username:
        return f"User:{settings.sasl_username}"
    if settings.security_protocol == "SSL" and settings.ssl_certfile is not None:
        return "the principal of the certificate in DETENTE_SSL_CERTFILE"
    return "User:ANONYMOUS"


CreateMissing = Callable[[KafkaAdminClient, Settings], None]


def check_access(
    admin: KafkaAdminClient, settings: Settings, create_missing: CreateMissing
) -> None:
    """Every check above; `create_missing` creates absent topics when that is allowed."""
    checks = _Checks(admin, settings)
    checks.topics_present()
    create_missing(admin, settings)
    checks.topic_permissions()
    checks.consumer_group()
    if settings.processing_guarantee == "exactly-once":
        checks.transactional_id()


def run_startup_checks(settings: Settings, create_missing: CreateMissing) -> None:
    """The handshake, then `check_access` with an admin client of its own: what `serve` does
    before it builds the consumer and producer."""
    check_broker_handshake(settings)
    admin = build_admin(settings)
    try:
        check_access(admin, settings, create_missing)
    finally:
        admin.close()


class _Checks:
    def __init__(self, admin: KafkaAdminClient, settings: Settings) -> None:
        self._admin = admin
        self._settings = settings
        self._who = principal(settings)
        self._acl = _AclHint(settings, self._who)

    def _describe(self) -> dict[str, Mapping[str, Any]]:
        names = [role.topic for role in _roles(self._settings)]
        return {topic["name"]: topic for topic in self._admin.describe_topics(names)}

    def topics_present(self) -> None:
        described = self._describe()
        for role in _roles(self._settings):
            if described[role.topic]["error_code"] == _NO_ERROR:
                continue
            if not self._settings.create_topics:
                raise AccessCheckError(
                    role.check,
                    f"topic {role.topic!r} is missing or not visible to {self._who}"
                    " (DETENTE_CREATE_TOPICS is false). If it exists, grant "
                    f"{self._acl.topic(role)}; if not, create it",
                    cause="topics",
                )
            self._creatable(role)

    def _creatable(self, role: _Role) -> None:
        """Ask the broker whether it would create the topic, without creating it."""
        answer = self._admin.create_topics(
            {
                role.topic: {
                    "num_partitions": self._settings.topic_partitions,
                    "replication_factor": self._settings.topic_replication_factor,
                }
            },
            validate_only=True,
            raise_errors=False,
        )
        error = next(
            (t["error_code"] for t in answer.get("topics", []) if t["name"] == role.topic), 0
        )
        if error == _NO_ERROR:
            return
        if error == _TOPIC_ALREADY_EXISTS:
            if self._became_visible(role.topic):
                return  # another instance created it a moment ago
            raise AccessCheckError(
                role.check,
                f"topic {role.topic!r} exists but is not visible to {self._who}: grant "
                f"{self._acl.topic(role)}",
                cause="topics",
            )
        if error in (TopicAuthorizationFailedError.errno, ClusterAuthorizationFailedError.errno):
            raise AccessCheckError(
                role.check,
                f"topic {role.topic!r} is missing or not visible to {self._who}, who may not"
                f" create topics. If it exists, grant {self._acl.topic(role)}; if not, create it,"
                f" or grant {self._acl.create(role)} and detente creates it",
                cause="topics",
            )
        raise AccessCheckError(
            role.check,
            f"topic {role.topic!r} is missing and the broker would not create it (error {error})",
            cause="topics",
        )

    def _became_visible(self, topic: str) -> bool:
        """Whether `topic`, which the broker says exists, shows in metadata within a few seconds:
        instances started together race to create the topics, and a topic another one has just
        created exists before every broker's metadata lists it."""
        deadline = time.monotonic() + _NEW_TOPIC_WAIT_S
        while True:
            [described] = self._admin.describe_topics([topic])
            if described["error_code"] == _NO_ERROR:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def topic_permissions(self) -> None:
        described = self._describe()
        for role in _roles(self._settings):
            topic = described[role.topic]
            if topic["error_code"] != _NO_ERROR:
                raise AccessCheckError(
                    role.check,
                    f"topic {role.topic!r} is missing or not visible to {self._who}: grant"
                    f" {self._acl.topic(role)}",
                    cause="topics",
                )
            allowed = topic.get("authorized_operations")
            if allowed is None:
                log.warning(
                    "the broker does not report authorized operations (KIP-430, Kafka 2.3+):"
                    " topic permissions not checked at start; a missing grant shows at the first"
                    " call that needs it, retried and alerted on, its batch not committed",
                    extra={"topic": role.topic, "check": role.check},
                )
                continue
            missing = [op for op in role.operations if op not in allowed]
            log.debug(
                "topic operations",
                extra={"check": role.check, "topic": role.topic, "allowed": sorted(allowed)},
            )
            if missing:
                raise AccessCheckError(
                    role.check,
                    f"{self._who} may not {' or '.join(_title(op) for op in missing)} topic"
                    f" {role.topic!r} (the broker allows: {', '.join(sorted(allowed)) or 'none'})."
                    f" Grant {self._acl.topic(role, missing)}",
                    cause="authorization",
                )
            lacking = [op for op in role.recommended if op not in allowed]
            if lacking:
                log.warning(
                    "check %s: %s may not %s topic %r, so its max.message.bytes cannot be read"
                    " and the limit detente creates topics with is assumed. Grant %s",
                    role.check,
                    self._who,
                    " or ".join(_title(op) for op in lacking),
                    role.topic,
                    self._acl.topic(role, lacking),
                    extra={"check": role.check, "topic": role.topic},
                )

    def consumer_group(self) -> None:
        group = self._settings.consumer_group
        try:
            described = _retry_coordinator(
                lambda: self._admin.describe_groups([group], include_authorized_operations=True)
            )
        except GroupAuthorizationFailedError:
            described = {group: {"authorized_operations": []}}
        allowed = described.get(group, {}).get("authorized_operations")
        log.debug("group operations", extra={"group": group, "allowed": allowed})
        # None: a group that does not exist yet, so the broker names no operations; its Describe
        # passed (FindCoordinator needs it), and a join without Read fails at the first poll.
        if allowed is not None and "READ" not in allowed:
            raise AccessCheckError(
                "consumer_group",
                f"{self._who} may not Read consumer group {group!r} (DETENTE_CONSUMER_GROUP):"
                f" grant {self._acl.group()}",
                cause="authorization",
            )

    def transactional_id(self) -> None:
        transactional_id = self._settings.transactional_id()
        try:
            _retry_coordinator(lambda: self._admin.describe_transactions([transactional_id]))
        except TransactionalIdNotFoundError:
            pass  # visible to us, never used yet
        except TransactionalIdAuthorizationFailedError:
            raise AccessCheckError(
                "transactional_id",
                f"{self._who} may not use transactional id {transactional_id!r}, which"
                f" exactly-once delivery needs: grant {self._acl.transactional_ids()}, or set"
                " DETENTE_PROCESSING_GUARANTEE=at-least-once",
                cause="authorization",
            ) from None
        log.debug("transactional id not refused", extra={"transactional_id": transactional_id})


def _retry_coordinator(call: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + _COORDINATOR_WAIT_S
    while True:
        try:
            return call()
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _title(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


class _AclHint:
    """The grant to add, as the `kafka-acls` command an admin would run (README)."""

    def __init__(self, settings: Settings, who: str) -> None:
        self._settings = settings
        self._principal = who if who.startswith("User:") else "User:<certificate principal>"

    def _command(self, operations: tuple[str, ...] | list[str], resource: str) -> str:
        ops = " ".join(f"--operation {_title(op)}" for op in operations)
        return f"`kafka-acls ... --add --allow-principal {self._principal} {ops} {resource}`"

    def topic(self, role: _Role, operations: list[str] | None = None) -> str:
        wanted = operations or (*role.operations, *role.recommended)
        return self._command(wanted, f"--topic {role.topic}")

    def create(self, role: _Role) -> str:
        return self._command(("CREATE",), f"--topic {role.topic}")

    def group(self) -> str:
        return self._command(("READ",), f"--group {self._settings.consumer_group}")

    def transactional_ids(self) -> str:
        prefix = f"detente-{self._settings.consumer_group}-"
        return self._command(
            ("WRITE",), f"--transactional-id {prefix} --resource-pattern-type prefixed"
        )
