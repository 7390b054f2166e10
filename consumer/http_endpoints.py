"""The operations port: `/metrics` for Prometheus, `/healthz` (alive), `/readyz` (able to work).

`/readyz` asks its checks on every request and answers 200 when all pass, 503 otherwise; the body
names each check, one per line (`ok broker_reachable`, `FAIL partitions_assigned`), so that an
operator sees why without reading logs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["OpsServer", "ReadinessChecks", "all_ready"]

# Named yes/no answers, asked again on every `/readyz` request.
ReadinessChecks = Callable[[], Mapping[str, bool]]


def all_ready(readiness: ReadinessChecks) -> bool:
    """What `/readyz` would answer, as a bool (for the `detente_ready` gauge)."""
    return _readiness_report(readiness)[0] == 200


class OpsServer:
    """A tiny HTTP server in a daemon thread."""

    def __init__(
        self, host: str, port: int, registry: CollectorRegistry, readiness: ReadinessChecks
    ) -> None:
        handler = _handler_for(registry, readiness)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="detente-ops-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _readiness_report(readiness: ReadinessChecks) -> tuple[int, bytes]:
    try:
        results = dict(readiness())
    except Exception as exc:  # a failing check means "not ready", never a broken endpoint
        return 503, f"FAIL readiness checks raised {type(exc).__name__}: {exc}\n".encode()
    ready = bool(results) and all(results.values())
    lines = [("ready" if ready else "not ready")]
    lines += [f"{'ok' if passed else 'FAIL'} {name}" for name, passed in sorted(results.items())]
    return (200 if ready else 503), ("\n".join(lines) + "\n").encode()


def _handler_for(
    registry: CollectorRegistry, readiness: ReadinessChecks
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._reply(200, b"ok\n")
            elif path == "/readyz":
                self._reply(*_readiness_report(readiness))
            else:
                self._reply(404, b"not found\n")

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes every few seconds would drown the service's own log lines

    return Handler
