"""CPU of the output-size checks per record, beside the whole pure pipeline's, in one process.

    python -m bench.size_check_cost [--records 2000] [--repeats 5]

Issue 10 asks that the checks which keep every output within its topic's limit cost under 2 % of
the pipeline's CPU per record. The checks that every record pays are: the key's size
(`check_key`), the id's size in UTF-8, and `fits` on the outbound record (shortening and excerpt
cutting run only for records that fail it, which a normal stream never has). Both sides are
timed with `time.process_time` over the same records, in one process, median of `--repeats`
runs. Writes `bench/results/size_checks.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.articles import encode, generate
from bench.measure import cpu_seconds
from classifier.artifact import load_classifier
from consumer.output_fit import fits
from consumer.pipeline import output_fits, process_batch
from consumer.records import InboundRecord, OutboundKind, OutboundRecord
from consumer.service import assumed_output_limits, pipeline_config
from consumer.settings import Settings
from consumer.validation import InputLimits, check_key

RESULTS = Path(__file__).resolve().parent / "results" / "size_checks.json"
BATCH = 250


def _records(count: int) -> list[InboundRecord]:
    articles = generate(count, seed=11)
    values = [encode(article) for article in articles]
    # One record in 20 is bad input, as a dead letter pays its own check.
    values = [b"not json" if i % 20 == 19 else v for i, v in enumerate(values)]
    return [
        InboundRecord("raw", 0, i, str(a["id"]).encode(), v, 0)
        for i, (a, v) in enumerate(zip(articles, values, strict=True))
    ]


def _checks(
    records: Sequence[InboundRecord], outputs: Sequence[OutboundRecord], limits: InputLimits
) -> Callable[[], object]:
    out_limits = assumed_output_limits(Settings())
    ids = [out.tagged.id if out.tagged is not None else None for out in outputs]

    def run() -> int:
        fitting = 0
        for record, out, article_id in zip(records, outputs, ids, strict=True):
            check_key(record.key, limits)
            if article_id is not None:
                fitting += len(article_id.encode("utf-8")) <= limits.max_id_bytes
            fitting += output_fits(out, out_limits)
        return fitting

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    settings = Settings()
    config = pipeline_config(settings)
    limits = assumed_output_limits(settings)
    model = load_classifier(settings.model_dir)
    records = _records(args.records)
    outputs = [o for i in range(0, len(records), BATCH) for o in
               process_batch(records[i : i + BATCH], model, config, limits)]  # fmt: skip
    assert all(fits(o.key, o.value, limits.tagged_bytes) for o in outputs)

    def pipeline() -> None:
        for i in range(0, len(records), BATCH):
            process_batch(records[i : i + BATCH], model, config, limits)

    # The checks take microseconds per batch: run them many times over to time them reliably.
    loops = 200
    check_once = _checks(records, outputs, config.limits)
    pipeline_s = cpu_seconds(pipeline, args.repeats) / len(records)
    checks_s = cpu_seconds(lambda: [check_once() for _ in range(loops)], args.repeats)
    checks_s /= loops * len(records)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": len(records),
        "dead_letters": sum(o.kind is OutboundKind.DEAD_LETTER for o in outputs),
        "repeats": args.repeats,
        "model": {"name": model.info.name, "version": model.info.version},
        "pipeline_cpu_us_per_record": round(pipeline_s * 1e6, 2),
        "size_checks_cpu_us_per_record": round(checks_s * 1e6, 4),
        "size_checks_share_of_pipeline": round(checks_s / pipeline_s, 5),
        "target_share": 0.02,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
