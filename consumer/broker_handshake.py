"""The startup handshake: reach a bootstrap broker the way the clients will, and name what fails.

kafka-python 3.0 retries a refused TLS handshake or SASL login until its bootstrap times out, and
then says only "Unable to bootstrap". Before any client is built, `check_broker_handshake` does the
same steps itself, with the standard library, on one connection per bootstrap address:

    TCP connect -> TLS handshake (SSL, SASL_SSL) -> ApiVersions -> SaslHandshake + SaslAuthenticate
    (SASL_*) -> Metadata (no topics: proves the session is usable)

and raises a `StartupError` whose `cause` is `broker_unreachable`, `tls`, `authentication` or
`configuration`, with a message that says which setting to look at. The TLS context is built with
the same steps as kafka-python's own (`tls_context`), so both trust and refuse the same brokers.
Nothing secret is ever put into a message.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct

from consumer.errors import StartupError
from consumer.sasl_client import SaslExchange, SaslProtocolError, plain, scram
from consumer.settings import Settings

__all__ = ["check_broker_handshake", "tls_context"]

log = logging.getLogger(__name__)

_API_METADATA = 3
_API_VERSIONS = 18
_API_SASL_HANDSHAKE = 17
_API_SASL_AUTHENTICATE = 36
_UNSUPPORTED_SASL_MECHANISM = 33
# Any frame larger than this is not Kafka talking (a TLS record read as plaintext, say).
_MAX_FRAME = 64 * 1024 * 1024
# Which failure says most when several bootstrap addresses fail differently.
_SPECIFICITY = ("tls", "authentication", "configuration", "broker_unreachable")


class _HandshakeError(Exception):
    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message


def tls_context(settings: Settings) -> ssl.SSLContext:
    """kafka-python 3.0's context for these settings: TLS 1.2+, the CA file or the system's CAs,
    host name checked unless DETENTE_SSL_CHECK_HOSTNAME=false, the client certificate if any."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = settings.ssl_check_hostname
    if settings.ssl_cafile is not None:
        context.load_verify_locations(str(settings.ssl_cafile))
    else:
        context.load_default_certs()
    if settings.ssl_certfile is not None:
        password = settings.ssl_key_password
        context.load_cert_chain(
            str(settings.ssl_certfile),
            None if settings.ssl_keyfile is None else str(settings.ssl_keyfile),
            password=None if password is None else password.get_secret_value(),
        )
    return context


def check_broker_handshake(settings: Settings, timeout_s: float = 10.0) -> None:
    """Return once one bootstrap broker accepted the whole handshake; else raise StartupError."""
    context = _context_or_fail(settings) if _uses_tls(settings) else None
    failures: list[_HandshakeError] = []
    for address in settings.bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _handshake(settings, context, host.strip("[]"), int(port), timeout_s)
            return
        except _HandshakeError as failure:
            failures.append(failure)
        except ValueError:
            failures.append(_HandshakeError("configuration", f"{address!r} is not host:port"))
    worst = min(failures, key=lambda failure: _SPECIFICITY.index(failure.cause))
    raise StartupError(worst.message, cause=worst.cause)


def _uses_tls(settings: Settings) -> bool:
    return settings.security_protocol in ("SSL", "SASL_SSL")


def _context_or_fail(settings: Settings) -> ssl.SSLContext:
    try:
        return tls_context(settings)
    except FileNotFoundError as exc:
        raise StartupError(f"TLS file not found: {exc.filename}", cause="configuration") from exc
    except ssl.SSLError as exc:
        raise StartupError(
            "cannot load the TLS files (DETENTE_SSL_CAFILE, DETENTE_SSL_CERTFILE,"
            " DETENTE_SSL_KEYFILE): not PEM, a key that does not match its certificate, or a wrong"
            f" DETENTE_SSL_KEY_PASSWORD ({exc.reason or exc.__class__.__name__})",
            cause="tls",
        ) from None  # the library's text of a key error may quote what it was given


def _handshake(
    settings: Settings, context: ssl.SSLContext | None, host: str, port: int, timeout_s: float
) -> None:
    where = f"{host}:{port}"
    try:
        raw = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        raise _HandshakeError(
            "broker_unreachable", f"no Kafka broker answers at {where}: {exc.strerror or exc}"
        ) from None
    with raw:
        sock: socket.socket = raw if context is None else _tls(context, raw, host, where)
        with sock:
            wire = _Wire(sock, where, settings)
            versions = wire.api_versions()
            if settings.security_protocol.startswith("SASL_"):
                _authenticate(settings, wire, versions, where)
            wire.metadata(versions)
            log.debug(
                "broker handshake passed",
                extra={
                    "broker": where,
                    "security_protocol": settings.security_protocol,
                    "sasl_mechanism": settings.sasl_mechanism,
                    "tls": sock.version() if isinstance(sock, ssl.SSLSocket) else None,
                },
            )


def _tls(context: ssl.SSLContext, raw: socket.socket, host: str, where: str) -> ssl.SSLSocket:
    try:
        return context.wrap_socket(raw, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code == _X509_HOSTNAME_MISMATCH:
            message = (
                f"TLS certificate problem at {where}: the broker's certificate is not valid for"
                f" the name {host!r} ({exc.verify_message}); connect by a name or address the"
                " certificate holds, or set DETENTE_SSL_CHECK_HOSTNAME=false"
            )
        else:
            message = (
                f"TLS certificate problem at {where}: the broker's certificate was not issued by"
                f" a CA in DETENTE_SSL_CAFILE, or by the system's CAs when it is unset"
                f" ({exc.verify_message})"
            )
        raise _HandshakeError("tls", message) from None
    except ssl.SSLError as exc:
        raise _HandshakeError(
            "tls",
            f"TLS handshake with {where} failed ({exc.reason or exc}): is that listener TLS"
            " (DETENTE_SECURITY_PROTOCOL SSL or SASL_SSL) and does it accept TLS 1.2 or newer?",
        ) from None
    except OSError as exc:
        raise _HandshakeError(
            "broker_unreachable", f"the connection to {where} broke during the TLS handshake: {exc}"
        ) from None


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH.
_X509_HOSTNAME_MISMATCH = 62


def _authenticate(
    settings: Settings, wire: _Wire, versions: dict[int, tuple[int, int]], where: str
) -> None:
    mechanism, username = settings.sasl_mechanism, settings.sasl_username
    if mechanism is None or username is None or settings.sasl_password is None:
        raise _HandshakeError(
            "configuration",
            f"DETENTE_SECURITY_PROTOCOL={settings.security_protocol} needs"
            " DETENTE_SASL_MECHANISM, DETENTE_SASL_USERNAME and DETENTE_SASL_PASSWORD",
        )
    offered = wire.sasl_handshake(mechanism)
    if offered is not None:
        raise _HandshakeError(
            "authentication",
            f"the broker at {where} does not accept SASL mechanism {mechanism}"
            f" (DETENTE_SASL_MECHANISM); it offers {', '.join(offered) or 'none'}",
        )
    password = settings.sasl_password.get_secret_value()
    exchange = (
        plain(username, password) if mechanism == "PLAIN" else scram(mechanism, username, password)
    )
    # One message for a wrong password and an unknown user: SCRAM hides which on purpose, and
    # naming the user here would let the two differ.
    refused = (
        f"SASL authentication ({mechanism}) was refused by {where}: wrong password or unknown"
        " user (Kafka does not say which); check DETENTE_SASL_USERNAME and DETENTE_SASL_PASSWORD"
    )
    version = 1 if versions.get(_API_SASL_AUTHENTICATE, (0, 0))[1] >= 1 else 0
    try:
        _run_exchange(wire, exchange, version)
    except SaslProtocolError:
        raise _HandshakeError("authentication", refused) from None
    except _RefusedError:
        raise _HandshakeError("authentication", refused) from None


class _RefusedError(Exception):
    """The broker answered a SaslAuthenticate with an error."""


def _run_exchange(wire: _Wire, exchange: SaslExchange, version: int) -> None:
    message: bytes | None = exchange.first()
    while message is not None:
        error, challenge = wire.sasl_authenticate(message, version)
        if error:
            raise _RefusedError
        message = exchange.answer(challenge) if not exchange.done else None
    if not exchange.done:
        raise SaslProtocolError("the exchange ended early")


class _Wire:
    """Kafka's framing for the few non-flexible request versions the handshake needs."""

    def __init__(self, sock: socket.socket, where: str, settings: Settings) -> None:
        self._sock = sock
        self._where = where
        self._settings = settings
        self._correlation = 0

    def api_versions(self) -> dict[int, tuple[int, int]]:
        body = self._call(_API_VERSIONS, 0, b"", stage="ApiVersions")
        error, count = struct.unpack_from(">hi", body)
        if error:
            raise _HandshakeError(
                "configuration", f"{self._where} refused ApiVersions (error {error})"
            )
        entries = (struct.unpack_from(">hhh", body, 6 + 6 * n) for n in range(count))
        return {key: (low, high) for key, low, high in entries}

    def sasl_handshake(self, mechanism: str) -> list[str] | None:
        """None when the broker takes `mechanism`, else the mechanisms it offers."""
        body = self._call(_API_SASL_HANDSHAKE, 1, _string(mechanism), stage="SaslHandshake")
        (error, count), pos = struct.unpack_from(">hi", body), 6
        offered = []
        for _ in range(count):
            name, pos = _read_string(body, pos)
            offered.append(name or "")
        if error == _UNSUPPORTED_SASL_MECHANISM:
            return offered
        if error:
            raise _HandshakeError(
                "authentication", f"{self._where} refused SaslHandshake (error {error})"
            )
        return None

    def sasl_authenticate(self, token: bytes, version: int) -> tuple[int, bytes]:
        body = self._call(
            _API_SASL_AUTHENTICATE,
            version,
            struct.pack(">i", len(token)) + token,
            stage="SaslAuthenticate",
        )
        error = struct.unpack_from(">h", body)[0]
        _, pos = _read_string(body, 2)  # the broker's message; ours says the same, secret-free
        size = struct.unpack_from(">i", body, pos)[0]
        return error, body[pos + 4 : pos + 4 + max(size, 0)]

    def metadata(self, versions: dict[int, tuple[int, int]]) -> None:
        low, high = versions.get(_API_METADATA, (0, -1))
        usable = [v for v in range(4, 9) if low <= v <= high]
        if not usable:
            return  # a broker this old or new answers differently; the clients will tell
        version = max(usable)
        # No topics, no auto-creation (and, from v8, no authorized operations).
        body = struct.pack(">i?", 0, False) + (b"\0\0" if version >= 8 else b"")
        self._call(_API_METADATA, version, body, stage="Metadata")

    def _call(self, api_key: int, version: int, body: bytes, stage: str) -> bytes:
        self._correlation += 1
        client_id = b"detente-handshake"
        header = struct.pack(">hhih", api_key, version, self._correlation, len(client_id))
        frame = header + client_id + body
        try:
            self._sock.sendall(struct.pack(">i", len(frame)) + frame)
            size = struct.unpack(">i", self._receive(4, stage))[0]
            if not 4 <= size <= _MAX_FRAME:
                raise _HandshakeError("configuration", self._not_kafka(stage))
            response = self._receive(size, stage)
        except ssl.SSLError as exc:
            raise _HandshakeError("tls", self._tls_refused(exc, stage)) from None
        except OSError as exc:
            raise _HandshakeError(
                "broker_unreachable", f"the connection to {self._where} broke during {stage}: {exc}"
            ) from None
        if struct.unpack_from(">i", response)[0] != self._correlation:
            raise _HandshakeError("configuration", self._not_kafka(stage))
        return response[4:]

    def _receive(self, size: int, stage: str) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise _HandshakeError(*self._closed(stage))
            data += chunk
        return data

    def _closed(self, stage: str) -> tuple[str, str]:
        protocol = self._settings.security_protocol
        if stage == "Metadata" and not protocol.startswith("SASL_"):
            return (
                "authentication",
                f"{self._where} closed the connection before any request was served: it expects"
                " SASL authentication (DETENTE_SECURITY_PROTOCOL SASL_SSL or SASL_PLAINTEXT with"
                " DETENTE_SASL_*)",
            )
        if stage == "ApiVersions" and protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
            return "configuration", self._not_kafka(stage)
        return "broker_unreachable", f"{self._where} closed the connection during {stage}"

    def _not_kafka(self, stage: str) -> str:
        protocol = self._settings.security_protocol
        hint = (
            "does that listener expect TLS (DETENTE_SECURITY_PROTOCOL SSL or SASL_SSL)?"
            if protocol in ("PLAINTEXT", "SASL_PLAINTEXT")
            else "is it a Kafka listener?"
        )
        return f"{self._where} did not answer {stage} in Kafka's protocol: {hint}"

    def _tls_refused(self, exc: ssl.SSLError, stage: str) -> str:
        # Java brokers answer a missing client certificate with "bad certificate" or
        # "certificate required", depending on the TLS version.
        if "CERTIFICATE" in str(exc.reason) and self._settings.ssl_certfile is None:
            return (
                f"{self._where} requires a client certificate (mutual TLS): set"
                " DETENTE_SSL_CERTFILE and DETENTE_SSL_KEYFILE"
            )
        return (
            f"{self._where} ended the TLS session during {stage} ({exc.reason or exc}): it did not"
            " accept this client's certificate, if one is set (DETENTE_SSL_CERTFILE)"
        )


def _string(value: str) -> bytes:
    encoded = value.encode()
    return struct.pack(">h", len(encoded)) + encoded


def _read_string(buffer: bytes, pos: int) -> tuple[str | None, int]:
    size = struct.unpack_from(">h", buffer, pos)[0]
    pos += 2
    if size < 0:
        return None, pos
    return buffer[pos : pos + size].decode(errors="replace"), pos + size
