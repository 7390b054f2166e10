"""Helpers of the secured-cluster tests: the `kafka-local --secure` broker, ACL grants, the README.

- `SecuredBroker` starts a secured `scripts/kafka-local` instance and reads what it printed: the
  address, the CA file, the credentials files (never a password on its output).
- `Grant` is one ACL binding. `readme_grants` parses the README's `kafka-acls` block, so that the
  grants a test gives or withholds are the ones the README documents; `for_topics` points them at a
  test's own topics and group.
- `startup_failure` runs the service until it exits and returns its "cannot start" log line.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)

from tests.integration.kafka_helpers import PROJECT_ROOT, ServiceProcess, Topics

KAFKA_LOCAL = PROJECT_ROOT / "scripts" / "kafka-local"
KAFKA_BIN = PROJECT_ROOT / "scripts" / "kafka" / "bin"
README = PROJECT_ROOT / "README.md"
ACL_BLOCK_MARKER = "<!-- acl-commands:"
PRINCIPAL = "User:detente"


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


@dataclass
class SecuredBroker:
    """A `kafka-local --secure` instance in `directory`, as its `start` output describes it."""

    directory: Path
    address: str = ""
    printed: str = ""  # everything start wrote, stdout and stderr: checked for secrets
    info: dict[str, str] = field(default_factory=dict)

    def _run(self, *args: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KAFKA_LOCAL_DIR": str(self.directory)}
        return subprocess.run(
            [str(KAFKA_LOCAL), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout_s,
        )

    def start(self) -> None:
        started = self._run("start", "--secure")
        if started.returncode != 0:
            raise AssertionError(f"secured broker did not start:\n{started.stderr[-4000:]}")
        self.printed = started.stdout + started.stderr
        lines = started.stdout.strip().splitlines()
        self.address = lines[-1]
        self.info = dict(line.split(": ", 1) for line in lines[:-1])

    def clean(self) -> None:
        self._run("clean")

    @property
    def ca_file(self) -> Path:
        return Path(self.info["ca-file"])

    @property
    def admin_config(self) -> Path:
        return Path(self.info["admin-config"])

    def service_credentials(self) -> dict[str, str]:
        """The SCRAM `DETENTE_*` file as `start_service` keyword settings (bootstrap apart)."""
        return _settings_of(read_env_file(Path(self.info["credentials"])))

    def mtls_credentials(self) -> dict[str, str]:
        return _settings_of(read_env_file(Path(self.info["mtls-credentials"])))

    def password(self) -> str:
        return self.service_credentials()["sasl_password"]

    def admin_client_options(self) -> dict[str, Any]:
        """kafka-python options for User:admin (a super user), read from the tools' config."""
        match = re.search(r'password="([^"]+)"', self.admin_config.read_text())
        assert match, "admin.properties holds no password"
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "admin",
            "sasl_plain_password": match.group(1),
            "ssl_cafile": str(self.ca_file),
        }

    def admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(bootstrap_servers=self.address, **self.admin_client_options())


def _settings_of(env: Mapping[str, str]) -> dict[str, str]:
    return {
        key.removeprefix("DETENTE_").lower(): value
        for key, value in env.items()
        if key != "DETENTE_BOOTSTRAP_SERVERS"
    }


# --- ACL grants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One ALLOW binding for User:detente."""

    resource_type: str  # TOPIC, GROUP, TRANSACTIONAL_ID
    name: str
    operation: str  # READ, WRITE, DESCRIBE_CONFIGS
    prefixed: bool = False

    def __str__(self) -> str:
        pattern = " (prefixed)" if self.prefixed else ""
        return f"{self.operation} on {self.resource_type}:{self.name}{pattern}"

    def acl(self, principal: str = PRINCIPAL) -> ACL:
        pattern = (
            ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL
        )
        return ACL(
            principal=principal,
            host="*",
            operation=ACLOperation[self.operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(ResourceType[self.resource_type], self.name, pattern),
        )


def readme_acl_block() -> str:
    """The shell block right after the README's acl-commands marker."""
    text = README.read_text()
    after = text[text.index(ACL_BLOCK_MARKER) :]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


_OPTION_RESOURCE = {
    "--topic": "TOPIC",
    "--group": "GROUP",
    "--transactional-id": "TRANSACTIONAL_ID",
}


def readme_grants() -> list[Grant]:
    """Every binding the README's `kafka-acls --add` commands give (a cross product per command,
    as kafka-acls applies them)."""
    grants: list[Grant] = []
    for command in readme_acl_block().replace("\\\n", " ").splitlines():
        words = shlex.split(command)
        if not words:
            continue
        assert words[0] == "kafka-acls", command
        assert "--add" in words, command
        operations, resources, prefixed = [], [], False
        for option, value in zip(words, [*words[1:], ""], strict=True):
            if option == "--operation":
                operations.append(re.sub(r"(?<!^)(?=[A-Z])", "_", value).upper())
            elif option in _OPTION_RESOURCE:
                resources.append((_OPTION_RESOURCE[option], value))
            elif option == "--resource-pattern-type":
                prefixed = value == "prefixed"
            elif option == "--allow-principal":
                assert value == PRINCIPAL, command
        grants += [
            Grant(kind, name, operation, prefixed)
            for kind, name in resources
            for operation in operations
        ]
    return grants


def for_topics(grants: Iterable[Grant], topics: Topics) -> list[Grant]:
    """The README's grants, for a test's own topics and group instead of the defaults."""
    names = {
        ("TOPIC", "articles.raw"): topics.raw,
        ("TOPIC", "articles.tagged"): topics.tagged,
        ("TOPIC", "articles.dlq"): topics.dlq,
        ("GROUP", "detente"): topics.group,
        ("TRANSACTIONAL_ID", "detente-detente-"): f"detente-{topics.group}-",
    }
    return [replace(grant, name=names[(grant.resource_type, grant.name)]) for grant in grants]


def _all_of(principal: str) -> ACLFilter:
    return ACLFilter(
        principal=principal,
        host="*",
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )


def granted(admin: KafkaAdminClient, principal: str = PRINCIPAL) -> set[Grant]:
    acls, error = admin.describe_acls(_all_of(principal))
    assert error.errno == 0, error
    return {
        Grant(
            acl.resource_pattern.resource_type.name,
            acl.resource_pattern.resource_name,
            acl.operation.name,
            acl.resource_pattern.pattern_type == ACLResourcePatternType.PREFIXED,
        )
        for acl in acls
    }


def grant(admin: KafkaAdminClient, grants: Sequence[Grant]) -> None:
    """Add the bindings and wait until the broker's authorizer lists them."""
    result = admin.create_acls([g.acl() for g in grants])
    assert not result["failed"], result["failed"]
    _wait_for(lambda: set(grants) <= granted(admin), f"grants {grants} to apply")


def revoke(admin: KafkaAdminClient, grants: Sequence[Grant]) -> None:
    admin.delete_acls([g.acl() for g in grants])
    _wait_for(lambda: not set(grants) & granted(admin), f"grants {grants} to go")


def revoke_all(admin: KafkaAdminClient, principal: str = PRINCIPAL) -> None:
    admin.delete_acls([_all_of(principal)])
    _wait_for(lambda: not granted(admin, principal), f"every ACL of {principal} to go")


def _wait_for(condition: Any, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# --- the service's verdict -----------------------------------------------------------------


def startup_failure(service: ServiceProcess, timeout_s: float = 120.0) -> dict[str, Any]:
    """Wait for the service to exit 2 and return its one "cannot start" log line."""
    code = service.process.wait(timeout=timeout_s)
    assert code == 2, f"expected exit 2 (cannot start), got {code}:\n{service.log()}"
    failures = [
        line for line in service.log_lines() if str(line.get("msg", "")).startswith("cannot start")
    ]
    assert len(failures) == 1, service.log()
    return failures[0]
