"""The service's exceptions: one root, and a `retriable` flag that decides retry versus stop.

    DetenteError (retriable=False)
    ├── StartupError          the broker, topics, permissions or model are not usable: exit 2;
    │                         `cause` names which (one of STARTUP_CAUSES)
    ├── DeliveryError         producing or committing a batch failed: stop (exit 3)
    │   └── RetriableDeliveryError (retriable=True)  the broker may recover: back off, try again
    ├── BatchAbortedError (retriable=True)  the batch's transaction was aborted and the consumer
    │                         rewound: its records are polled and processed again
    └── OutputsRefusedError (retriable=True)  the broker refused some records of a batch for
                              reasons of their own; they are named, nothing else is lost

Bad input is never an exception: it is a `Rejection` value that becomes a dead letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "STARTUP_CAUSES",
    "BatchAbortedError",
    "DeliveryError",
    "DetenteError",
    "OutputsRefusedError",
    "RetriableDeliveryError",
    "StartupError",
]

# What a failed start can be blamed on: the `cause` field of the "cannot start" log line.
STARTUP_CAUSES: Final = frozenset(
    {
        "configuration",
        "broker_unreachable",
        "tls",
        "authentication",
        "authorization",
        "topics",
        "model",
    }
)


class DetenteError(Exception):
    retriable: bool = False


class StartupError(DetenteError):
    def __init__(self, message: str, cause: str = "broker_unreachable") -> None:
        if cause not in STARTUP_CAUSES:
            raise ValueError(f"unknown startup cause {cause!r}")
        super().__init__(message)
        self.cause = cause


class DeliveryError(DetenteError):
    pass


class RetriableDeliveryError(DeliveryError):
    retriable = True


class BatchAbortedError(DetenteError):
    retriable = True


class OutputsRefusedError(DetenteError):
    """Some records of a batch were refused for reasons of their own (too large, invalid).

    `refused` maps each refused record's index in the batch to the broker's reason, and
    `too_large` holds the indices refused for their size. `delivered` holds the indices that are
    already durable (at-least-once; empty under exactly-once, where the transaction was aborted):
    the caller delivers the rest again, with the refused records replaced, for the same position.
    """

    retriable = True

    def __init__(
        self,
        refused: Mapping[int, str],
        too_large: frozenset[int],
        delivered: frozenset[int] = frozenset(),
    ) -> None:
        super().__init__(f"{len(refused)} record(s) refused by the broker")
        self.refused = dict(refused)
        self.too_large = too_large
        self.delivered = delivered
