"""The service's exceptions: one root, and a `retriable` flag that decides retry versus stop.

    DetenteError (retriable=False)
    ├── StartupError          the broker, topics or model are not usable: exit non-zero at start
    ├── DeliveryError         producing or committing a batch failed
    │   └── RetriableDeliveryError (retriable=True)  the broker may recover: back off, try again
    └── BatchAbortedError (retriable=True)  the batch's transaction was aborted and the consumer
                              rewound: its records are polled and processed again

Bad input is never an exception: it is a `Rejection` value that becomes a dead letter.
"""

from __future__ import annotations

__all__ = [
    "BatchAbortedError",
    "DeliveryError",
    "DetenteError",
    "RetriableDeliveryError",
    "StartupError",
]


class DetenteError(Exception):
    retriable: bool = False


class StartupError(DetenteError):
    pass


class DeliveryError(DetenteError):
    pass


class RetriableDeliveryError(DeliveryError):
    retriable = True


class BatchAbortedError(DetenteError):
    retriable = True
