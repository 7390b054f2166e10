"""Write the Grafana dashboard `deploy/grafana/dashboards/detente.json` from this description.

    python scripts/build_dashboard.py          # rewrite the JSON
    python scripts/build_dashboard.py --check  # exit 1 if the JSON is not what this script writes

The JSON is what Grafana provisions and what users import; this script is how it is edited, so
that queries, units and layout stay consistent. Rows follow the RED method plus saturation:
throughput and errors, latency, lag and saturation, what the model says, countries, service
health.
Every panel and query uses the provisioned Prometheus datasource (`DATASOURCE_UID`), and every
query selects `job=~"$job", instance=~"$instance"`. Metrics are described in docs/metrics.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "deploy" / "grafana" / "dashboards" / "detente.json"

DATASOURCE_UID = "detente-prometheus"  # deploy/grafana/provisioning/datasources/prometheus.yml
DATASOURCE = {"type": "prometheus", "uid": DATASOURCE_UID}
SEL = 'job=~"$job", instance=~"$instance"'
RATE = "$__rate_interval"

Json = dict[str, Any]


class Layout:
    """Hands out ids and grid positions, row by row, 24 columns wide."""

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self._next_id = 1
        self._y = 0
        self._x = 0
        self._row_height = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "type": "row",
                "id": self._id(),
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y},
                "panels": [],
            }
        )
        self._y += 1

    def add(self, panel: Json, width: int, height: int) -> None:
        if self._x + width > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": height, "w": width, "x": self._x, "y": self._y}
        self.panels.append(panel)
        self._x += width
        self._row_height = max(self._row_height, height)

    def _newline(self) -> None:
        self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


def target(
    expr: str, legend: str = "__auto", ref: str = "A", *, instant: bool = False, fmt: str = ""
) -> Json:
    query: Json = {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "range": not instant,
        "instant": instant,
        "refId": ref,
    }
    if fmt:
        query["format"] = fmt
    return query


def targets(*queries: tuple[str, str]) -> list[Json]:
    return [
        target(expr, legend, chr(ord("A") + index)) for index, (expr, legend) in enumerate(queries)
    ]


def thresholds(*steps: tuple[float | None, str]) -> Json:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for value, color in steps],
    }


GREEN = thresholds((None, "green"))


def field_defaults(unit: str, **extra: Any) -> Json:
    defaults: Json = {"unit": unit, "color": {"mode": "palette-classic"}, "thresholds": GREEN}
    defaults.update(extra)
    return defaults


def timeseries(
    title: str,
    description: str,
    queries: list[Json],
    unit: str,
    *,
    stack: str = "none",
    minimum: float | None = 0,
    maximum: float | None = None,
    fill: int = 10,
    draw: str = "line",
) -> Json:
    custom: Json = {
        "drawStyle": draw,
        "lineWidth": 1,
        "fillOpacity": fill,
        "gradientMode": "none",
        "showPoints": "never",
        "pointSize": 4,
        "spanNulls": False,
        "lineInterpolation": "linear",
        "axisPlacement": "auto",
        "axisLabel": "",
        "axisBorderShow": False,
        "axisCenteredZero": False,
        "axisColorMode": "text",
        "barAlignment": 0,
        "scaleDistribution": {"type": "linear"},
        "stacking": {"mode": stack, "group": "A"},
        "thresholdsStyle": {"mode": "off"},
        "hideFrom": {"legend": False, "tooltip": False, "viz": False},
    }
    defaults = field_defaults(unit, custom=custom)
    if minimum is not None:
        defaults["min"] = minimum
    if maximum is not None:
        defaults["max"] = maximum
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": queries,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {
                "showLegend": True,
                "displayMode": "list",
                "placement": "bottom",
                "calcs": [],
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def bargauge(title: str, description: str, expr: str, legend: str, colors: str) -> Json:
    """A horizontal bar per series of an instant query (a top-N ranking)."""
    return {
        "type": "bargauge",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": [target(expr, legend, instant=True)],
        "fieldConfig": {
            "defaults": field_defaults("short", color={"mode": colors}, min=0),
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"values": False, "calcs": ["lastNotNull"], "fields": ""},
            "orientation": "horizontal",
            "displayMode": "gradient",
            "valueMode": "color",
            "namePlacement": "auto",
            "showUnfilled": True,
            "sizing": "auto",
            "minVizWidth": 8,
            "minVizHeight": 16,
            "maxVizHeight": 300,
            "legend": {
                "showLegend": False,
                "displayMode": "list",
                "placement": "bottom",
                "calcs": [],
            },
        },
    }


def stat(
    title: str,
    description: str,
    expr: str,
    unit: str,
    steps: Json = GREEN,
    *,
    mappings: list[Json] | None = None,
    decimals: int | None = None,
    legend: str = "__auto",
    text_mode: str = "auto",
) -> Json:
    defaults = field_defaults(unit, thresholds=steps, color={"mode": "thresholds"})
    if mappings:
        defaults["mappings"] = mappings
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": [target(expr, legend, instant=True)],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"values": False, "calcs": ["lastNotNull"], "fields": ""},
            "orientation": "auto",
            "textMode": text_mode,
            "wideLayout": True,
            "colorMode": "value" if text_mode != "name" else "none",
            "graphMode": "none",
            "justifyMode": "auto",
            "showPercentChange": False,
            "percentChangeColorMode": "standard",
        },
    }


def heatmap(title: str, description: str, expr: str, unit: str) -> Json:
    return {
        "type": "heatmap",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": [target(expr, "{{le}}", fmt="heatmap")],
        "fieldConfig": {
            "defaults": {
                "custom": {
                    "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                    "scaleDistribution": {"type": "linear"},
                }
            },
            "overrides": [],
        },
        "options": {
            "calculate": False,
            "cellGap": 1,
            "color": {
                "mode": "scheme",
                "scheme": "Oranges",
                "fill": "dark-orange",
                "scale": "exponential",
                "exponent": 0.5,
                "steps": 64,
                "reverse": False,
            },
            "exemplars": {"color": "rgba(255,0,255,0.7)"},
            "filterValues": {"le": 1e-9},
            "legend": {"show": True},
            "rowsFrame": {"layout": "auto"},
            "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
            "yAxis": {"axisPlacement": "left", "reverse": False, "unit": unit},
            "showValue": "never",
            "cellValues": {"unit": "short"},
        },
    }


def percentiles(metric: str, what: str) -> list[Json]:
    return targets(
        *(
            (
                f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{{SEL}}}[{RATE}])))",
                f"p{round(q * 100)} {what}",
            )
            for q in (0.5, 0.9, 0.99)
        )
    )


def throughput_and_errors(layout: Layout) -> None:
    layout.row("Throughput and errors")
    consumed = f"sum(rate(detente_messages_consumed_total{{{SEL}}}[{RATE}]))"
    tagged = f"sum(rate(detente_messages_tagged_total{{{SEL}}}[{RATE}]))"
    dead = f"sum(rate(detente_messages_dead_lettered_total{{{SEL}}}[{RATE}]))"
    committed = f"sum(rate(detente_transactions_committed_total{{{SEL}}}[{RATE}]))"
    aborted = f'sum(rate(detente_transactions_aborted_total{{{SEL}, cause="error"}}[{RATE}]))'
    probes = (
        f'sum(rate(detente_transactions_aborted_total{{{SEL}, cause="refused_record"}}[{RATE}]))'
    )
    layout.add(
        stat("Input", "Records polled from the input topic per second.", consumed, "cps"), 6, 4
    )
    layout.add(
        stat("Tagged", "Articles tagged and produced per second.", tagged, "cps"),
        6,
        4,
    )
    layout.add(
        stat(
            "Dead-letter ratio",
            "Share of the input sent to the dead-letter topic (alert: above 5% for 10 min).",
            f"{dead} / {consumed}",
            "percentunit",
            thresholds((None, "green"), (0.01, "yellow"), (0.05, "red")),
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Transaction abort ratio",
            "Transactions aborted by a failure / all (exactly-once mode; aborted batches are"
            " redone). Aborts that find a record the broker refused are not counted here.",
            f"{aborted} / ({committed} + {aborted})",
            "percentunit",
            thresholds((None, "green"), (0.01, "yellow"), (0.1, "red")),
        ),
        6,
        4,
    )
    layout.add(
        timeseries(
            "Records per second",
            "Rate: records in, articles tagged, records dead-lettered.",
            targets((consumed, "consumed"), (tagged, "tagged"), (dead, "dead-lettered")),
            "cps",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Dead letters by reason",
            "Errors: which validation step rejected the records (reason codes: docs/schemas).",
            targets(
                (
                    "sum by (reason) (rate(detente_messages_dead_lettered_total"
                    f"{{{SEL}}}[{RATE}])) > 0",
                    "{{reason}}",
                )
            ),
            "cps",
            stack="normal",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Kafka transactions per second",
            "Committed and aborted transactions (one per batch in exactly-once mode). 'aborted"
            " (refused record)': aborts by design that find a record the broker refused.",
            targets(
                (committed, "committed"),
                (aborted, "aborted (failure)"),
                (probes, "aborted (refused record)"),
            ),
            "ops",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Records per second by instance",
            "How the consumer group spreads the input over the instances.",
            targets(
                (
                    f"sum by (instance) (rate(detente_messages_consumed_total{{{SEL}}}[{RATE}]))",
                    "{{instance}}",
                )
            ),
            "cps",
        ),
        12,
        8,
    )


def latency(layout: Layout) -> None:
    layout.row("Latency")
    layout.add(
        timeseries(
            "Batch processing time",
            "Validate, classify, produce and commit one polled batch: percentiles.",
            percentiles("detente_batch_processing_seconds", "batch"),
            "s",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Processing time per message",
            "Batch processing time divided by the records in the batch: percentiles.",
            percentiles("detente_message_processing_seconds", "message"),
            "s",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "End-to-end latency",
            "From the input record's Kafka timestamp to its result being committed.",
            percentiles("detente_end_to_end_latency_seconds", "end-to-end"),
            "s",
        ),
        8,
        8,
    )
    layout.add(
        heatmap(
            "End-to-end latency distribution",
            "Records per latency bucket over time.",
            f"sum by (le) (increase(detente_end_to_end_latency_seconds_bucket{{{SEL}}}[{RATE}]))",
            "s",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Batch size",
            "Records per polled batch: mean and 99th percentile. Full batches mean a backlog.",
            targets(
                (
                    f"sum(rate(detente_batch_size_messages_sum{{{SEL}}}[{RATE}]))"
                    f" / sum(rate(detente_batch_size_messages_count{{{SEL}}}[{RATE}]))",
                    "mean",
                ),
                (
                    "histogram_quantile(0.99, sum by (le) "
                    f"(rate(detente_batch_size_messages_bucket{{{SEL}}}[{RATE}])))",
                    "p99",
                ),
            ),
            "short",
        ),
        12,
        8,
    )


def lag_and_saturation(layout: Layout) -> None:
    layout.row("Lag and saturation")
    lag_sel = f'{SEL}, topic=~"$kafka_topic"'
    layout.add(
        stat(
            "Consumer lag",
            "Records waiting in the assigned input partitions (high watermark - next offset).",
            f"sum(detente_consumer_lag_messages{{{lag_sel}}})",
            "short",
            thresholds((None, "green"), (100, "yellow"), (1000, "red")),
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Consumer lag in time",
            "How long records have been waiting: time since the newest processed record's "
            "timestamp while any are waiting, else 0 (alert: above 10 min).",
            f"max(detente_consumer_lag_seconds{{{SEL}}})",
            "s",
            thresholds((None, "green"), (60, "yellow"), (600, "red")),
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Last record processed",
            "Age of the newest record processed (long on a quiet input, that is fine).",
            f"time() - max(detente_last_processed_record_timestamp_seconds{{{SEL}}} > 0)",
            "s",
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Loop busy",
            "Share of wall time the processing loop spends on batches: near 100% it is "
            "saturated and lag will grow.",
            f"max(sum by (instance) (rate(detente_batch_processing_seconds_sum{{{SEL}}}[{RATE}])))",
            "percentunit",
            thresholds((None, "green"), (0.7, "yellow"), (0.9, "red")),
        ),
        6,
        4,
    )
    layout.add(
        timeseries(
            "Consumer lag by partition",
            "Records waiting, per input partition (kafka-lag-exporter's offset lag).",
            targets(
                (
                    f"sum by (topic, partition) (detente_consumer_lag_messages{{{lag_sel}}})",
                    "{{topic}}/{{partition}}",
                )
            ),
            "short",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Consumer lag in time",
            "Lag in seconds per instance, computed at scrape time, and the age of the newest "
            "processed record.",
            targets(
                (
                    f"max by (instance) (detente_consumer_lag_seconds{{{SEL}}})",
                    "lag {{instance}}",
                ),
                (
                    "time() - max by (instance) "
                    f"(detente_last_processed_record_timestamp_seconds{{{SEL}}} > 0)",
                    "last record age {{instance}}",
                ),
            ),
            "s",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Lag growth",
            "Change of the lag per second (positive: input outpaces processing).",
            targets(
                (
                    f"sum by (instance) (deriv(detente_consumer_lag_messages{{{lag_sel}}}[5m]))",
                    "{{instance}}",
                )
            ),
            "short",
            minimum=None,
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Loop busy and CPU",
            "Saturation: seconds spent on batches and CPU seconds per second, per instance.",
            targets(
                (
                    "sum by (instance) "
                    f"(rate(detente_batch_processing_seconds_sum{{{SEL}}}[{RATE}]))",
                    "busy {{instance}}",
                ),
                (
                    f"sum by (instance) (rate(process_cpu_seconds_total{{{SEL}}}[{RATE}]))",
                    "cpu {{instance}}",
                ),
            ),
            "percentunit",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Memory",
            "Resident memory per instance.",
            targets(
                (
                    f"sum by (instance) (process_resident_memory_bytes{{{SEL}}})",
                    "{{instance}}",
                )
            ),
            "bytes",
        ),
        8,
        8,
    )


def what_the_model_says(layout: Layout) -> None:
    layout.row("What the model says")
    tones = f"detente_tone_predictions_total{{{SEL}}}"
    escalation = f'detente_tone_predictions_total{{{SEL}, tone="escalation"}}'
    topic_sel = f'{SEL}, topic=~"$topic"'
    tone_mix = timeseries(
        "Tone mix over time",
        "Share of the tagged articles by tone (escalation, de-escalation, neutral).",
        targets((f"sum by (tone) (rate({tones}[{RATE}]))", "{{tone}}")),
        "percentunit",
        stack="percent",
        fill=60,
    )
    tone_mix["fieldConfig"]["overrides"] = [
        _color_override("escalation", "red"),
        _color_override("de-escalation", "green"),
        _color_override("neutral", "blue"),
    ]
    layout.add(tone_mix, 12, 8)
    layout.add(
        timeseries(
            "Escalation share",
            "Share of articles read as escalation: last hour against the last 24 hours "
            "(the analysts' alert fires above 20% and 1.5 times the day before).",
            targets(
                (
                    f"sum(increase({escalation}[1h])) / sum(increase({tones}[1h]))",
                    "last hour",
                ),
                (
                    f"sum(increase({escalation}[1d])) / sum(increase({tones}[1d]))",
                    "last 24 hours",
                ),
            ),
            "percentunit",
            maximum=1,
            fill=0,
        ),
        12,
        8,
    )
    layout.add(
        {
            "type": "piechart",
            "title": "Tone mix in the time range",
            "description": "Tagged articles by tone over the dashboard's time range.",
            "datasource": DATASOURCE,
            "targets": [
                target(f"sum by (tone) (increase({tones}[$__range]))", "{{tone}}", instant=True)
            ],
            "fieldConfig": {
                "defaults": {
                    "unit": "short",
                    "color": {"mode": "palette-classic"},
                    "custom": {"hideFrom": {"legend": False, "tooltip": False, "viz": False}},
                },
                "overrides": [
                    _color_override("escalation", "red"),
                    _color_override("de-escalation", "green"),
                    _color_override("neutral", "blue"),
                ],
            },
            "options": {
                "reduceOptions": {"values": False, "calcs": ["lastNotNull"], "fields": ""},
                "pieType": "donut",
                "orientation": "auto",
                "displayLabels": ["percent"],
                "legend": {
                    "showLegend": True,
                    "displayMode": "list",
                    "placement": "right",
                    "calcs": [],
                    "values": ["value"],
                },
                "tooltip": {"mode": "single", "sort": "none"},
            },
        },
        6,
        8,
    )
    layout.add(
        bargauge(
            "Top topics",
            "The ten topics most assigned over the time range (an article counts once per topic"
            " it gets).",
            "topk(10, sum by (topic) (increase(detente_topic_predictions_total"
            f"{{{topic_sel}}}[$__range])))",
            "{{topic}}",
            "continuous-BlPu",
        ),
        9,
        8,
    )
    layout.add(
        timeseries(
            "Topics over time",
            "Articles per second by topic.",
            targets(
                (
                    "sum by (topic) (rate(detente_topic_predictions_total"
                    f"{{{topic_sel}}}[{RATE}])) > 0",
                    "{{topic}}",
                )
            ),
            "cps",
            stack="normal",
        ),
        9,
        8,
    )
    layout.add(
        heatmap(
            "Tone score distribution",
            "Articles per Goldstein-like score bucket (-10 conflict .. +10 cooperation).",
            f"sum by (le) (increase(detente_tone_score_bucket{{{SEL}}}[{RATE}]))",
            "short",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Tone score percentiles",
            "10th, 50th and 90th percentile of the scores (-10 conflict .. +10 cooperation), "
            "from the histogram's buckets: it has no _sum, its buckets go below zero.",
            targets(
                *(
                    (
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(detente_tone_score_bucket{{{SEL}}}[{RATE}])))",
                        f"p{round(q * 100)}",
                    )
                    for q in (0.1, 0.5, 0.9)
                )
            ),
            "short",
            minimum=-10,
            maximum=10,
            fill=0,
        ),
        12,
        8,
    )


def service_health(layout: Layout) -> None:
    layout.row("Service health")
    up_down = [
        {
            "type": "value",
            "options": {
                "0": {"text": "down", "color": "red", "index": 0},
                "1": {"text": "up", "color": "green", "index": 1},
            },
        }
    ]
    ready = [
        {
            "type": "value",
            "options": {
                "0": {"text": "not ready", "color": "red", "index": 0},
                "1": {"text": "ready", "color": "green", "index": 1},
            },
        }
    ]
    red_green = thresholds((None, "red"), (1, "green"))
    layout.add(
        stat(
            "Scraped",
            "Prometheus reaches each instance's /metrics.",
            f"up{{{SEL}}}",
            "none",
            red_green,
            mappings=up_down,
            legend="{{instance}}",
        ),
        4,
        4,
    )
    layout.add(
        stat(
            "Ready",
            "/readyz: broker reachable, partitions assigned, loop polling, model loaded.",
            f"detente_ready{{{SEL}}}",
            "none",
            red_green,
            mappings=ready,
            legend="{{instance}}",
        ),
        4,
        4,
    )
    layout.add(
        stat(
            "Uptime",
            "Time since each instance's process started.",
            f"time() - process_start_time_seconds{{{SEL}}}",
            "s",
            legend="{{instance}}",
        ),
        4,
        4,
    )
    layout.add(
        stat(
            "Rebalances",
            "Partition assignments received in the time range (many: instances flapping).",
            f"sum(increase(detente_rebalances_total{{{SEL}}}[$__range]))",
            "short",
            thresholds((None, "green"), (10, "yellow")),
            decimals=0,
        ),
        4,
        4,
    )
    layout.add(
        stat(
            "Model",
            "The loaded model (detente_model_info), per instance.",
            f"detente_model_info{{{SEL}}}",
            "none",
            legend="{{name}} {{version}}",
            text_mode="name",
        ),
        4,
        4,
    )
    layout.add(
        stat(
            "Release",
            "The running detente release and Python (detente_build_info), per instance.",
            f"detente_build_info{{{SEL}}}",
            "none",
            legend="detente {{version}}, Python {{python}}",
            text_mode="name",
        ),
        4,
        4,
    )
    layout.add(
        timeseries(
            "Ready over time",
            "1 ready, 0 not ready (alert: not ready for 5 min); up is Prometheus' scrape.",
            targets(
                (f"detente_ready{{{SEL}}}", "ready {{instance}}"),
                (f"up{{{SEL}}}", "up {{instance}}"),
            ),
            "none",
            maximum=1,
            fill=0,
            draw="line",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Partitions and rebalances",
            "Input partitions assigned to each instance, and rebalances.",
            targets(
                (
                    f"sum by (instance) (detente_assigned_partitions{{{SEL}}})",
                    "partitions {{instance}}",
                ),
                (
                    f"sum by (instance) (increase(detente_rebalances_total{{{SEL}}}[{RATE}]))",
                    "rebalances {{instance}}",
                ),
            ),
            "short",
            fill=0,
        ),
        12,
        8,
    )


def _born_aware_count(selector: str, window: str) -> str:
    """Articles counted by `selector` within `window`, per country, including series born inside it.

    The per-country counter creates a series on first use, so its first samples already hold the
    first articles and `increase()` would miss them: here a series that did not exist at the
    window's start counts from 0. Restarts are clamped rather than followed (a dashboard figure;
    the alert uses `increase`)."""
    then = f"(detente_country_articles_total{{{selector}}} offset {window}) * 1"
    zero = f"detente_country_articles_total{{{selector}}} * 0"
    return (
        f"clamp_min(sum by (country) (detente_country_articles_total{{{selector}}})"
        f" - sum by (country) ({then} or {zero}), 0)"
    )


ESCALATION_SEL = f'{SEL}, tone="escalation"'


def _escalation_share(window: str) -> str:
    escalation = _born_aware_count(ESCALATION_SEL, window)
    every = _born_aware_count(SEL, window)
    return f"({escalation} / clamp_min({every}, 1))"


def countries(layout: Layout) -> None:
    layout.row("Countries")
    layout.add(
        bargauge(
            "Escalation articles per country",
            "The 15 countries with the most escalation articles over the time range, counting an"
            " article for its first two (most central) countries.",
            f"topk(15, {_born_aware_count(ESCALATION_SEL, '$__range')})",
            "{{country}}",
            "continuous-YlRd",
        ),
        8,
        9,
    )
    mix = timeseries(
        "Tone mix of $country",
        "Articles per second about the chosen countries (the `country` variable), by tone: "
        "each article counts for its first two countries.",
        targets(
            (
                "sum by (tone) (rate(detente_country_articles_total"
                f'{{{SEL}, country=~"$country"}}[{RATE}]))',
                "{{tone}}",
            )
        ),
        "cps",
        stack="normal",
        fill=60,
    )
    mix["fieldConfig"]["overrides"] = [
        _color_override("escalation", "red"),
        _color_override("de-escalation", "green"),
        _color_override("neutral", "blue"),
    ]
    layout.add(mix, 8, 9)
    layout.add(
        {
            "type": "table",
            "title": "Top movers",
            "description": "Biggest rise in escalation share: each country's share of escalation "
            "articles in the last hour minus its share over the trailing 24 hours (0 to 1; a "
            "country needs articles in the window to move).",
            "datasource": DATASOURCE,
            "targets": [
                target(
                    f"topk(10, {_escalation_share('1h')} - {_escalation_share('1d')})",
                    "{{country}}",
                    instant=True,
                    fmt="table",
                )
            ],
            "fieldConfig": {
                "defaults": {
                    "unit": "percentunit",
                    "decimals": 0,
                    "color": {"mode": "thresholds"},
                    "thresholds": thresholds((None, "green"), (0.2, "orange"), (0.4, "red")),
                    "custom": {
                        "align": "auto",
                        "cellOptions": {"type": "color-text"},
                        "inspect": False,
                    },
                },
                "overrides": [],
            },
            "options": {
                "frameIndex": 0,
                "showHeader": True,
                "cellHeight": "sm",
                "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""},
                "sortBy": [{"displayName": "Value", "desc": True}],
            },
            "transformations": [
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True},
                        "renameByName": {"country": "Country", "Value": "Share rise"},
                    },
                }
            ],
        },
        8,
        9,
    )


def _color_override(name: str, color: str) -> Json:
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
    }


def variable(name: str, label: str, definition: str, *, multi: bool) -> Json:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "definition": definition,
        "query": {"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor"},
        "refresh": 2,  # on time range change: instances come and go
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "options": [],
        "regex": "",
        "hide": 0,
    }


def variables() -> Iterator[Json]:
    yield variable("job", "Job", "label_values(detente_build_info, job)", multi=False)
    yield variable(
        "instance",
        "Instance",
        'label_values(detente_build_info{job=~"$job"}, instance)',
        multi=True,
    )
    yield variable(
        "kafka_topic",
        "Input topic",
        f"label_values(detente_consumer_lag_messages{{{SEL}}}, topic)",
        multi=True,
    )
    yield variable(
        "topic",
        "News topic",
        f"label_values(detente_topic_predictions_total{{{SEL}}}, topic)",
        multi=True,
    )
    yield variable(
        "country",
        "Country",
        f"label_values(detente_country_articles_total{{{SEL}}}, country)",
        multi=True,
    )


def dashboard() -> Json:
    layout = Layout()
    throughput_and_errors(layout)
    latency(layout)
    lag_and_saturation(layout)
    what_the_model_says(layout)
    countries(layout)
    service_health(layout)
    return {
        "uid": "detente-overview",
        "title": "detente",
        "description": "detente: news articles tagged from Kafka. Throughput, errors, latency, "
        "lag, what the model says, and service health. Metrics: docs/metrics.md.",
        "tags": ["detente", "kafka"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m", "1h"]},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "refresh": "30s",
        "schemaVersion": 42,
        "version": 1,
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": list(variables())},
        "panels": layout.panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is stale: run python scripts/build_dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
