"""Publish the project's sample articles (samples/articles.jsonl) to the input topic.

    python scripts/publish_samples.py --bootstrap 127.0.0.1:9092 [--topic articles.raw]

Used by `make demo` and by the docker-compose `publisher` service.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from kafka import KafkaProducer

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "articles.jsonl"


def publish_samples(bootstrap: str, topic: str, with_malformed: bool = True) -> list[str]:
    """Send every sample, keyed by id, plus one malformed record; returns the keys sent."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    keys = []
    for line in SAMPLES.read_bytes().splitlines():
        article_id = json.loads(line)["id"]
        producer.send(topic, key=article_id.encode(), value=line)
        keys.append(article_id)
    if with_malformed:
        # Not an article: shows the dead-letter topic at work.
        producer.send(topic, key=b"not-an-article", value=b"<html>oops</html>")
        keys.append("not-an-article")
    producer.flush()
    producer.close()
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", default="articles.raw")
    parser.add_argument("--retry-for", type=float, default=60.0, help="seconds to wait for Kafka")
    args = parser.parse_args()
    deadline = time.monotonic() + args.retry_for
    while True:
        try:
            keys = publish_samples(args.bootstrap, args.topic)
            break
        except Exception as exc:  # the broker may still be starting in a compose stack
            if time.monotonic() > deadline:
                raise
            print(f"waiting for Kafka: {exc}", file=sys.stderr)
            time.sleep(2)
    print(f"published {len(keys)} records to {args.topic}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
