"""A TLS-terminating capture on loopback: every byte the kiosk sends towards the cloud.

The kiosk's Live client dials this proxy instead of the simulator. The proxy terminates TLS
with a certificate authority of its own (the client is given that CA, exactly as it is given the
simulator's), appends every byte the client sent to one file per connection, and relays the
bytes both ways over a second TLS connection to the simulator. Nothing is parsed on the way, so
what is checked afterwards is exactly what went over the wire: `decode_capture` replays each file
through a websocket server's own parser (websockets' sans-I/O protocol) and sorts out what the
messages carried: images, audio (grouped by activityStart ... activityEnd), text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from kiosk.cloud.wire import b64decode, has, pick

log = logging.getLogger(__name__)
_parse_log = logging.getLogger("kiosk.soak.replay")
_parse_log.setLevel(logging.WARNING)  # replaying the capture is not the kiosk talking
CHUNK = 65536


@dataclass
class ProxyStats:
    connections: int = 0
    bytes_up: int = 0
    """Client to cloud: all of it is in the capture files."""
    bytes_down: int = 0
    upstream_failures: int = 0


class CaptureProxy:
    """Listens on 127.0.0.1 with TLS; relays to `upstream` (host, port) over TLS."""

    def __init__(
        self, upstream: tuple[str, int], upstream_ssl: ssl.SSLContext, out_dir: Path
    ) -> None:
        self.upstream = upstream
        self._upstream_ssl = upstream_ssl
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = self.out_dir / "capture-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self.stats = ProxyStats()
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="capture-proxy")
        self._thread.daemon = True

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client_ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def start(self) -> CaptureProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def files(self) -> list[Path]:
        return sorted(self.out_dir.glob("conn-*.bin"))

    async def _start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        path = self.out_dir / f"conn-{self.stats.connections:05d}.bin"
        host, port = self.upstream
        try:
            up_reader, up_writer = await asyncio.open_connection(
                host, port, ssl=self._upstream_ssl, server_hostname=host
            )
        except OSError as exc:
            self.stats.upstream_failures += 1
            log.info("capture: upstream %s:%d refused: %s", host, port, exc)
            writer.transport.abort()
            return
        with open(path, "wb") as capture:
            up = asyncio.ensure_future(self._pump(reader, up_writer, capture))
            down = asyncio.ensure_future(self._pump(up_reader, writer, None))
            done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            clean = all(not t.cancelled() and t.result() for t in done)
            for task in pending:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        for stream in (writer, up_writer):
            if clean:
                stream.close()
            else:
                stream.transport.abort()  # a reset on one side is a reset on the other

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, capture: Any
    ) -> bool:
        """Copy until EOF (True) or a socket error (False)."""
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    return True
                if capture is not None:
                    capture.write(data)
                    capture.flush()
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            return False


# ----- reading a capture back -----


@dataclass
class AudioTurn:
    """The audio sent between one activityStart and its activityEnd."""

    pcm: bytes
    complete: bool
    """False when the connection ended before activityEnd."""


@dataclass
class CapturedConnection:
    path: Path
    headers: dict[str, str] = field(default_factory=dict)
    messages: int = 0
    images: list[bytes] = field(default_factory=list)
    audio_turns: list[AudioTurn] = field(default_factory=list)
    loose_audio: int = 0
    """Audio blobs sent outside any activityStart ... activityEnd window."""
    texts: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)
    raw: bytes = b""


def decode_capture(path: Path) -> CapturedConnection:
    """Every message the client sent on one connection, sorted by what it carried."""
    data = Path(path).read_bytes()
    found = CapturedConnection(Path(path), raw=data)
    parser = ServerProtocol(max_size=None, logger=_parse_log)
    parser.receive_data(data)
    events = parser.events_received()
    if not events or not isinstance(events[0], Request):
        found.undecodable.append("no websocket handshake")
        return found
    found.headers = {k.lower(): v for k, v in events[0].headers.raw_items()}
    active: bytearray | None = None
    for payload in _messages(events[1:]):
        found.messages += 1
        try:
            message = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            found.undecodable.append(f"message {found.messages}: not JSON")
            continue
        active = _sort(message, found, active)
    if active is not None:
        found.audio_turns.append(AudioTurn(bytes(active), complete=False))
    return found


def _messages(events: list[Any]) -> Iterator[bytes]:
    """Whole messages from frames, continuation frames joined; control frames skipped."""
    parts: list[bytes] = []
    for frame in events:
        if not isinstance(frame, Frame):
            continue
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            parts.append(bytes(frame.data))
            if frame.fin:
                yield b"".join(parts)
                parts = []


def _sort(message: Any, found: CapturedConnection, active: bytearray | None) -> bytearray | None:
    realtime = pick(message, "realtimeInput")
    if isinstance(realtime, dict):
        if has(realtime, "activityStart"):
            if active is not None:
                found.audio_turns.append(AudioTurn(bytes(active), complete=False))
            active = bytearray()
        blobs = [pick(realtime, k) for k in ("audio", "video", "media")]
        blobs += list(pick(realtime, "mediaChunks") or [])
        for blob in (b for b in blobs if isinstance(b, dict)):
            mime = str(pick(blob, "mimeType", ""))
            try:
                raw = b64decode(pick(blob, "data", ""))
            except ValueError:
                found.undecodable.append(f"blob {mime}: bad base64")
                continue
            if mime.startswith("image/"):
                found.images.append(raw)
            elif mime.startswith("audio/"):
                if active is None:
                    found.loose_audio += 1
                else:
                    active += raw
        text = pick(realtime, "text")
        if isinstance(text, str) and text:
            found.texts.append(text)
        if has(realtime, "activityEnd") and active is not None:
            found.audio_turns.append(AudioTurn(bytes(active), complete=True))
            active = None
    content = pick(message, "clientContent")
    for turn in pick(content, "turns") or []:
        for part in pick(turn, "parts") or []:
            inline = pick(part, "inlineData")
            if isinstance(inline, dict):
                mime = str(pick(inline, "mimeType", ""))
                with contextlib.suppress(ValueError):
                    raw = b64decode(pick(inline, "data", ""))
                    if mime.startswith("image/"):
                        found.images.append(raw)
                    elif mime.startswith("audio/"):
                        found.loose_audio += 1
            if isinstance(pick(part, "text"), str):
                found.texts.append(pick(part, "text"))
    return active
