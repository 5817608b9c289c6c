"""The local Gemini Live simulator: a TLS websocket server on Google's path.

It makes its own certificate authority (trustme) and writes the CA's PEM where clients can
trust it, so google-genai (which dials `wss://` whenever an API key is set) connects to it
unchanged: `HttpOptions(base_url=sim.base_url, async_client_args={"ssl": sim.client_ssl()})`.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import ssl
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from kiosk.cloud.sim.brain import Brain
from kiosk.cloud.sim.options import Fault, SimOptions
from kiosk.cloud.sim.session import Conversation, SimSession, fault_fires
from kiosk.cloud.wire import PATH_RE

log = logging.getLogger(__name__)
ws_log = logging.getLogger("kiosk.cloud.sim.websocket")
ws_log.setLevel(logging.WARNING)  # one line per connection is noise in the kiosk's log
MAX_RECORDED = 20_000
MAX_HANDLES = 1_000


@dataclass
class SimStats:
    connections: int = 0
    setups: list[dict[str, Any]] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    go_aways: int = 0
    turns: int = 0
    activity_end_ns: list[int] = field(default_factory=list)
    first_audio_sent_ns: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class SimServer:
    def __init__(
        self,
        brain: Brain,
        options: SimOptions | None = None,
        vad_factory: Callable[[], Any] | None = None,
        ca_out: Path | None = None,
    ) -> None:
        self.brain = brain
        self.options = options or SimOptions()
        self._vad_factory = vad_factory
        self.conversations: dict[str, Conversation] = {}
        self.stats = SimStats()
        self.sent: deque[str] = deque(maxlen=MAX_RECORDED)
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert(self.options.host, "localhost", "127.0.0.1")
        self._ca_dir = tempfile.TemporaryDirectory(prefix="kiosk-sim-")
        self.ca_path = Path(ca_out) if ca_out else Path(self._ca_dir.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self._server: Server | None = None
        self._fired: set[int] = set()
        self._faults: tuple[Fault, ...] = self.options.faults
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"https://{self.options.host}:{self.port}"

    def ready_line(self) -> dict[str, str]:
        """The contract `kiosk sim` prints when it is ready."""
        return {"base_url": self.base_url, "ca": str(self.ca_path)}

    def client_ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        return context

    def set_faults(self, *faults: Fault) -> None:
        """Replace the faults (tests reuse one server); turn numbers count from now."""
        self._faults = tuple(faults)
        self._fired.clear()
        self.stats.turns = 0

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self._faults

    def next_turn(self) -> int:
        self.stats.turns += 1
        return self.stats.turns

    def take_fault(self, turn: int) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if index in self._fired or not fault_fires(fault, turn):
                continue
            if fault.turn != 0:
                self._fired.add(index)
            return fault
        return None

    def remember(self, handle: str, conversation: Conversation) -> None:
        """Keep a resumption handle's state; the oldest go first past MAX_HANDLES."""
        self.conversations[handle] = conversation
        while len(self.conversations) > MAX_HANDLES:
            del self.conversations[next(iter(self.conversations))]

    def new_vad(self) -> Any:
        if self._vad_factory is None:
            raise RuntimeError("this simulator has no VAD model: pass vad_factory")
        return self._vad_factory()

    def record(self, text: str) -> None:
        if self.options.record_messages:
            self.sent.append(text)

    async def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        self._server = await serve(
            self._serve,
            self.options.host,
            self.options.port,
            ssl=context,
            process_request=self._check,
            max_size=16 * 2**20,
            compression=None,
            logger=ws_log,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("sim: listening on %s", self.base_url)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=3.0)
        self._ca_dir.cleanup()

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?")[0]
        if not PATH_RE.match(path):
            self.stats.refused.append(f"path {path}")
            return _reply(http.HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
        key = request.headers.get("x-goog-api-key") or ("key=" in request.path)
        token = request.headers.get("Authorization", "").startswith("Token ")
        if not (key or token):
            self.stats.refused.append("no credentials")
            return _reply(http.HTTPStatus.UNAUTHORIZED, "API key or token required")
        return None

    async def _serve(self, ws: ServerConnection) -> None:
        self.stats.connections += 1
        await SimSession(ws, self, self.stats.connections).run()


def _reply(status: http.HTTPStatus, text: str) -> Response:
    body = text.encode()
    headers = Headers([("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


class SimThread:
    """The simulator on its own event-loop thread: for `kiosk run`, `kiosk ask` and tests."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="gemini-sim")
        self._thread.daemon = True
        self._thread.start()
        asyncio.run_coroutine_threadsafe(server.start(), self.loop).result(timeout=10)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the simulator's loop (its state is not thread-safe)."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=10)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
