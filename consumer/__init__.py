"""detente's streaming service: Kafka I/O, the processing pipeline, the service loop and metrics."""
