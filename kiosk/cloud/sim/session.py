"""One simulated Gemini Live session: the server side of one websocket.

It reads `setup` first (answering `setupComplete`), then any mix of `realtimeInput`,
`clientContent` and `toolResponse`, in either spelling. Turns end on `activityEnd` (manual
activity detection), on the server VAD's end of speech (automatic, the API's default), or on
`clientContent` with `turnComplete`. Each reply runs as its own task, so a barge-in or a tool
response is read while it speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import soxr
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from edge.tts import split_sentences
from kiosk.cloud.sim.brain import compose, find_place, usage
from kiosk.cloud.sim.options import Fault
from kiosk.cloud.sim.vad import WINDOW_MS, TurnDetector, VadConfig
from kiosk.cloud.wire import (
    INPUT_RATE,
    LOOKUP_PRODUCT,
    POINT_TO_SHELF,
    REPLY_MIME,
    REPLY_RATE,
    b64decode,
    b64encode,
    has,
    pcm_rate,
    pick,
)

if TYPE_CHECKING:
    from kiosk.cloud.sim.server import SimServer

log = logging.getLogger(__name__)
WINDOW = int(INPUT_RATE * WINDOW_MS / 1000)


class Refused(Exception):
    """The client sent something the real service would refuse: close with 1007."""


@dataclass
class Conversation:
    """What a resumption handle restores."""

    history: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TurnInput:
    audio: np.ndarray
    text: str = ""
    images: int = 0
    ended_ns: int = 0


class SimSession:
    def __init__(self, ws: ServerConnection, server: SimServer, number: int) -> None:
        self.ws = ws
        self.server = server
        self.number = number
        self.opts = server.options
        self.started = time.monotonic()
        self.conversation = Conversation()
        self.tools: set[str] = set()
        self.vad: VadConfig | None = None
        self.detector: TurnDetector | None = None
        self.silero: Any = None
        self.interrupts = True
        self.resumable = False
        self.compressed = False
        self.output_transcription = False
        self.input_transcription = False
        self.active = False
        self.audio: list[np.ndarray] = []
        self.pending_audio = np.zeros(0, dtype=np.float32)
        self.text: list[str] = []
        self.images = 0
        self.saw_video = False
        self.reply: asyncio.Task[None] | None = None
        self.calls: dict[str, asyncio.Future[Any]] = {}
        self.closed = False
        self.timers: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        try:
            await self._setup(await self.ws.recv())
            async for raw in self.ws:
                await self._handle(raw)
        except Refused as exc:
            await self._close(1007, str(exc))
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for task in [*self.timers, *([self.reply] if self.reply else [])]:
                task.cancel()

    # ----- client to server -----

    async def _setup(self, raw: str | bytes) -> None:
        message = _load(raw)
        setup = pick(message, "setup")
        if not isinstance(setup, dict):
            raise Refused("The first message must be setup.")
        self.server.stats.setups.append(setup)
        handle = pick(pick(setup, "sessionResumption"), "handle")
        if handle:
            restored = self.server.conversations.get(str(handle))
            if restored is None:
                raise Refused("Invalid session resumption handle.")
            self.conversation = Conversation(list(restored.history))
        self.resumable = has(setup, "sessionResumption")
        self.compressed = has(setup, "contextWindowCompression")
        self.output_transcription = has(setup, "outputAudioTranscription")
        self.input_transcription = has(setup, "inputAudioTranscription")
        for tool in pick(setup, "tools") or []:
            for declaration in pick(tool, "functionDeclarations") or []:
                self.tools.add(str(pick(declaration, "name", "")))
        realtime = pick(setup, "realtimeInputConfig") or {}
        self.vad = VadConfig.from_setup(realtime, self.opts.vad)
        self.interrupts = pick(realtime, "activityHandling") != "NO_INTERRUPTION"
        if not self.vad.disabled:
            self.detector = TurnDetector(self.vad)
            self.silero = self.server.new_vad()
        await self._send({"setupComplete": {}})
        self._start_timers()

    async def _handle(self, raw: str | bytes) -> None:
        message = _load(raw)
        if has(message, "realtimeInput"):
            await self._realtime(pick(message, "realtimeInput"))
        elif has(message, "clientContent"):
            await self._client_content(pick(message, "clientContent"))
        elif has(message, "toolResponse"):
            for response in pick(pick(message, "toolResponse"), "functionResponses") or []:
                future = self.calls.pop(str(pick(response, "id", "")), None)
                if future is not None and not future.done():
                    future.set_result(pick(response, "response", {}))
        elif has(message, "setup"):
            raise Refused("setup may only be sent once.")
        else:
            raise Refused(f"Invalid JSON payload received. Unknown name: {sorted(message)}")

    async def _realtime(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise Refused("realtimeInput must be an object.")
        manual = self.detector is None
        if has(body, "activityStart"):
            if not manual:
                raise Refused("activityStart is only allowed when automatic detection is off.")
            await self._activity_start()
        blobs = [pick(body, k) for k in ("audio", "video", "media")]
        blobs += list(pick(body, "mediaChunks") or [])
        for blob in (b for b in blobs if isinstance(b, dict)):
            await self._blob(blob, manual)
        text = pick(body, "text")
        if isinstance(text, str) and text:
            self.text.append(text)
            if not manual and not self.detector_in_speech:
                await self._end_turn()
        if has(body, "activityEnd"):
            if not manual:
                raise Refused("activityEnd is only allowed when automatic detection is off.")
            self.server.stats.activity_end_ns.append(time.monotonic_ns())
            self.active = False
            await self._end_turn()
        if pick(body, "audioStreamEnd") and not manual and self.detector_in_speech:
            assert self.detector is not None
            self.detector.reset()
            await self._end_turn()

    @property
    def detector_in_speech(self) -> bool:
        return self.detector is not None and self.detector.in_speech

    async def _blob(self, blob: dict[str, Any], manual: bool) -> None:
        mime = str(pick(blob, "mimeType", ""))
        try:
            data = b64decode(pick(blob, "data", ""))
        except ValueError as exc:
            raise Refused(f"Invalid value at 'realtime_input.data': {exc}") from None
        if mime.startswith("image/"):
            self.images += 1
            self.saw_video = True
            return
        if not mime.startswith("audio/pcm"):
            raise Refused(f"Unsupported mime type {mime!r}.")
        pcm = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2")
        audio = pcm.astype(np.float32) / 32768.0
        rate = pcm_rate(mime)
        if rate != INPUT_RATE:
            audio = np.asarray(soxr.resample(audio, rate, INPUT_RATE), dtype=np.float32)
        if manual:
            if self.active:
                self.audio.append(audio)
            return
        await self._detect(audio)

    async def _detect(self, audio: np.ndarray) -> None:
        assert self.detector is not None
        self.pending_audio = np.concatenate([self.pending_audio, audio])
        while len(self.pending_audio) >= WINDOW:
            window, self.pending_audio = self.pending_audio[:WINDOW], self.pending_audio[WINDOW:]
            probability = float(self.silero.process(window)[0])
            self.audio.append(window)
            event = self.detector.push(probability)
            if event == "start":
                keep = self.detector.speech_run_windows + 10  # 320 ms of lead-in
                self.audio = self.audio[-keep:]
                await self._interrupt()
            elif event == "end":
                await self._end_turn()
            elif not self.detector.in_speech:
                self.audio = self.audio[-20:]

    async def _activity_start(self) -> None:
        await self._interrupt()
        self.active = True
        self.audio, self.text, self.images = [], [], 0

    async def _interrupt(self) -> None:
        """Speech while the model speaks: stop, withdraw pending calls, say 'interrupted'."""
        if self.reply is None or self.reply.done() or not self.interrupts:
            return
        pending = [i for i, f in self.calls.items() if not f.done()]
        self.calls.clear()
        self.reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reply
        if pending:
            await self._send({"toolCallCancellation": {"ids": pending}})
        await self._send({"serverContent": {"interrupted": True}})

    async def _client_content(self, body: Any) -> None:
        for turn in pick(body, "turns") or []:
            for part in pick(turn, "parts") or []:
                if isinstance(pick(part, "text"), str):
                    self.text.append(pick(part, "text"))
        if pick(body, "turnComplete"):
            await self._end_turn()

    async def _end_turn(self) -> None:
        audio = np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.float32)
        turn = TurnInput(audio, " ".join(self.text).strip(), self.images, time.monotonic_ns())
        self.audio, self.text, self.images = [], [], 0
        if turn.audio.size == 0 and not turn.text:
            return
        await self._interrupt()
        self.reply = asyncio.get_running_loop().create_task(self._answer(turn))
        self.reply.add_done_callback(_log_failure)

    # ----- the reply -----

    async def _answer(self, turn: TurnInput) -> None:
        server = self.server
        number = server.next_turn()
        fault = server.take_fault(number)
        if fault is not None:
            log.info("sim: fault %s on turn %d", fault.kind, number)
        if fault is not None and fault.kind == "stall":
            await asyncio.Future()  # never answers; the socket stays open
        if fault is not None and fault.kind in ("close-1007", "close-1011"):
            code = int(fault.kind[-4:])
            reason = "Request contains an invalid argument." if code == 1007 else "Internal error."
            await self._close(code, reason)
            return
        if self.opts.ttfb_ms > 0:
            await asyncio.sleep(self.opts.ttfb_ms / 1000)
        if fault is not None and fault.kind == "malformed":
            await self.ws.send('{"serverContent": {"modelTurn": {"parts": [{"inlineDa')
        loop = asyncio.get_running_loop()
        heard = turn.text
        if turn.audio.size:
            heard = await loop.run_in_executor(None, server.brain.hear, turn.audio)
        if self.input_transcription and heard:
            await self._send({"serverContent": {"inputTranscription": {"text": heard}}})
        place = None
        if heard and LOOKUP_PRODUCT in self.tools:
            place = find_place(await self._call(LOOKUP_PRODUCT, {"query": heard}))
        if place is not None and POINT_TO_SHELF in self.tools:
            await self._call(POINT_TO_SHELF, {"shelf_id": place.shelf_id})
        reply = compose(heard, place)
        reply_s = await self._speak(reply, drop=fault is not None and fault.kind == "drop-mid-turn")
        await self._send({"serverContent": {"generationComplete": True}})
        tokens = usage(len(turn.audio) / INPUT_RATE, len(turn.text), turn.images, reply_s, 0)
        await self._send({"serverContent": {"turnComplete": True}, "usageMetadata": tokens})
        self.conversation.history.append((heard, reply))
        if self.resumable:
            handle = uuid.uuid4().hex
            server.remember(handle, Conversation(list(self.conversation.history)))
            await self._send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})

    async def _call(self, name: str, args: dict[str, Any]) -> Any:
        call_id = f"function-call-{uuid.uuid4().hex[:16]}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.calls[call_id] = future
        await self._send(
            {"toolCall": {"functionCalls": [{"id": call_id, "name": name, "args": args}]}}
        )
        try:
            return await asyncio.wait_for(future, timeout=self.opts.tool_timeout_s)
        except TimeoutError:
            self.calls.pop(call_id, None)
            return None

    async def _speak(self, text: str, drop: bool) -> float:
        loop = asyncio.get_running_loop()
        step = max(REPLY_RATE * self.opts.chunk_ms // 1000, 1)
        seconds = 0.0
        first = True
        for sentence in split_sentences(text):
            pcm = await loop.run_in_executor(None, self.server.brain.render, sentence)
            if self.output_transcription:
                await self._send(
                    {"serverContent": {"outputTranscription": {"text": sentence + " "}}}
                )
            for offset in range(0, len(pcm), step):
                chunk = pcm[offset : offset + step]
                part = {"inlineData": {"mimeType": REPLY_MIME, "data": b64encode(chunk.tobytes())}}
                await self._send({"serverContent": {"modelTurn": {"parts": [part]}}})
                if first:
                    self.server.stats.first_audio_sent_ns.append(time.monotonic_ns())
                    first = False
                    if drop:
                        self._drop()
                        await asyncio.Future()
                seconds += len(chunk) / REPLY_RATE
                if self.opts.pace > 0:
                    await asyncio.sleep(len(chunk) / REPLY_RATE * self.opts.pace)
        return seconds

    # ----- server to client -----

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"))
        self.server.record(text)
        await self.ws.send(text)

    async def _close(self, code: int, reason: str) -> None:
        self.server.stats.closes.append(code)
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason)

    def _drop(self) -> None:
        self.server.stats.closes.append(1006)
        self.ws.transport.abort()

    def _start_timers(self) -> None:
        loop = asyncio.get_running_loop()
        for fault in self.server.faults:
            if fault.kind == "goaway-after":
                self.timers.append(loop.create_task(self._go_away_after(fault.seconds)))
        self.timers.append(loop.create_task(self._session_cap()))

    async def _go_away_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        grace = self.opts.goaway_grace_s
        await self._send({"goAway": {"timeLeft": f"{grace:g}s"}})
        self.server.stats.go_aways += 1
        await asyncio.sleep(grace)
        await self._close(1000, "Session ended: time limit reached.")

    async def _session_cap(self) -> None:
        while not self.closed:
            cap = self.opts.session_max_s
            if self.saw_video and not self.compressed:
                cap = min(cap, 120.0)
            left = cap - (time.monotonic() - self.started)
            if left <= self.opts.goaway_grace_s:
                await self._go_away_after(max(left - self.opts.goaway_grace_s, 0.0))
                return
            await asyncio.sleep(min(left - self.opts.goaway_grace_s, 1.0))


def _load(raw: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused("Invalid JSON payload received.") from None
    if not isinstance(message, dict):
        raise Refused("Invalid JSON payload received: not an object.")
    return message


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        if not isinstance(error, ConnectionClosed):
            log.error("sim: reply failed: %s: %s", type(error).__name__, error)


def fault_fires(fault: Fault, turn: int) -> bool:
    return fault.kind != "goaway-after" and (fault.turn == 0 or fault.turn == turn)
