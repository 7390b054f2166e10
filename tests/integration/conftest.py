"""The real local Kafka broker for the integration tests: started once per session.

`KAFKA_BOOTSTRAP_SERVERS` points the tests at a broker that is already running. Otherwise
`scripts/kafka-local` fetches Apache Kafka from Maven Central (cached) and starts a private
instance; if that fails the tests fail loudly, they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.fault_helpers import Launched
from tests.integration.kafka_helpers import PROJECT_ROOT
from tests.integration.secured_helpers import SecuredBroker

KAFKA_LOCAL = PROJECT_ROOT / "scripts" / "kafka-local"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    instance = tmp_path_factory.mktemp("kafka")
    env = {**os.environ, "KAFKA_LOCAL_DIR": str(instance)}
    started = subprocess.run(
        [str(KAFKA_LOCAL), "start"], env=env, capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        pytest.fail(
            "the local Kafka broker did not start (integration tests need it):\n"
            f"{started.stderr[-4000:]}",
            pytrace=False,
        )
    address = started.stdout.strip().splitlines()[-1]
    try:
        yield address
    finally:
        subprocess.run([str(KAFKA_LOCAL), "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    """A `kafka-local start --secure` broker of the session's own (TLS, SASL, ACLs enforced).

    Always started here: a secured broker named by the environment would need its admin
    credentials too, and the tests change its ACLs."""
    broker = SecuredBroker(tmp_path_factory.mktemp("kafka-secure"))
    try:
        broker.start()
    except AssertionError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield broker
    finally:
        broker.clean()


@pytest.fixture
def service_logs(tmp_path: Path) -> Path:
    return tmp_path / "logs"


@pytest.fixture
def launched() -> Iterator[Launched]:
    """Services a test starts; whatever is still running at its end is killed."""
    services = Launched()
    yield services
    services.kill_all()
