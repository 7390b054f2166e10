"""Secured connections without a broker: the SASL messages, TLS options and the checks' logic.

The real thing (a broker that asks for TLS, SCRAM and ACLs) is tests/integration/
test_secured_cluster.py; these pin what can be pinned without one.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consumer.access_checks import AccessCheckError, check_access, principal
from consumer.broker_handshake import check_broker_handshake
from consumer.errors import StartupError
from consumer.kafka_io import connection_options
from consumer.sasl_client import SaslProtocolError, plain, scram
from consumer.settings import Settings

# RFC 7677, section 3: a SCRAM-SHA-256 exchange for user "user", password "pencil".
_RFC7677_NONCE = "rOprNGfwEbeRWgbNEkqO"
_RFC7677_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
_RFC7677_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
_RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_sha_256_reproduces_the_rfc_7677_exchange() -> None:
    exchange = scram("SCRAM-SHA-256", "user", "pencil", nonce=_RFC7677_NONCE)
    assert exchange.first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert exchange.answer(_RFC7677_SERVER_FIRST) == _RFC7677_CLIENT_FINAL
    assert exchange.answer(_RFC7677_SERVER_FINAL) is None
    assert exchange.done


def test_scram_refuses_a_server_that_cannot_prove_the_password() -> None:
    exchange = scram("SCRAM-SHA-256", "user", "pencil", nonce=_RFC7677_NONCE)
    exchange.first()
    exchange.answer(_RFC7677_SERVER_FIRST)
    with pytest.raises(SaslProtocolError, match="did not prove"):
        exchange.answer(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")


def test_scram_refuses_a_nonce_the_client_did_not_start() -> None:
    exchange = scram("SCRAM-SHA-512", "user", "pencil", nonce="abc")
    exchange.first()
    with pytest.raises(SaslProtocolError, match="malformed"):
        exchange.answer(b"r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")


def test_scram_escapes_names_and_plain_is_one_message() -> None:
    assert scram("SCRAM-SHA-512", "a=b,c", "pw", nonce="n").first() == b"n,,n=a=3Db=2Cc,r=n"
    exchange = plain("detente", "secret")
    assert exchange.first() == b"\0detente\0secret"
    assert exchange.done


def test_tls_settings_reach_the_client_and_the_key_password_stays_secret() -> None:
    settings = Settings(
        security_protocol="SSL",
        ssl_cafile=Path("/ca.pem"),
        ssl_certfile=Path("/client.pem"),
        ssl_keyfile=Path("/client.key"),
        ssl_key_password="s3cret-key",  # type: ignore[arg-type]
        ssl_check_hostname=False,
    )
    assert "s3cret-key" not in repr(settings)
    assert "s3cret-key" not in str(settings.model_dump())
    options = connection_options(settings)
    assert options["ssl_password"] == "s3cret-key"
    assert options["ssl_check_hostname"] is False
    assert Settings().ssl_check_hostname is True
    assert "ssl_check_hostname" not in connection_options(Settings())


def test_the_principal_named_in_messages() -> None:
    sasl = Settings(security_protocol="SASL_SSL", sasl_username="detente")
    assert principal(sasl) == "User:detente"
    mtls = Settings(security_protocol="SSL", ssl_certfile=Path("/c.pem"))
    assert "DETENTE_SSL_CERTFILE" in principal(mtls)
    assert principal(Settings()) == "User:ANONYMOUS"


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that reads a request and closes without answering: not Kafka, not TLS."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.recv(4096)  # the request arrived: the client sees EOF, not a reset

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    server.close()


def test_handshake_names_a_listener_that_closes_on_plaintext(silent_listener: int) -> None:
    settings = Settings(bootstrap_servers=f"127.0.0.1:{silent_listener}")
    with pytest.raises(StartupError, match="does that listener expect TLS") as failed:
        check_broker_handshake(settings, timeout_s=2.0)
    assert failed.value.cause == "configuration"


def test_handshake_names_an_address_nobody_answers_and_prefers_the_specific_failure(
    silent_listener: int,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    only_closed = Settings(bootstrap_servers=f"127.0.0.1:{closed}")
    with pytest.raises(StartupError, match="no Kafka broker answers") as failed:
        check_broker_handshake(only_closed, timeout_s=2.0)
    assert failed.value.cause == "broker_unreachable"
    both = Settings(bootstrap_servers=f"127.0.0.1:{closed},127.0.0.1:{silent_listener}")
    with pytest.raises(StartupError) as failed:
        check_broker_handshake(both, timeout_s=2.0)
    assert failed.value.cause == "configuration"


def test_missing_tls_files_are_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(security_protocol="SSL", ssl_cafile=tmp_path / "absent.pem")
    with pytest.raises(StartupError, match="TLS file not found") as failed:
        check_broker_handshake(settings)
    assert failed.value.cause == "configuration"


class _Admin:
    """What the checks ask of kafka-python's admin client, answered from fixed values."""

    def __init__(self, operations: dict[str, list[str] | None], group_ops: Any = None) -> None:
        self._operations = operations
        self._group_ops = group_ops

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        return [
            {"name": name, "error_code": 0, "authorized_operations": self._operations[name]}
            for name in names
        ]

    def describe_groups(self, groups: list[str], **_: Any) -> dict[str, Any]:
        return {group: {"authorized_operations": self._group_ops} for group in groups}

    def describe_transactions(self, ids: list[str]) -> dict[str, Any]:
        return dict.fromkeys(ids)


def _no_creation(_admin: Any, _settings: Settings) -> None:
    """`ensure_topics` when every topic exists: it finds nothing to create."""


def test_a_broker_that_does_not_report_operations_gets_a_warning_not_a_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings()
    admin = _Admin(dict.fromkeys(("articles.raw", "articles.tagged", "articles.dlq")))
    with caplog.at_level(logging.WARNING, logger="consumer.access_checks"):
        check_access(admin, settings, create_missing=_no_creation)  # type: ignore[arg-type]
    warned = [r for r in caplog.records if "does not report authorized operations" in r.message]
    assert len(warned) == 3


def test_reported_operations_decide_and_the_message_names_the_missing_one() -> None:
    produce = ["DESCRIBE", "WRITE", "DESCRIBE_CONFIGS"]
    admin = _Admin(
        {
            "articles.raw": ["DESCRIBE", "READ"],
            "articles.tagged": produce,
            "articles.dlq": ["DESCRIBE", "DESCRIBE_CONFIGS"],
        },
        group_ops=["DESCRIBE", "READ"],
    )
    with pytest.raises(AccessCheckError) as failed:
        check_access(admin, Settings(), create_missing=_no_creation)  # type: ignore[arg-type]
    assert failed.value.check == "dead_letter_topic"
    assert failed.value.cause == "authorization"
    assert "--operation Write --topic articles.dlq" in str(failed.value)

    everything = _Admin(
        {"articles.raw": ["READ"], "articles.tagged": produce, "articles.dlq": produce},
        group_ops=["DESCRIBE"],
    )
    with pytest.raises(AccessCheckError) as failed:
        check_access(everything, Settings(), create_missing=_no_creation)  # type: ignore[arg-type]
    assert failed.value.check == "consumer_group"


class _RacedAdmin(_Admin):
    """A topic absent at the first look, created meanwhile by another instance: the broker says
    it exists, and metadata lists it only after `hidden_looks` more descriptions (or never)."""

    def __init__(self, raced: str, hidden_looks: int) -> None:
        read, write = ["DESCRIBE", "READ"], ["DESCRIBE", "WRITE", "DESCRIBE_CONFIGS"]
        super().__init__(
            {"articles.raw": read, "articles.tagged": write, "articles.dlq": write},
            group_ops=["DESCRIBE", "READ"],
        )
        self._raced = raced
        self._hidden_looks = hidden_looks + 1  # the first look finds it missing

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        out = super().describe_topics(names)
        if self._raced in names and self._hidden_looks > 0:
            self._hidden_looks -= 1
            for topic in out:
                if topic["name"] == self._raced:
                    topic["error_code"] = 3  # UNKNOWN_TOPIC_OR_PARTITION
        return out

    def create_topics(self, topics: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"topics": [{"name": name, "error_code": 36} for name in topics]}  # exists


def test_a_topic_another_instance_just_created_is_waited_for_not_refused() -> None:
    admin = _RacedAdmin("articles.dlq", hidden_looks=3)
    check_access(admin, Settings(), create_missing=_no_creation)  # type: ignore[arg-type]
    assert admin._hidden_looks == 0


def test_a_topic_that_exists_but_never_shows_is_reported_as_not_visible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("consumer.access_checks._NEW_TOPIC_WAIT_S", 0.3)
    admin = _RacedAdmin("articles.dlq", hidden_looks=10_000)
    with pytest.raises(AccessCheckError, match="exists but is not visible") as failed:
        check_access(admin, Settings(), create_missing=_no_creation)  # type: ignore[arg-type]
    assert failed.value.check == "dead_letter_topic"
