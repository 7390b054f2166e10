from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from consumer.cli import main
from consumer.kafka_io import connection_options
from consumer.schemas import (
    DEAD_LETTER_SCHEMA_VERSION,
    TAGGED_SCHEMA_VERSION,
    RejectReason,
    json_schemas,
)
from consumer.settings import Settings


def test_exported_json_schemas_describe_all_three_topics(tmp_path: Path) -> None:
    assert main(["schemas", "--out", str(tmp_path)]) == 0
    written = {path.name: json.loads(path.read_text()) for path in tmp_path.iterdir()}
    assert set(written) == {
        "article-in.schema.json",
        "tagged-article.schema.json",
        "dead-letter.schema.json",
    }
    tagged = written["tagged-article.schema.json"]
    assert tagged["properties"]["schema_version"]["const"] == TAGGED_SCHEMA_VERSION == "1.1"
    assert {"id", "topics", "tone", "evidence", "model", "processed_at"} <= set(tagged["required"])
    letter = written["dead-letter.schema.json"]
    assert letter["properties"]["schema_version"]["const"] == DEAD_LETTER_SCHEMA_VERSION == "1.1"
    reason = letter["properties"]["reason"]
    # Open: a string with its known values documented, so later reasons stay additive.
    assert reason["type"] == "string"
    assert "enum" not in reason
    assert all(f"`{code.value}`" in reason["description"] for code in RejectReason)
    assert written["article-in.schema.json"]["required"] == ["id"]


def test_outbound_json_schemas_are_open_to_fields_added_later(tmp_path: Path) -> None:
    for name in ("tagged-article", "dead-letter"):
        text = json.dumps(json_schemas()[name])
        assert '"additionalProperties": false' not in text, name


def test_committed_schemas_in_docs_are_current() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    for name, schema in json_schemas().items():
        committed = json.loads((docs / f"{name}.schema.json").read_text())
        assert committed == schema, f"docs/schemas/{name}.schema.json is stale: run make schemas"


def test_settings_read_the_detente_prefix_and_are_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_MAX_POLL_RECORDS", "42")
    monkeypatch.setenv("DETENTE_INPUT_TOPIC", "feeds.in")
    settings = Settings()
    assert settings.max_poll_records == 42
    assert settings.input_topic == "feeds.in"
    with pytest.raises(ValidationError):
        settings.max_poll_records = 1  # type: ignore[misc]


def test_accepted_languages_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from consumer.service import pipeline_config

    assert Settings().accepted_languages == frozenset({"en"})
    monkeypatch.setenv("DETENTE_ACCEPTED_LANGUAGES", " en, FR ,de")
    settings = Settings()
    assert settings.accepted_languages == frozenset({"en", "fr", "de"})
    assert pipeline_config(settings).accepted_languages == frozenset({"en", "fr", "de"})
    assert Settings(accepted_languages=["es"]).accepted_languages == frozenset({"es"})  # type: ignore[arg-type]
    for wrong in ("english", "", "en;fr"):
        with pytest.raises(ValidationError):
            Settings(accepted_languages=wrong)  # type: ignore[arg-type]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(security_protocol="TELNET")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Settings(max_poll_records=0)


def test_sasl_password_is_secret_until_handed_to_the_client() -> None:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="detente",
        sasl_password="hunter2",  # type: ignore[arg-type]
    )
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    options = connection_options(settings)
    assert options["sasl_plain_password"] == "hunter2"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["security_protocol"] == "SASL_SSL"


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = {
        line.split("`")[1] for line in readme.splitlines() if line.startswith("| `DETENTE_")
    }
    expected = {f"DETENTE_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected


def test_serve_with_invalid_settings_exits_2_naming_the_setting_without_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DETENTE_MAX_POLL_RECORDS", "0")
    monkeypatch.setenv("DETENTE_SECURITY_PROTOCOL", "hunter2-not-a-protocol")
    assert main(["serve"]) == 2
    logged = capsys.readouterr().err
    line = json.loads(logged.strip().splitlines()[-1])
    assert line["cause"] == "configuration"
    assert "DETENTE_MAX_POLL_RECORDS" in line["msg"]
    assert "DETENTE_SECURITY_PROTOCOL" in line["msg"]
    assert "hunter2" not in logged
