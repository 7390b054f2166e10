"""The deployment files agree with the compose spec, with each other and with the service.

docker-compose.yml is validated against the Compose Specification's JSON schema (as vendored by
check-jsonschema; no Docker engine is needed), then cross-checked: every mounted file exists, every
port, address and topic matches `consumer.settings.Settings` defaults, and Prometheus, Grafana and
the dashboard name each other consistently. Running promtool and Grafana's dashboard model is
in tests/integration/test_observability.py (they need tools this suite does not install).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from consumer.settings import Settings
from tests.conftest import PROJECT_ROOT
from tests.metric_naming import documented_families

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
PROMETHEUS_DIR = PROJECT_ROOT / "deploy" / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULES = PROMETHEUS_DIR / "rules" / "detente.rules.yml"
RULE_TESTS = PROMETHEUS_DIR / "tests"
GRAFANA_DIR = PROJECT_ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "detente.json"
DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = GRAFANA_DIR / "provisioning" / "dashboards" / "detente.yml"
METRICS_DOC = PROJECT_ROOT / "docs" / "metrics.md"

ROW_TITLES = [
    "Throughput and errors",
    "Latency",
    "Lag and saturation",
    "What the model says",
    "Countries",
    "Service health",
]
# Grafana's built-in variables the dashboard may use, beside its own template variables.
GRAFANA_VARIABLES = {"__rate_interval", "__range", "__interval"}


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = _yaml(COMPOSE)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _bind_mounts(service: dict[str, Any]) -> list[tuple[Path, PurePosixPath]]:
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append(((COMPOSE.parent / source).resolve(), PurePosixPath(target)))
    return mounts


def _host_path(service: dict[str, Any], container_path: str) -> Path:
    """Where a path inside the container comes from on the host, through the bind mounts."""
    wanted = PurePosixPath(container_path)
    for source, target in _bind_mounts(service):
        if wanted == target or target in wanted.parents:
            return source / wanted.relative_to(target)
    raise AssertionError(f"{container_path} is not bind-mounted from the project")


def _flag(command: list[str], name: str) -> str:
    for argument in command:
        if argument.startswith(f"--{name}="):
            return argument.split("=", 1)[1]
    raise AssertionError(f"--{name} missing from {command}")


# docker-compose.yml


def _validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    schema = ["--builtin-schema", "vendor.compose-spec"]  # check-jsonschema's copy of the spec
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_compose_file_is_valid_under_the_compose_specification() -> None:
    result = _validate_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_validation_rejects_what_the_specification_forbids(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text(
        "services:\n  detente:\n    image: x\n    healthcheck: /readyz\n    bogus: 1\n"
    )
    result = _validate_compose(broken)
    assert result.returncode == 1
    assert "bogus" in result.stdout


def test_compose_runs_the_whole_stack(services: dict[str, Any]) -> None:
    assert set(services) == {"kafka", "detente", "publisher", "prometheus", "grafana"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["detente"]["build"] == "."
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    assert services["publisher"]["restart"] == "no"  # one-shot


def test_every_mounted_file_exists(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for source, _ in _bind_mounts(service):
            assert source.exists(), f"{name} mounts {source}, which does not exist"


def test_dependencies_exist_and_health_conditions_have_healthchecks(
    services: dict[str, Any],
) -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    for name, service in services.items():
        depends = service.get("depends_on", {})
        conditions = depends if isinstance(depends, dict) else {key: {} for key in depends}
        for target, options in conditions.items():
            assert target in services, f"{name} depends on unknown service {target}"
            if (options or {}).get("condition") == "service_healthy":
                built_here = services[target].get("build") == "."
                assert "healthcheck" in services[target] or (
                    built_here and "HEALTHCHECK" in dockerfile
                ), f"{name} waits for {target} to be healthy, which has no healthcheck"


def test_detente_service_uses_the_settings_defaults(services: dict[str, Any]) -> None:
    defaults = Settings()
    environment = services["detente"]["environment"]
    assert environment["DETENTE_INPUT_TOPIC"] == defaults.input_topic
    assert environment["DETENTE_OUTPUT_TOPIC"] == defaults.output_topic
    assert environment["DETENTE_DLQ_TOPIC"] == defaults.dlq_topic
    assert environment["DETENTE_CONSUMER_GROUP"] == defaults.consumer_group
    assert environment["DETENTE_PROCESSING_GUARANTEE"] == defaults.processing_guarantee
    assert int(environment["DETENTE_METRICS_PORT"]) == defaults.metrics_port
    assert f"{defaults.metrics_port}:{defaults.metrics_port}" in services["detente"]["ports"]
    # Every DETENTE_ variable names a real setting.
    for variable in environment:
        assert variable.removeprefix("DETENTE_").lower() in Settings.model_fields, variable


def test_detente_reaches_kafka_on_an_advertised_listener(services: dict[str, Any]) -> None:
    kafka = services["kafka"]["environment"]
    advertised = {
        listener.split("://", 1)[1] for listener in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    bootstrap = services["detente"]["environment"]["DETENTE_BOOTSTRAP_SERVERS"]
    assert bootstrap in advertised
    assert bootstrap.split(":")[0] == "kafka"


def test_publisher_sends_the_samples_to_the_input_topic(services: dict[str, Any]) -> None:
    publisher = services["publisher"]
    assert publisher["image"] == services["detente"]["image"]
    assert publisher["entrypoint"] == ["python", "scripts/publish_samples.py"]
    assert (PROJECT_ROOT / "scripts" / "publish_samples.py").is_file()
    arguments = publisher["command"]
    flags = dict(zip(arguments[::2], arguments[1::2], strict=True))
    assert flags["--topic"] == Settings().input_topic
    assert flags["--bootstrap"] == services["detente"]["environment"]["DETENTE_BOOTSTRAP_SERVERS"]
    assert publisher["depends_on"]["detente"]["condition"] == "service_healthy"


def test_detente_healthchecks_ask_readyz_on_the_metrics_port(services: dict[str, Any]) -> None:
    port = str(Settings().metrics_port)
    check = " ".join(services["detente"]["healthcheck"]["test"])
    assert "/readyz" in check
    assert f"'DETENTE_METRICS_PORT', '{port}'" in check
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    healthcheck = dockerfile.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert "/readyz" in healthcheck
    assert f"'DETENTE_METRICS_PORT', '{port}'" in healthcheck
    assert re.search(rf"^EXPOSE {port}$", dockerfile, re.MULTILINE)


def test_the_image_runs_as_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert users, "the Dockerfile sets no USER: the service would run as root"
    assert users[-1] not in ("root", "0")


# Prometheus


def test_prometheus_loads_the_project_config_and_rules(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    config_path = _flag(prometheus["command"], "config.file")
    assert _host_path(prometheus, config_path) == PROMETHEUS_CONFIG
    config = _yaml(PROMETHEUS_CONFIG)
    container_dir = PurePosixPath(config_path).parent
    for rule_file in config["rule_files"]:
        assert _host_path(prometheus, str(container_dir / rule_file)) == RULES


def test_prometheus_scrapes_detente_on_its_metrics_port(services: dict[str, Any]) -> None:
    config = _yaml(PROMETHEUS_CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for group in jobs["detente"]["static_configs"] for t in group["targets"]]
    assert targets == [f"detente:{Settings().metrics_port}"]
    assert "detente" in services
    assert jobs["detente"].get("metrics_path", "/metrics") == "/metrics"


def test_every_alert_is_documented_labelled_and_unit_tested() -> None:
    rules = [rule for group in _yaml(RULES)["groups"] for rule in group["rules"]]
    alerts = {rule["alert"] for rule in rules if "alert" in rule}
    assert {
        "DetenteConsumerLagGrowing",
        "DetenteDeadLetterRateHigh",
        "DetenteNoOutputWhileInputWaits",
        "DetenteTransactionsAborting",
        "DetenteEscalationShareSpike",
    } <= alerts
    tested_firing: set[str] = set()
    tested_silent: set[str] = set()
    for path in RULE_TESTS.glob("*.yml"):
        for case in _yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (tested_firing if check["exp_alerts"] else tested_silent).add(check["alertname"])
    assert tested_firing == alerts, "every alert needs a case where it fires"
    assert tested_silent == alerts, "every alert needs a case where it stays silent"
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]


def test_rules_use_only_documented_metrics() -> None:
    documented = set(documented_families(METRICS_DOC))
    for group in _yaml(RULES)["groups"]:
        for rule in group["rules"]:
            for name in re.findall(r"\bdetente_[a-z_]+", rule["expr"]):
                assert name in documented, f"{rule['alert']} uses undocumented {name}"


# Grafana


def test_grafana_provisions_the_datasource_and_the_dashboard_folder(
    services: dict[str, Any],
) -> None:
    grafana = services["grafana"]
    assert _host_path(grafana, "/etc/grafana/provisioning/datasources") == DATASOURCES.parent
    assert _host_path(grafana, "/etc/grafana/provisioning/dashboards") == DASHBOARD_PROVIDERS.parent
    providers = _yaml(DASHBOARD_PROVIDERS)["providers"]
    assert len(providers) == 1
    assert _host_path(grafana, providers[0]["options"]["path"]) == DASHBOARD.parent
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert _host_path(grafana, home) == DASHBOARD


def test_the_datasource_points_at_the_compose_prometheus(services: dict[str, Any]) -> None:
    (datasource,) = _yaml(DATASOURCES)["datasources"]
    assert datasource["type"] == "prometheus"
    listen_port = _flag(services["prometheus"]["command"], "web.listen-address").rsplit(":", 1)[1]
    assert datasource["url"] == f"http://prometheus:{listen_port}"
    scrape_interval = _yaml(PROMETHEUS_CONFIG)["global"]["scrape_interval"]
    assert datasource["jsonData"]["timeInterval"] == scrape_interval


def test_every_panel_query_and_variable_uses_the_provisioned_datasource(
    board: dict[str, Any],
) -> None:
    (datasource,) = _yaml(DATASOURCES)["datasources"]
    provisioned = {"type": "prometheus", "uid": datasource["uid"]}
    checked = 0
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == provisioned, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for query in panel["targets"]:
            assert query["datasource"] == provisioned, panel["title"]
            checked += 1
    for variable in board["templating"]["list"]:
        assert variable["datasource"] == provisioned, variable["name"]
    assert board["annotations"]["list"] == []  # none that could name another datasource
    assert checked >= 40


def test_dashboard_has_the_rows_and_a_sound_layout(board: dict[str, Any]) -> None:
    rows = [panel["title"] for panel in board["panels"] if panel["type"] == "row"]
    assert rows == ROW_TITLES
    ids = [panel["id"] for panel in panels(board)]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
    assert board["uid"] == "detente-overview"
    assert board["schemaVersion"] >= 39


def test_dashboard_variables_are_instance_and_topic_aware(board: dict[str, Any]) -> None:
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert set(variables) == {"job", "instance", "kafka_topic", "topic", "country"}
    assert variables["instance"]["multi"]
    assert variables["instance"]["includeAll"]
    assert "detente_topic_predictions_total" in variables["topic"]["definition"]
    assert "detente_consumer_lag_messages" in variables["kafka_topic"]["definition"]
    assert "detente_country_articles_total" in variables["country"]["definition"]
    assert variables["country"]["multi"]


def test_the_countries_row_has_its_three_panels(board: dict[str, Any]) -> None:
    titles = [panel["title"] for panel in panels(board)]
    row = titles.index("Countries")
    assert titles[row + 1 : row + 4] == [
        "Escalation articles per country",
        "Tone mix of $country",
        "Top movers",
    ]
    exprs = {p["title"]: p["targets"][0]["expr"] for p in panels(board) if p.get("targets")}
    assert exprs["Escalation articles per country"].startswith("topk(15, ")
    assert 'tone="escalation"' in exprs["Escalation articles per country"]
    assert 'country=~"$country"' in exprs["Tone mix of $country"]
    # Last hour against the trailing 24 hours.
    assert "offset 1h" in exprs["Top movers"]
    assert "offset 1d" in exprs["Top movers"]


def test_every_dashboard_query_uses_known_metrics_and_variables(board: dict[str, Any]) -> None:
    documented = set(documented_families(METRICS_DOC))
    variables = {variable["name"] for variable in board["templating"]["list"]}
    for panel in panels(board):
        for query in panel.get("targets", []):
            expr = query["expr"]
            for name in re.findall(r"\$\{?(\w+)", expr):
                assert name in variables | GRAFANA_VARIABLES, f"{panel['title']}: ${name}"
            for metric in re.findall(r"\bdetente_[a-z_]+", expr):
                family = re.sub(r"_(bucket|sum|count)$", "", metric)
                assert family in documented, f"{panel['title']}: {metric}"
            assert 'job=~"$job", instance=~"$instance"' in expr, panel["title"]


def test_dashboard_json_is_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "build_dashboard.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
