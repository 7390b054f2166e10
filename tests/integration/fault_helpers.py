"""Helpers of the fault-tolerance tests: exact result counts, a private broker, hostile input.

- `ResultReader` reads the output and dead-letter topics `read_committed`, as a downstream consumer
  sees them, and counts every key, so that "0 lost, 0 duplicated" is asserted exactly.
- `PrivateBroker` is a `scripts/kafka-local` instance of a test's own, which it may stop and start
  without disturbing the session broker.
- `fixed_hostile_corpus` names every kind of bad input with the reason code it must get;
  `generated_hostile_payloads` adds seeded random bytes and mutations of valid articles.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from consumer.schemas import RejectReason
from tests.integration.kafka_helpers import PROJECT_ROOT, ServiceProcess, Topics, start_service

KAFKA_LOCAL = PROJECT_ROOT / "scripts" / "kafka-local"

Record = tuple[bytes, bytes | None]

# --- waiting -------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` until it holds; fail saying `what` was awaited. Never asserts on speed."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.1)


def create_topic(
    bootstrap: str, name: str, partitions: int, configs: dict[str, str] | None = None
) -> None:
    """Create a topic up front, so that records can wait in it before any service runs (or, with
    `configs`, as someone else would have created it)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics(
            {
                name: {
                    "num_partitions": partitions,
                    "replication_factor": 1,
                    "configs": configs or {},
                }
            },
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def kill_hard(service: ServiceProcess) -> None:
    """SIGKILL: no signal handler, no flush, no commit, no LeaveGroup; a transaction stays open."""
    service.process.send_signal(signal.SIGKILL)
    service.process.wait(timeout=30)


def _still_running(services: Sequence[ServiceProcess]) -> None:
    for service in services:
        code = service.process.poll()
        if code is not None:
            raise AssertionError(f"the service exited with {code}:\n{service.log()}")


# --- reading results -----------------------------------------------------------------------


class ResultReader:
    """Reads whole topics from the beginning (`read_committed`) and counts what it saw by key.

    `read_uncommitted` shows what aborted transactions wrote too: evidence that a kill hit one.
    """

    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        timeout_s: float = 60.0,
        isolation_level: str = "read_committed",
        client: Mapping[str, Any] | None = None,
    ) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            **(client or {}),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level=isolation_level,
        )
        self.keys: dict[str, Counter[bytes | None]] = {topic: Counter() for topic in topics}
        self.values: dict[tuple[str, bytes | None], list[bytes]] = {}
        partitions: list[TopicPartition] = []
        for topic in topics:
            ids: set[int] | None = None

            def known(topic: str = topic) -> bool:
                nonlocal ids
                ids = self._consumer.partitions_for_topic(topic)
                return bool(ids)

            wait_until(known, timeout_s, f"partitions of {topic}")
            partitions.extend(TopicPartition(topic, p) for p in sorted(ids or ()))
        self._consumer.assign(partitions)
        self._consumer.seek_to_beginning()

    def __enter__(self) -> ResultReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def poll(self, timeout_ms: int = 500) -> int:
        got = 0
        for batch in self._consumer.poll(timeout_ms=timeout_ms).values():
            for message in batch:
                self.keys[message.topic][message.key] += 1
                self.values.setdefault((message.topic, message.key), []).append(message.value)
                got += 1
        return got

    def seen(self) -> set[bytes | None]:
        return {key for counts in self.keys.values() for key in counts}

    def wait_for_distinct(
        self, count: int, timeout_s: float, running: Sequence[ServiceProcess] = ()
    ) -> None:
        """Read until at least `count` distinct keys were seen; fail early if a service exits."""
        deadline = time.monotonic() + timeout_s
        while len(self.seen()) < count:
            _still_running(running)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"only {len(self.seen())} of {count} results after {timeout_s:.0f} s"
                )
            self.poll()

    def wait_for_keys(
        self, keys: Collection[bytes], timeout_s: float, running: Sequence[ServiceProcess] = ()
    ) -> None:
        """Read until every key in `keys` was seen; fail early if a service exits."""
        wanted = set(keys)
        deadline = time.monotonic() + timeout_s
        while not wanted <= self.seen():
            _still_running(running)
            if time.monotonic() > deadline:
                missing = sorted(wanted - self.seen())
                raise AssertionError(
                    f"{len(missing)} of {len(wanted)} results missing after {timeout_s:.0f} s,"
                    f" e.g. {missing[:5]}"
                )
            self.poll()

    def drain(self, timeout_s: float = 120.0) -> None:
        """Read up to the end as it is now (the last stable offset, under `read_committed`).

        Call it once every producer has stopped: whatever a duplicate could be is then below the
        end, so "no duplicate" is a fact about the topic and not about how long we waited.
        """
        consumer = self._consumer
        partitions = list(consumer.assignment())
        end = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                behind = {str(tp): (consumer.position(tp), end[tp]) for tp in partitions}
                raise AssertionError(f"could not read to the end in {timeout_s:.0f} s: {behind}")
            self.poll()


@dataclass(frozen=True)
class DeliveryCount:
    """What came out for a set of inputs, counted by key over the tagged and dead-letter topics."""

    published: int
    tagged: int
    dead_lettered: int
    lost: list[bytes]
    duplicated: dict[bytes | None, int]
    unexpected: list[bytes | None]

    def __str__(self) -> str:
        return (
            f"published={self.published} tagged={self.tagged}"
            f" dead_lettered={self.dead_lettered} lost={len(self.lost)}"
            f" duplicated={sum(n - 1 for n in self.duplicated.values())}"
            f" unexpected={len(self.unexpected)}"
        )


def delivery_count(
    published: Collection[bytes], reader: ResultReader, tagged_topic: str, dlq_topic: str
) -> DeliveryCount:
    total: Counter[bytes | None] = reader.keys[tagged_topic] + reader.keys[dlq_topic]
    expected = set(published)
    return DeliveryCount(
        published=len(published),
        tagged=sum(reader.keys[tagged_topic].values()),
        dead_lettered=sum(reader.keys[dlq_topic].values()),
        lost=sorted(expected - total.keys()),
        duplicated={key: n for key, n in total.items() if n > 1},
        unexpected=sorted((key for key in total if key not in expected), key=repr),
    )


def assert_exactly_once(
    test: str, topics: Topics, keys: Collection[bytes], reader: ResultReader
) -> DeliveryCount:
    """Each input came out exactly once, tagged or dead-lettered; one line of counts printed."""
    count = delivery_count(keys, reader, topics.tagged, topics.dlq)
    report(test, count)
    assert not count.lost, f"{len(count.lost)} lost, e.g. {count.lost[:5]}"
    assert not count.duplicated, f"duplicated: {dict(list(count.duplicated.items())[:5])}"
    assert not count.unexpected, f"results for keys never published: {count.unexpected[:5]}"
    return count


def launch_ready(
    launched: Launched, bootstrap: str, topics: Topics, logs: Path, **settings: str
) -> ServiceProcess:
    """Start the service (tracked, so the test's teardown kills it) and wait until it is ready."""
    service = launched.track(start_service(bootstrap, topics, logs, **settings))
    service.wait_ready()
    return service


def report(test: str, count: DeliveryCount, **extra: object) -> None:
    """One line per test with its counts, shown by `pytest -rP` and kept in CI logs."""
    details = "".join(f" {name}={value}" for name, value in extra.items())
    print(f"[fault-tolerance] {test}: {count}{details}")


# --- a broker of the test's own ------------------------------------------------------------


@dataclass
class PrivateBroker:
    """A `scripts/kafka-local` instance in `directory`; stop/start keeps its port and data."""

    directory: Path
    address: str = ""

    def _run(self, command: str, timeout_s: float = 240.0) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KAFKA_LOCAL_DIR": str(self.directory)}
        return subprocess.run(
            [str(KAFKA_LOCAL), command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout_s,
        )

    def start(self) -> str:
        started = self._run("start")
        if started.returncode != 0:
            raise AssertionError(f"private broker did not start:\n{started.stderr[-4000:]}")
        address = started.stdout.strip().splitlines()[-1]
        assert not self.address or address == self.address, "a restart must keep the port"
        self.address = address
        return address

    def stop(self) -> None:
        stopped = self._run("stop")
        assert stopped.returncode == 0, stopped.stderr[-4000:]

    def is_running(self) -> bool:
        return self._run("status", timeout_s=30).returncode == 0

    def clean(self) -> None:
        self._run("clean")


# --- inputs --------------------------------------------------------------------------------

_SENTENCES = (
    "Foreign ministers met in Geneva on Monday to discuss a ceasefire along the border.",
    "Artillery fire was reported overnight near the disputed river crossing.",
    "Both delegations agreed to reopen the trade corridor and exchange prisoners.",
    "The defence ministry warned that any further incursion would meet a stronger answer.",
    "Negotiators said the talks were constructive and would resume next week.",
    "Troops were moved closer to the frontier as tensions rose after the drone strike.",
    "A joint commission will monitor the withdrawal of heavy weapons from the area.",
    "Residents described hearing explosions until dawn in villages near the front line.",
    "The central bank raised interest rates to curb inflation, markets fell sharply.",
    "Aid convoys reached the city for the first time since the siege began in spring.",
    "The prime minister called for calm and announced an inquiry into the clashes.",
    "Envoys signed a memorandum on water sharing after months of mediation.",
)


def article(article_id: str, rng: random.Random, sentences: int = 4) -> bytes:
    """A valid inbound article whose `id` is also the record key."""
    body = " ".join(rng.choice(_SENTENCES) for _ in range(sentences))
    document = {
        "id": article_id,
        "title": rng.choice(_SENTENCES)[:80],
        "body": body,
        "source": "fault-tests",
        "published_at": "2024-05-01T12:00:00+00:00",
        "language": "en",
    }
    return json.dumps(document).encode()


def articles_with_bad_records(
    prefix: str, count: int, seed: int, bad_every: int = 40
) -> list[tuple[bytes, bytes]]:
    """`count` records, unique keys; every `bad_every`-th is bad and must be dead-lettered."""
    rng = random.Random(seed)
    bad = [
        b"not json at all",
        b'{"title": "no id", "body": "Text."}',
        b'["an", "array"]',
        b'{"id": "%s", "title": ""}',
        b'{"id": "%s", "title": "t", "published_at": "yesterday"}',
        b'{"id": "%s", "title": "\xff\xfe"}',
    ]
    records = []
    for n in range(count):
        key = f"{prefix}-{n:05d}"
        if n % bad_every == bad_every - 1:
            template = bad[(n // bad_every) % len(bad)]
            value = template.replace(b"%s", key.encode()) if b"%s" in template else template
        else:
            value = article(key, rng)
        records.append((key.encode(), value))
    return records


@dataclass(frozen=True)
class HostileCase:
    """One kind of bad input and the reason code its dead letter must carry."""

    kind: str
    key: bytes
    value: bytes | None
    reason: RejectReason


def fixed_hostile_corpus(max_message_bytes: int, max_json_depth: int = 32) -> list[HostileCase]:
    """Every bad-input kind the service knows, each with the reason it must be dead-lettered for.

    `@ID@` in a value stands for the record's key, so that only the intended defect is present.
    """
    deep = b'{"k": ' * (max_json_depth + 5) + b"1" + b"}" * (max_json_depth + 5)
    oversized = b'{"id": "@ID@", "title": "t", "body": "' + b"x" * max_message_bytes + b'"}'
    reason = RejectReason
    cases: list[tuple[str, bytes | None, RejectReason]] = [
        ("not-json", b"this is not JSON {", reason.NOT_JSON),
        ("empty-bytes", b"", reason.NOT_JSON),
        ("truncated-json", b'{"id": "@ID@", "title": "cut sho', reason.NOT_JSON),
        ("utf8-bom", b'\xef\xbb\xbf{"id": "@ID@", "title": "t"}', reason.NOT_JSON),
        ("array", b'["id", "title"]', reason.NOT_OBJECT),
        ("string", b'"just a string"', reason.NOT_OBJECT),
        ("number", b"42", reason.NOT_OBJECT),
        ("json-null", b"null", reason.NOT_OBJECT),
        ("invalid-utf8", b'{"id": "@ID@", "title": "\xff\xfe"}', reason.INVALID_UTF8),
        ("overlong-utf8", b'{"id": "@ID@", "title": "\xc0\xaf"}', reason.INVALID_UTF8),
        ("cesu8-surrogate", b'{"id": "@ID@", "title": "\xed\xa0\x80"}', reason.INVALID_UTF8),
        ("lone-surrogate", b'{"id": "@ID@", "title": "a \\ud800 b"}', reason.INVALID_UTF8),
        ("missing-id", b'{"title": "No id", "body": "Text."}', reason.MISSING_ID),
        ("empty-id", b'{"id": "", "title": "Empty id"}', reason.MISSING_ID),
        ("blank-id", b'{"id": "   ", "title": "Blank id"}', reason.MISSING_ID),
        ("no-text", b'{"id": "@ID@"}', reason.EMPTY_TEXT),
        # Under DETENTE_MAX_ID_BYTES' default of 4,096: the id comes back in every output.
        ("long-id", b'{"id": "' + b"i" * 5_000 + b'", "title": "t"}', reason.ID_TOO_LONG),
        (
            "empty-title-and-body",
            b'{"id": "@ID@", "title": "", "body": " \\n "}',
            reason.EMPTY_TEXT,
        ),
        ("null-title-and-body", b'{"id": "@ID@", "title": null, "body": null}', reason.EMPTY_TEXT),
        ("numeric-id", b'{"id": 42, "title": "Numeric id"}', reason.WRONG_TYPE),
        ("list-title", b'{"id": "@ID@", "title": ["a", "list"]}', reason.WRONG_TYPE),
        ("object-body", b'{"id": "@ID@", "title": "t", "body": {"x": 1}}', reason.WRONG_TYPE),
        ("string-metadata", b'{"id": "@ID@", "title": "t", "metadata": "x"}', reason.WRONG_TYPE),
        ("bool-url", b'{"id": "@ID@", "title": "t", "url": true}', reason.WRONG_TYPE),
        ("ts-words", _with_time(b'"yesterday"'), reason.INVALID_TIMESTAMP),
        ("ts-unix", _with_time(b"1714564800"), reason.INVALID_TIMESTAMP),
        ("ts-no-offset", _with_time(b'"2024-05-01T12:00:00"'), reason.INVALID_TIMESTAMP),
        ("ts-date-only", _with_time(b'"2024-05-01"'), reason.INVALID_TIMESTAMP),
        ("ts-feb-30", _with_time(b'"2024-02-30T00:00:00Z"'), reason.INVALID_TIMESTAMP),
        ("too-large", oversized, reason.TOO_LARGE),
        ("too-large-garbage", b"\xff" * (max_message_bytes + 1), reason.TOO_LARGE),
        (
            "deep-object",
            b'{"id": "@ID@", "title": "t", "metadata": ' + deep + b"}",
            reason.TOO_DEEP,
        ),
        ("deep-array", b"[" * 20_000 + b"]" * 20_000, reason.TOO_DEEP),
        ("tombstone", None, reason.TOMBSTONE),
    ]
    corpus = []
    for kind, value, expected in cases:
        key = f"fixed-{kind}".encode()
        corpus.append(
            HostileCase(kind, key, value.replace(b"@ID@", key) if value else value, expected)
        )
    return corpus


def _with_time(published_at: bytes) -> bytes:
    return b'{"id": "@ID@", "title": "t", "published_at": ' + published_at + b"}"


def generated_hostile_payloads(
    seed: int, count: int, max_message_bytes: int, prefix: str = "fuzz"
) -> list[Record]:
    """`count` seeded payloads: random bytes and valid articles mutated in every way we know of.

    A payload that still parses as an object with a string `id` always carries its record key as
    that id, so whether it is tagged (keyed by id) or dead-lettered (keyed by the record key),
    every input is counted under its own key.
    """
    rng = random.Random(seed)
    payloads: list[Record] = []
    for n in range(count):
        key = f"{prefix}-{n:05d}"
        while True:
            mutate = rng.choice(_MUTATIONS)
            value = mutate(rng, key, max_message_bytes)
            if _id_in(value) in (None, key):
                break
        payloads.append((key.encode(), value))
    return payloads


def _id_in(value: bytes | None) -> str | None:
    """The `id` a payload would be tagged under, decoded the way the service decodes it."""
    if value is None:
        return None
    try:
        document = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if isinstance(document, dict) and isinstance(document.get("id"), str):
        return str(document["id"])
    return None


def _base(rng: random.Random, key: str) -> dict[str, Any]:
    return json.loads(article(key, rng, sentences=rng.randint(1, 6)))  # type: ignore[no-any-return]


def _random_bytes(rng: random.Random, _key: str, _limit: int) -> bytes:
    return rng.randbytes(rng.randint(0, 400))


def _truncated(rng: random.Random, key: str, _limit: int) -> bytes:
    valid = json.dumps(_base(rng, key)).encode()
    return valid[: rng.randrange(len(valid))]


def _byte_flips(rng: random.Random, key: str, _limit: int) -> bytes:
    value = bytearray(json.dumps(_base(rng, key)).encode())
    for _ in range(rng.randint(1, 6)):
        value[rng.randrange(len(value))] ^= rng.randint(1, 255)
    return bytes(value)


def _field_deletion(rng: random.Random, key: str, _limit: int) -> bytes:
    document = _base(rng, key)
    for name in rng.sample(sorted(document), rng.randint(1, len(document))):
        del document[name]
    return json.dumps(document).encode()


_ODD_VALUES: tuple[object, ...] = (
    0,
    -1,
    3.5,
    1e308,
    True,
    False,
    None,
    [],
    ["a"],
    {},
    {"nested": {"x": 1}},
    "",
    " ",
)


def _type_swap(rng: random.Random, key: str, _limit: int) -> bytes:
    document = _base(rng, key)
    for name in rng.sample(sorted(document), rng.randint(1, 3)):
        document[name] = rng.choice(_ODD_VALUES)
    return json.dumps(document).encode()


def _huge_string(rng: random.Random, key: str, limit: int) -> bytes:
    document = _base(rng, key)
    size = rng.choice((limit // 4, limit // 2, limit - 2_000, limit + 1, limit + 5_000))
    name = rng.choice(("title", "body", "url", "source", "metadata"))
    filler = rng.choice(("x", "ã", "\u202e", "talks ", "\U0001f600"))
    text = filler * (size // len(filler.encode()))
    document[name] = {"blob": text} if name == "metadata" else text
    return json.dumps(document, ensure_ascii=False).encode()


_ODD_TEXT = (
    "\u202eright-to-left override",
    "zero\u200bwidth\u200djoiner",
    "\ufeffbyte order mark inside",
    "combining e\u0301\u0301\u0301",
    "emoji \U0001f4a3\U0001f54a\ufe0f flags \U0001f1fa\U0001f1e6",
    "nul \x00 and controls \x01\x1f\x7f",
    "noncharacters \ufffe \uffff \U0010ffff",
    "ideographic \u3000 space and 全角",
    "\ud800",  # a lone surrogate: only expressible as a JSON \\u escape
    "\udfff trailing surrogate",
    "\U0001d54f\U0001d56b math letters",
)
_ODD_BYTES = (b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff", b"\xe2\x82", b"\x80")


def _unicode_oddities(rng: random.Random, key: str, _limit: int) -> bytes:
    document = _base(rng, key)
    for name in rng.sample(("title", "body", "source", "language", "url"), rng.randint(1, 3)):
        document[name] = rng.choice(_ODD_TEXT) + " " + str(document.get(name) or "")
    value = json.dumps(document, ensure_ascii=rng.random() < 0.5).encode(
        "utf-8", errors="surrogatepass"
    )
    if rng.random() < 0.3:  # raw bytes that are not UTF-8 at all
        cut = rng.randrange(len(value))
        value = value[:cut] + rng.choice(_ODD_BYTES) + value[cut:]
    return value


def _deep_nesting(rng: random.Random, key: str, _limit: int) -> bytes:
    depth = rng.randint(2, 80)
    nested = (
        "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a": ' * depth + "1" + "}" * depth
    )
    document = json.dumps(_base(rng, key))
    return (document[:-1] + f', "metadata": {{"deep": {nested}}}}}').encode()


_MUTATIONS: tuple[Callable[[random.Random, str, int], bytes], ...] = (
    _random_bytes,
    _truncated,
    _byte_flips,
    _field_deletion,
    _type_swap,
    _huge_string,
    _unicode_oddities,
    _deep_nesting,
)


def interleave(
    first: Sequence[Record], second: Sequence[Record], every: int = 2
) -> Iterator[Record]:
    """`every` records of `first`, one of `second`, and so on until both are used up."""
    rest = iter(second)
    for n, record in enumerate(first, start=1):
        yield record
        if n % every == 0:
            following = next(rest, None)
            if following is not None:
                yield following
    yield from rest


@dataclass
class Launched:
    """The services a test started, so that none outlives it, whatever the test's outcome."""

    processes: list[ServiceProcess] = field(default_factory=list)

    def track(self, service: ServiceProcess) -> ServiceProcess:
        self.processes.append(service)
        return service

    def kill_all(self) -> None:
        for service in self.processes:
            if service.process.poll() is None:
                service.process.kill()
                service.process.wait(timeout=30)


def keys_of(records: Iterable[Record]) -> list[bytes]:
    return [key for key, _ in records]
