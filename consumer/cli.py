"""The `detente` command: serve, classify, train, evaluate, schemas."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from consumer.exit_codes import ExitCode
from consumer.settings import DEFAULT_MODEL_DIR, Settings

__all__ = ["main"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler: Any = args.handler
    return int(handler(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="detente", description="Tag news articles by topic and escalation tone."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the Kafka service (configured by DETENTE_*)")
    serve.set_defaults(handler=_serve)

    classify = commands.add_parser("classify", help="tag JSONL articles without Kafka")
    classify.add_argument("--input", default="-", help="JSONL articles (input schema); - = stdin")
    classify.add_argument("--output", default="-", help="JSONL tagged articles; - = stdout")
    classify.add_argument("--rejects", help="JSONL of rejected lines (default: stderr)")
    classify.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    classify.add_argument("--batch-size", type=int, default=256)
    classify.set_defaults(handler=_classify)

    train = commands.add_parser(
        "train",
        help="build the corpus and train the models (needs the shared datasets, --data-dir)",
    )
    train.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    train.add_argument(
        "--extra",
        type=Path,
        help="your labelled articles (JSONL, the evaluate format) added to the article level",
    )
    train.add_argument(
        "--extra-weight", type=float, default=1.0, help="sample weight of each --extra article"
    )
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser(
        "evaluate", help="score the model on labelled JSONL articles (article-level metrics)"
    )
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    evaluate.add_argument(
        "--confidence-cut", type=float, default=0.7, help="report precision at this confidence"
    )
    evaluate.set_defaults(handler=_evaluate)

    schemas = commands.add_parser("schemas", help="write the topics' JSON Schemas")
    schemas.add_argument("--out", type=Path, default=Path("docs/schemas"))
    schemas.set_defaults(handler=_schemas)
    return parser


def _serve(_args: argparse.Namespace) -> int:
    from consumer.logs import configure_logging
    from consumer.service import serve

    try:
        settings = Settings()
    except ValidationError as exc:
        configure_logging("INFO")
        # Locations and messages only: pydantic would echo the input, and it may be a secret.
        problems = "; ".join(
            f"DETENTE_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        logging.getLogger("consumer.service").error(
            "cannot start: invalid settings: %s", problems, extra={"cause": "configuration"}
        )
        return ExitCode.CANNOT_START
    configure_logging(settings.log_level)
    return serve(settings)


def _classify(args: argparse.Namespace) -> int:
    from classifier.artifact import load_classifier
    from consumer.batch_mode import classify_lines
    from consumer.service import pipeline_config

    settings = Settings()
    model = load_classifier(args.model_dir)
    started = time.perf_counter()
    with (
        _open_in(args.input) as source,
        _open_out(args.output) as output,
        _open_out(args.rejects) as rejects,
    ):
        report = classify_lines(
            source, model, pipeline_config(settings), output, rejects, args.batch_size
        )
    seconds = time.perf_counter() - started
    rate = report.read / seconds if seconds > 0 else 0.0
    print(
        f"classify: {report.read} read, {report.tagged} tagged, {report.rejected} rejected"
        f" in {seconds:.2f} s ({rate:.0f} articles/s)",
        file=sys.stderr,
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from classifier.training import train

    if not args.data_dir.is_dir():
        print(
            f"train: the training datasets are not at {args.data_dir}: training reads the shared"
            " corpora and news_articles_labelled there (point --data-dir at them)",
            file=sys.stderr,
        )
        return 2
    if args.extra is not None and not args.extra.is_file():
        print(f"train: --extra {args.extra} is not a file", file=sys.stderr)
        return 2

    def progress(message: str) -> None:
        print(f"train: {message}", file=sys.stderr, flush=True)

    train(args.data_dir, args.out, progress, extra=args.extra, extra_weight=args.extra_weight)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from classifier.artifact import load_classifier
    from classifier.training.evaluation import evaluate_file

    metrics = evaluate_file(args.data, load_classifier(args.model_dir), args.confidence_cut)
    print(json.dumps(metrics, indent=2))
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from consumer.schemas import json_schemas

    args.out.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        path = args.out / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        print(path)
    return 0


@contextlib.contextmanager
def _open_in(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
    else:
        with Path(name).open("rb") as handle:
            yield handle


@contextlib.contextmanager
def _open_out(name: str | None) -> Iterator[IO[str]]:
    if name is None:
        yield sys.stderr
    elif name == "-":
        yield sys.stdout
    else:
        with Path(name).open("w", encoding="utf-8") as handle:
            yield handle
