"""A real Prometheus server for the tests (Debian's `prometheus`), and the PromQL we ask it.

`start_prometheus` derives its config from deploy/prometheus/prometheus.yml: the same `detente` job
and rule files, scraping one test instance every second. `dashboard_queries` and `rule_queries`
extract every PromQL expression of the dashboard and the rules, with Grafana's template variables
replaced the way Grafana itself would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tests.integration.kafka_helpers import PROJECT_ROOT, free_port

PROMETHEUS_CONFIG = PROJECT_ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "dashboards" / "detente.json"
RULES = PROJECT_ROOT / "deploy" / "prometheus" / "rules" / "detente.rules.yml"
JOB = "detente"

T = TypeVar("T")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(
            f"{name} is not installed: `make test` installs it (scripts/ensure-debian-tools)"
        )
    return path


@dataclass
class PrometheusServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        try:
            url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{query}"
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 400/422 carry the PromQL error as JSON
            return json.loads(error.read())

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query that must succeed; its (possibly empty) vector or scalar."""
        answer = self.api("query", query=expr)
        assert answer["status"] == "success", f"{expr}\n{answer}"
        data = answer["data"]
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_prometheus(workdir: Path, detente_port: int) -> PrometheusServer:
    """Prometheus on a free loopback port, scraping detente at `detente_port` every second."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    config["global"] = {
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "evaluation_interval": "1s",
    }
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / path) for path in config["rule_files"]]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == JOB]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{detente_port}"]}]
    config["scrape_configs"] = [job]
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log_path = workdir / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=log,
        )
    server = PrometheusServer(process, port, log_path)
    try:
        wait_for(lambda: _answers(server), "Prometheus to be ready", 60, server)
    except BaseException:
        server.stop()
        raise
    return server


def _answers(server: PrometheusServer) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/-/ready", timeout=2) as r:
            return int(r.status) == 200
    except OSError:
        return False


def wait_for(
    condition: Callable[[], T | bool | None],
    what: str,
    timeout_s: float,
    server: PrometheusServer | None = None,
) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server is not None and server.process.poll() is not None:
            raise AssertionError(f"Prometheus exited while waiting for {what}:\n{server.log()}")
        result = condition()
        if result:
            return result  # type: ignore[return-value]
        time.sleep(0.5)
    log = server.log() if server is not None else ""
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{log}")


# PromQL of the dashboard and the rules


@dataclass(frozen=True)
class Query:
    where: str
    expr: str


def grafana_regex(*values: str) -> str:
    """A multi-value variable as Grafana writes it into `=~"..."`: escaped, joined as (a|b)."""
    escaped = [re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value) for value in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(expr: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, expr)


def dashboard_panels() -> Iterator[dict[str, Any]]:
    for panel in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(variables: Mapping[str, str]) -> list[Query]:
    return [
        Query(
            f"panel '{panel['title']}' query {target['refId']}",
            interpolate(target["expr"], variables),
        )
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
    ]


def dashboard_variable_queries(variables: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(name, series selector, label) of each `label_values(selector, label)` variable."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = []
    for variable in board["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
        assert match, f"variable {variable['name']}: not a label_values() query"
        found.append((variable["name"], interpolate(match.group(1), variables), match.group(2)))
    return found


def rule_queries() -> list[Query]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [
        Query(f"rule {rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in groups
        for rule in group["rules"]
    ]
