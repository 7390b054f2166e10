"""The naive peer of the pipeline benchmark: one record at a time, every step synchronous.

Poll one record, validate and classify it alone, send the result and wait for its
acknowledgement, commit that record's offset synchronously, repeat. This is what a first
per-message Kafka consumer looks like; it uses the same model, the same pure pipeline and the same
Kafka client as detente, so the difference measured is the batching and nothing else.

    DETENTE_BOOTSTRAP_SERVERS=... DETENTE_INPUT_TOPIC=... python -m bench.naive_consumer

Reads the same `DETENTE_*` variables as `detente serve` (topics, group, model directory); stops
on SIGTERM after the record in hand.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata

from classifier.artifact import load_classifier
from consumer.kafka_io import inbound_record
from consumer.pipeline import process_batch
from consumer.service import assumed_output_limits, pipeline_config
from consumer.settings import Settings

READY_LINE = "naive consumer: polling"


def main() -> int:
    settings = Settings()
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    model = load_classifier(settings.model_dir)
    config = pipeline_config(settings)
    limits = assumed_output_limits(settings)
    servers = settings.bootstrap_servers.split(",")
    consumer = KafkaConsumer(
        settings.input_topic,
        bootstrap_servers=servers,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=1,
    )
    producer = KafkaProducer(bootstrap_servers=servers, acks="all")
    print(READY_LINE, file=sys.stderr, flush=True)
    try:
        while not stop.is_set():
            for partition, messages in consumer.poll(timeout_ms=100, max_records=1).items():
                for message in messages:
                    (out,) = process_batch([inbound_record(message)], model, config, limits)
                    producer.send(out.topic, key=out.key, value=out.value).get(timeout=30)
                    consumer.commit({partition: OffsetAndMetadata(message.offset + 1, "", -1)})
    finally:
        producer.close(timeout=30)
        consumer.close(autocommit=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
