"""The service's one settings object: read from `DETENTE_*` variables once, in `main`, passed down.

Nothing here runs at import time; tests build `Settings(...)` from keyword arguments.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_MODEL_DIR", "Settings"]

# The model ships inside the repository; the service finds it relative to the project, not the cwd.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
# ISO 639-1, or the identifier's three-letter code for a language that has none ("ceb").
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


class Settings(BaseSettings):
    """Every knob of `detente serve`; the README's configuration table lists them all."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", frozen=True, extra="ignore")

    # Kafka connection
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "detente"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = None
    # Off only for a broker reached by a name its certificate does not hold (an SSH tunnel, say).
    ssl_check_hostname: bool = True

    # Topics
    input_topic: str = "articles.raw"
    output_topic: str = "articles.tagged"
    dlq_topic: str = "articles.dlq"
    consumer_group: str = "detente"
    create_topics: bool = True
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"

    # Delivery
    processing_guarantee: Literal["exactly-once", "at-least-once"] = "exactly-once"
    # Names this instance's transactional producer and its static group membership; must differ
    # between instances of one group and stay the same across restarts of one instance, so that
    # a restart fences its own zombie and takes its partitions back without waiting for the
    # session timeout. Kafka allows these characters in a group.instance.id.
    instance_id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9._-]{1,200}$")
    transaction_timeout_ms: int = Field(default=30_000, ge=1_000)

    # Group membership. Static membership lets a restart take its partitions back without a
    # rebalance; leaving the group on a clean stop hands them over at once when the instance
    # is not coming back (scale-down). Both on suits a rolling restart and a scale-down alike:
    # the README's operations section says when to turn leaving off.
    static_membership: bool = True
    leave_group_on_stop: bool = True
    session_timeout_ms: int = Field(default=45_000, ge=6_000, le=1_800_000)

    # Batching. A poll returns as soon as records are there, so a batch never waits to fill and
    # the timeout only paces an idle loop. 250 keeps an instance under 300 MB and halves the wait
    # behind a full batch; 500 is ~10% faster under a backlog, at ~310 MB (docs/scaling.md).
    max_poll_records: int = Field(default=250, ge=1)
    poll_timeout_ms: int = Field(default=100, ge=1)
    produce_timeout_s: float = Field(default=30.0, gt=0)

    # Input limits and output shape
    max_message_bytes: int = Field(default=1_048_576, ge=1)
    max_key_bytes: int = Field(default=4_096, ge=1, le=65_536)
    max_id_bytes: int = Field(default=4_096, ge=1, le=65_536)
    # How often the output topics' max.message.bytes is read again (also after any refusal).
    limits_refresh_s: float = Field(default=300.0, gt=0)
    max_text_chars: int = Field(default=20_000, ge=100)
    max_json_depth: int = Field(default=32, ge=2)
    include_body: bool = False
    # Articles in other languages become `unsupported_language` dead letters. A comma-separated
    # list in the environment ("en,fr"), not JSON.
    accepted_languages: Annotated[frozenset[str], NoDecode] = frozenset({"en"})

    # Model
    model_dir: Path = DEFAULT_MODEL_DIR

    # Operations
    metrics_host: str = "0.0.0.0"  # noqa: S104 - the scrape endpoint must be reachable in a container
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    shutdown_grace_s: float = Field(default=30.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("accepted_languages", mode="before")
    @classmethod
    def _language_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [code.strip().lower() for code in value.split(",") if code.strip()]
        if isinstance(value, list | tuple | set | frozenset):
            codes = frozenset(str(code).strip().lower() for code in value)
            if not codes:
                raise ValueError("at least one language must be accepted")
            wrong = sorted(code for code in codes if not _LANGUAGE_CODE.match(code))
            if wrong:
                raise ValueError(f"not language codes (ISO 639-1 such as en, fr): {wrong}")
            return codes
        return value

    def transactional_id(self) -> str:
        return f"detente-{self.consumer_group}-{self.instance_id}"
