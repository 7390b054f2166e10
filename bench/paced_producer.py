"""A steady producer for the latency measurement: `rate` articles a second, one at a time.

    python -m bench.paced_producer BOOTSTRAP TOPIC RATE SECONDS

Article i is sent at start + i / rate (never in bursts to catch up faster than that); each record's
timestamp is set by the producer when it is sent, and the latency is measured from it. Prints one
JSON line: how many were sent, the rate achieved and how far sending ever fell behind schedule.
"""

from __future__ import annotations

import json
import sys
import time

from kafka import KafkaProducer

from bench.articles import encode, generate

_DISTINCT = 2_000  # articles generated; later ones reuse their text under a new id


def main(argv: list[str]) -> int:
    bootstrap, topic, rate_text, seconds_text = argv
    rate, seconds = float(rate_text), float(seconds_text)
    count = int(rate * seconds)
    texts = generate(min(count, _DISTINCT), seed=11)
    values = []
    for i in range(count):
        article = {**texts[i % len(texts)], "id": f"lat-{i:07d}"}
        values.append((article["id"].encode(), encode(article)))
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    producer.partitions_for(topic)  # fetch metadata before the clock starts
    behind = 0.0
    start = time.perf_counter()
    for i, (key, value) in enumerate(values):
        due = start + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        else:
            behind = max(behind, now - due)
        producer.send(topic, key=key, value=value)
    elapsed = time.perf_counter() - start
    producer.flush(timeout=60)
    producer.close()
    report = {"sent": count, "rate": count / elapsed, "max_behind_s": behind}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
