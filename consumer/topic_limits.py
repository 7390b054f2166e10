"""The output topics' record size limits, as the broker states them.

Each destination takes records up to the smaller of its topic's `max.message.bytes` (read with
DescribeConfigs, so a topic someone else created with 100 KB is known as such) and the
producer's own `max_request_size`. They are read at start, after any refusal for size (the
runner calls `refresh`), and again when `refresh_s` has passed, so a limit lowered while the
service runs is learnt without a restart. When the broker will not say (DescribeConfigs denied
by an ACL), the limit detente creates its topics with is assumed and a warning says so; a
refusal then still finds the culprit (`consumer.produce_outcomes`), at the cost of an abort.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from consumer.errors import StartupError
from consumer.output_fit import MIN_DEAD_LETTER_BYTES, OutputLimits

__all__ = ["DEFAULT_REFRESH_S", "TopicLimits"]

log = logging.getLogger(__name__)

DEFAULT_REFRESH_S: Final = 300.0
_CONFIG: Final = "max.message.bytes"


class TopicLimits:
    def __init__(
        self,
        admin: Any,
        tagged_topic: str,
        dead_letter_topic: str,
        assumed_topic_bytes: int,
        producer_request_bytes: int,
        refresh_s: float = DEFAULT_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
        observe: Callable[[str, int], None] = lambda _topic, _limit: None,
    ) -> None:
        self._admin = admin
        self._topics = (tagged_topic, dead_letter_topic)
        self._assumed = assumed_topic_bytes
        self._request_bytes = producer_request_bytes
        self._refresh_s = refresh_s
        self._clock = clock
        self._observe = observe
        self._warned: set[str] = set()
        self._read_at = float("-inf")
        self._limits = OutputLimits(assumed_topic_bytes, assumed_topic_bytes)

    def start(self) -> OutputLimits:
        """The first read; a dead-letter topic too small for any dead letter stops the start."""
        limits = self.refresh()
        if limits.dead_letter_bytes < MIN_DEAD_LETTER_BYTES:
            raise StartupError(
                f"topic {self._topics[1]} takes records of at most {limits.dead_letter_bytes}"
                f" bytes; dead letters need at least {MIN_DEAD_LETTER_BYTES}: raise its"
                f" {_CONFIG}",
                cause="topics",
            )
        return limits

    def current(self) -> OutputLimits:
        if self._clock() - self._read_at >= self._refresh_s:
            return self.refresh()
        return self._limits

    def refresh(self) -> OutputLimits:
        topic_bytes = self._read()
        tagged, dead_letter = (
            min(topic_bytes.get(topic, self._assumed), self._request_bytes)
            for topic in self._topics
        )
        limits = OutputLimits(tagged_bytes=tagged, dead_letter_bytes=dead_letter)
        if limits != self._limits:
            log.info(
                "output record limits",
                extra={"topics": dict(zip(self._topics, (tagged, dead_letter), strict=True))},
            )
        self._limits = limits
        self._read_at = self._clock()
        for topic, limit in zip(self._topics, (tagged, dead_letter), strict=True):
            self._observe(topic, limit)
        return limits

    def _read(self) -> Mapping[str, int]:
        resources = [ConfigResource(ConfigResourceType.TOPIC, t, [_CONFIG]) for t in self._topics]
        try:
            described = self._admin.describe_configs(resources, config_filter="all")
        except KafkaError as exc:
            self._warn_assumed(self._topics, repr(exc))
            return {}
        found: dict[str, int] = {}
        for topic in self._topics:
            entry = described.get("topic", {}).get(topic, {}).get(_CONFIG)
            if entry is None or entry.get("value") is None:
                # kafka-python drops a resource's error: an empty answer is a denied one.
                self._warn_assumed((topic,), "DescribeConfigs returned no value (not allowed?)")
            else:
                found[topic] = int(entry["value"])
                self._warned.discard(topic)
        return found

    def _warn_assumed(self, topics: tuple[str, ...], why: str) -> None:
        for topic in topics:
            if topic not in self._warned:
                self._warned.add(topic)
                log.warning(
                    "cannot read the topic's %s; assuming %d bytes (grant DescribeConfigs on it"
                    " to have the real limit)",
                    _CONFIG,
                    self._assumed,
                    extra={"topic": topic, "error": why},
                )
