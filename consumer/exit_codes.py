"""The process exit codes of `detente serve`: what an orchestrator and an operator can tell apart.

    0  clean stop (SIGTERM / SIGINT): the batch in hand was finished and committed.
    2  could not start: settings invalid, broker unreachable, TLS or credentials refused, a
       permission missing, topics missing, model unusable. The log line's `cause` says which;
       a restart alone will not help.
    3  stopped on a fatal infrastructure error at run time: another instance took this
       instance's id, or the dead-letter topic refuses even a minimal dead letter.
    4  stopped on an internal error: a bug, logged with its traceback.
    5  did not stop within DETENTE_SHUTDOWN_GRACE_S after a stop signal.

Bad input never stops the service (it becomes a dead letter), and neither do errors that can
heal: a broker away, or permissions lost while running, are retried with backoff and alerted on.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    CANNOT_START = 2
    FATAL_INFRASTRUCTURE = 3
    INTERNAL_ERROR = 4
    SHUTDOWN_TIMEOUT = 5
