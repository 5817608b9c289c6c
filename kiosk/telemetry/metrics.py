"""Fleet metrics in the Prometheus text format, served on a loopback port.

A fleet's Prometheus (or an agent that forwards to it) scrapes `http://127.0.0.1:PORT/metrics`
on each kiosk. Only counters and histograms that aggregate across kiosks: turns by route,
latency, stage times, tokens, interruptions and errors. Nothing a shopper said.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.exposition import generate_latest

from kiosk.events import TurnCompleted

LATENCY_BUCKETS_S = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
STAGES = ("vad", "stt", "route", "tts_first_audio", "tts", "cloud")


class TurnMetrics:
    """The kiosk's metrics, in a registry of their own (tests make several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turns = Counter("kiosk_turns", "Turns answered, by route", ["route"], registry=r)
        self.latency = Histogram(
            "kiosk_turn_latency_seconds",
            "End of speech to first reply audio, by route",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.stage = Histogram(
            "kiosk_stage_seconds",
            "Time spent in each stage of a turn",
            ["stage"],
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.tokens = Counter("kiosk_cloud_tokens", "Cloud tokens spent", registry=r)
        self.interruptions = Counter(
            "kiosk_interruptions", "Replies the shopper interrupted", registry=r
        )
        self.errors = Counter("kiosk_turn_errors", "Turns that met an error", registry=r)
        for route in ("local", "cloud", "fallback"):
            self.turns.labels(route)  # present at zero, so rates work from the first scrape

    def observe(self, turn: TurnCompleted) -> None:
        self.turns.labels(turn.route).inc()
        if turn.latency_ms is not None:
            self.latency.labels(turn.route).observe(turn.latency_ms / 1000.0)
        for stage in STAGES:
            ms = turn.timings_ms.get(stage)
            if ms is not None:
                self.stage.labels(stage).observe(ms / 1000.0)
        if turn.total_tokens > 0:
            self.tokens.inc(turn.total_tokens)
        if turn.interrupted:
            self.interruptions.inc()
        if turn.error:
            self.errors.inc()

    def text(self) -> str:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry).decode("utf-8")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not worth a log line each."""


class MetricsServer:
    """`/metrics` over HTTP on 127.0.0.1 only, on its own daemon thread. Port 0 picks a free
    port (tests); `port` then says which."""

    def __init__(self, metrics: TurnMetrics, port: int, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(f"metrics listen on loopback only, not {host!r}")
        self._server: WSGIServer = make_server(
            host, port, make_wsgi_app(metrics.registry), handler_class=_QuietHandler
        )
        self.port = int(self._server.server_port)
        self.url = f"http://{host}:{self.port}/metrics"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
