"""Leaving the consumer group on a clean stop, so a scale-down hands partitions over at once.

With static membership (`group.instance.id`) a stopping consumer does not leave its group: the
coordinator keeps its partitions for the session timeout, waiting for the same instance to come
back. That is what makes a rolling restart cheap, and what makes a scale-down stall those
partitions for the whole timeout. `DETENTE_LEAVE_GROUP_ON_STOP` (default true) removes this
instance's static member with the admin API (LeaveGroup by instance id, Kafka 2.4+) after the
consumer has closed: the group rebalances within a heartbeat or two. An instance restarted in
place can set it to false and get its partitions back without any rebalance.
"""

from __future__ import annotations

import logging
from typing import Any

from kafka.admin import MemberToRemove
from kafka.errors import KafkaError, NoError

__all__ = ["leave_group"]

log = logging.getLogger(__name__)


def leave_group(admin: Any, group: str, instance_id: str) -> bool:
    """Remove this instance's static member from `group`; True when the broker confirmed it."""
    member = MemberToRemove(group_instance_id=instance_id)
    try:
        results = admin.remove_group_members(group, [member])
    except KafkaError as exc:
        log.warning(
            "could not leave the consumer group; its partitions move after the session timeout",
            extra={"group": group, "instance_id": instance_id, "error": repr(exc)},
        )
        return False
    errors = [error for error in results.values() if error is not NoError]
    if errors:
        # UNKNOWN_MEMBER_ID: the coordinator had already dropped us (session timed out).
        log.warning(
            "leaving the consumer group was refused",
            extra={
                "group": group,
                "instance_id": instance_id,
                "errors": [e.__name__ for e in errors],
            },
        )
        return False
    log.info("left the consumer group", extra={"group": group, "instance_id": instance_id})
    return True
