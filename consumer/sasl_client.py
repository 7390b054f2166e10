"""The client side of SASL PLAIN and SCRAM (RFC 4616, RFC 5802 / 7677): the messages, no sockets.

The startup handshake (`consumer.broker_handshake`) speaks these itself, so that a refused login
is reported as what it is; kafka-python only retries it until its bootstrap times out. A
mechanism is a small exchange: `first()` gives the first message, `answer(challenge)` the reply
to each server message, and `done` says the server's last word was checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Protocol

__all__ = ["SaslExchange", "SaslProtocolError", "plain", "scram"]

# The SCRAM hash of each mechanism name the settings allow.
_SCRAM_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


class SaslProtocolError(Exception):
    """The server's messages do not follow the mechanism, or it failed to prove its identity."""


class SaslExchange(Protocol):
    done: bool

    def first(self) -> bytes: ...

    def answer(self, challenge: bytes) -> bytes | None: ...


class _Plain:
    """One message, username and password in clear: only ever sent inside TLS."""

    def __init__(self, username: str, password: str) -> None:
        self._message = b"\0" + username.encode() + b"\0" + password.encode()
        self.done = False

    def first(self) -> bytes:
        self.done = True
        return self._message

    def answer(self, challenge: bytes) -> bytes | None:
        raise SaslProtocolError("PLAIN expects no challenge")


class _Scram:
    """The password never crosses the wire; the server proves it holds the same salted key."""

    def __init__(self, hash_name: str, username: str, password: str, nonce: str) -> None:
        self._hash = hash_name
        self._password = password.encode()
        # RFC 5802 5.1: "=" and "," in a name are escaped.
        name = username.replace("=", "=3D").replace(",", "=2C")
        self._client_first_bare = f"n={name},r={nonce}"
        self._nonce = nonce
        self._server_signature = b""
        self._step = 0
        self.done = False

    def first(self) -> bytes:
        self._step = 1
        return ("n,," + self._client_first_bare).encode()

    def answer(self, challenge: bytes) -> bytes | None:
        if self._step == 1:
            self._step = 2
            return self._client_final(challenge.decode())
        if self._step == 2:
            self._check_server_final(challenge.decode())
            self.done = True
            return None
        raise SaslProtocolError("SCRAM exchange already finished")

    def _client_final(self, server_first: str) -> bytes:
        fields = _attributes(server_first)
        nonce, salt, iterations = fields.get("r", ""), fields.get("s"), fields.get("i", "")
        if not nonce.startswith(self._nonce) or salt is None or not iterations.isdigit():
            raise SaslProtocolError("malformed SCRAM server-first message")
        salted = hashlib.pbkdf2_hmac(
            self._hash, self._password, base64.b64decode(salt), int(iterations)
        )
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self._hash, client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={nonce}"
        auth_message = f"{self._client_first_bare},{server_first},{without_proof}".encode()
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _check_server_final(self, server_final: str) -> None:
        fields = _attributes(server_final)
        if "e" in fields:
            raise SaslProtocolError(f"server refused: {fields['e']}")
        verifier = base64.b64decode(fields.get("v", ""))
        if not hmac.compare_digest(verifier, self._server_signature):
            raise SaslProtocolError("the server did not prove it knows the credentials")

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self._hash).digest()


def _attributes(message: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in message.split(",") if "=" in part)


def plain(username: str, password: str) -> SaslExchange:
    return _Plain(username, password)


def scram(mechanism: str, username: str, password: str, nonce: str | None = None) -> SaslExchange:
    """`nonce` is for tests that replay a published exchange; otherwise a fresh random one."""
    hash_name = _SCRAM_HASHES[mechanism]
    return _Scram(hash_name, username, password, nonce or secrets.token_urlsafe(24))
