"""The Gemini Live client: google-genai's `client.aio.live.connect`, kept warm across turns.

`GeminiLiveClient` is the turn engine's `CloudResponder`. Its asyncio loop runs on its own
thread; `respond` (called from the engine's worker thread) hands one turn to that loop and
waits. The loop owns the session lifecycle:

- connect early (`prepare`, when a shopper arrives), close when they leave or after an idle
  timeout, and rotate before the session cap;
- keep the latest session-resumption handle and resume with it on every reconnect;
- on `goAway`, dial the next connection at once and switch to it between turns;
- on a drop, reconnect at once (then with jittered backoff) behind a circuit breaker; close
  code 1007 means start afresh without the handle, and a fresh session refused again is not
  retried;
- a turn that fails before its reply is retried on the new connection while time is left, and
  otherwise raises `CloudError`, so the engine falls back honestly within the turn deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import ssl
import threading
import time
import uuid
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from kiosk.agent.ports import CloudError, CloudReply, CloudRequest
from kiosk.cloud.backoff import Backoff, CircuitBreaker
from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.connection import Closed, Inbound, LiveConnection
from kiosk.cloud.instructions import system_instruction, tool_declarations
from kiosk.cloud.reply import NullSink, ReplyAudioSink, ReplyState, TurnSink
from kiosk.cloud.tools import PointerSink, ToolHandler
from kiosk.cloud.wire import AUDIO_MIME
from kiosk.logsafe import hide_in_logs
from kiosk.store.catalog import Catalog

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", message="The SDK's ephemeral token support")
CODE_STALL = -2
T = TypeVar("T")
EPHEMERAL_PREFIX = "auth_tokens/"


@dataclass(frozen=True)
class LiveSettings:
    model: str = "models/gemini-3.8-live"
    base_url: str | None = None
    """None: Google's endpoint. The simulator's `https://127.0.0.1:PORT` in dev mode."""
    api_version: str | None = None
    session_max_s: float = 600.0
    rotate_lead_s: float = 15.0
    """Dial the next session this long before the cap, and switch between turns."""
    idle_close_s: float = 120.0
    reply_timeout_s: float = 2.4
    """No reply audio this long after the shopper stopped speaking (after the escalation when
    that is not known): give up, so the engine can fall back."""
    min_reply_window_s: float = 0.6
    """However late the escalation, the cloud gets at least this long to start its reply."""
    retry_min_s: float = 0.4
    """A failed attempt is retried only when at least this much of the timeout is left."""
    max_reply_s: float = 60.0
    connect_timeout_s: float = 2.0
    audio_chunk_s: float = 15.0
    """Audio per message: a whole utterance in one, sent as fast as the socket takes it."""
    compression_trigger_tokens: int | None = None
    """Context-window compression starts here (None: the server's default)."""


def reply_deadline(settings: LiveSettings, speech_ended_ns: int | None, start_ns: int) -> float:
    """The time.monotonic() by which a turn escalated at `start_ns` must have its reply audio
    starting: the reply timeout after the end of speech, never less than the minimum window."""
    started = start_ns / 1e9
    deadline = started + settings.reply_timeout_s
    if speech_ended_ns is not None and speech_ended_ns <= start_ns:
        deadline = min(deadline, speech_ended_ns / 1e9 + settings.reply_timeout_s)
    return max(deadline, started + settings.min_reply_window_s)


@dataclass
class ClientStats:
    connects: int = 0
    connect_ms: list[float] = field(default_factory=list)
    reconnect_ms: list[float] = field(default_factory=list)
    """Drop noticed -> next session ready, for drops of a session in use."""
    closes: list[int] = field(default_factory=list)
    """Close codes of sessions that ended other than by our own hand."""
    resumed: int = 0
    fresh_starts: int = 0
    go_aways: int = 0
    turns: int = 0
    retries: int = 0
    failed_turns: int = 0


class GeminiLiveClient:
    def __init__(
        self,
        catalog: Catalog,
        api_key: str,
        settings: LiveSettings | None = None,
        budget: TokenBudget | None = None,
        ssl_context: ssl.SSLContext | None = None,
        sink: ReplyAudioSink | None = None,
        pointer: PointerSink | None = None,
    ) -> None:
        self.settings = settings or LiveSettings()
        self.budget = budget or TokenBudget(daily_tokens=10**12)
        self.sink: ReplyAudioSink = sink or NullSink()
        self.tools = ToolHandler(catalog, pointer)
        self.stats = ClientStats()
        self._instruction = system_instruction(catalog.store)
        version = self.settings.api_version
        if version is None and api_key.startswith(EPHEMERAL_PREFIX):
            version = "v1alpha"  # ephemeral tokens are served there only
        options = types.HttpOptions(
            base_url=self.settings.base_url,
            api_version=version,
            async_client_args={"ssl": ssl_context} if ssl_context is not None else None,
        )
        hide_in_logs(api_key)  # libraries log handshake headers at DEBUG level
        self._genai = genai.Client(api_key=api_key, http_options=options)
        self._breaker = CircuitBreaker()
        self._backoff = Backoff()
        self._handle: str | None = None
        self._conn: LiveConnection | None = None
        self._next: asyncio.Task[LiveConnection] | None = None
        self._numbers = 0
        self._turn: ReplyState | None = None
        self._turn_conn: LiveConnection | None = None
        self._turn_sink: TurnSink | None = None
        self._progress = asyncio.Event()
        self._housekeeper: asyncio.Task[None] | None = None
        self._wanted_until_ns = 0
        self._drop_ns: int | None = None
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gemini-live")
        self._thread.daemon = True
        self._thread.start()
        self._lock = asyncio.Lock()
        self._refusals = 0
        """1007 closes since the last good turn: two in a row and we stop trying."""
        self._loop.call_soon_threadsafe(self._start_housekeeping)

    # ----- the CloudResponder port (any thread) -----

    def available(self) -> bool:
        return not self._closed and not self.budget.exhausted() and self._breaker.allow()

    def unavailable_reason(self) -> str | None:
        if self._closed:
            return "cloud client closed"
        if self.budget.exhausted():
            return f"today's cloud budget of {self.budget.daily_tokens} tokens is spent"
        if not self._breaker.allow():
            return "cloud unreachable (circuit breaker open)"
        return None

    def respond(self, request: CloudRequest) -> CloudReply:
        reason = self.unavailable_reason()
        if reason is not None:
            raise CloudError(reason, retryable=not self.budget.exhausted())
        future = asyncio.run_coroutine_threadsafe(self._respond(request), self._loop)
        try:
            return future.result(timeout=self.settings.reply_timeout_s + self.settings.max_reply_s)
        except TimeoutError:
            future.cancel()
            raise CloudError("cloud reply did not finish in time") from None

    # ----- lifecycle (any thread) -----

    def prepare(self) -> None:
        """A shopper has arrived: connect now, so escalation pays no connection cost."""
        self._loop.call_soon_threadsafe(self._warm)

    def shopper_left(self) -> None:
        """Close the session and forget the visit (its handle and tool-call keys)."""
        self._call(self._end_visit())

    def interrupt(self) -> None:
        """Barge-in: tell the server at once, drop queued reply audio, mark the reply."""
        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self._barge_in()))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._call(self._shutdown(), timeout=5.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5.0)

    @property
    def connection_number(self) -> int:
        return self._conn.number if self._conn is not None else 0

    # ----- on the loop -----

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run `coro` on the client's loop and wait (never call this from the loop itself)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _start_housekeeping(self) -> None:
        self._housekeeper = self._loop.create_task(self._housekeeping())

    def _want(self) -> None:
        self._wanted_until_ns = time.monotonic_ns() + int(self.settings.idle_close_s * 1e9)

    def _warm(self) -> None:
        self._want()
        usable = self._conn is not None and self._conn.usable
        if not usable and self._next is None and self._breaker.allow():
            self._next = self._loop.create_task(self._dial_with_retry(None))

    async def _respond(self, request: CloudRequest) -> CloudReply:
        async with self._lock:
            self._want()
            try:
                return await self._run_turn(request)
            except CloudError:
                self.stats.failed_turns += 1
                raise
            finally:
                self._turn = None
                self._turn_conn = None
                self._turn_sink = None
                self._want()
                self._predial_if_due()

    async def _run_turn(self, request: CloudRequest) -> CloudReply:
        start_ns = time.monotonic_ns()
        deadline = reply_deadline(self.settings, request.speech_ended_ns, start_ns)
        turn_key = uuid.uuid4().hex
        timings: dict[str, float] = {}
        attempts = 0
        while True:
            attempts += 1
            dial_start = time.monotonic_ns()
            conn = await self._connection(deadline)
            if conn.turns == 0 and conn.opened_ns >= dial_start:
                timings["connect"] = (conn.opened_ns - dial_start) / 1e6
            state = ReplyState(turn_key)
            try:
                await self._attempt(conn, request, state, deadline, start_ns, timings)
            except _AttemptFailed as failure:
                closed = failure.closed
                log.info("cloud attempt %d failed: %s %s", attempts, closed.code, closed.reason)
                await self._retire(conn, closed)
                if closed.fresh_start and self._refusals >= 2:
                    raise CloudError(f"refused afresh: {closed.reason}", False) from None
                left = deadline - time.monotonic()
                if left < self.settings.retry_min_s or attempts >= 3:
                    raise CloudError(f"cloud failed: {closed.reason}") from None
                self.sink.clear()
                self.stats.retries += 1
                continue
            break
        conn.turns += 1
        self._refusals = 0
        conn.last_used_ns = time.monotonic_ns()
        self.stats.turns += 1
        self.budget.record(state.tokens.get("total", 0))
        if not state.has_audio and not state.interrupted:
            raise CloudError("cloud reply had no audio")
        if state.first_audio_received_ns is not None and state.first_audio_sunk_ns is not None:
            sent = timings.get("activity_end_ns", 0.0)
            timings["first_audio"] = (state.first_audio_received_ns - sent) / 1e6
            timings["to_speaker"] = (
                state.first_audio_sunk_ns - state.first_audio_received_ns
            ) / 1e6
        timings.pop("activity_end_ns", None)
        timings["reply"] = (time.monotonic_ns() - start_ns) / 1e6
        return CloudReply(
            text=state.text,
            audio=state.samples(),
            sample_rate=state.rate,
            shelf_id=state.shelf_id,
            product_sku=state.product_sku,
            timings_ms=timings,
            tokens=dict(state.tokens),
            interrupted=state.interrupted,
            attempts=attempts,
        )

    async def _attempt(
        self,
        conn: LiveConnection,
        request: CloudRequest,
        state: ReplyState,
        deadline: float,
        start_ns: int,
        timings: dict[str, float],
    ) -> None:
        self._turn, self._turn_conn = state, conn
        listener = request.on_audio
        self._turn_sink = TurnSink(self.sink, listener) if listener is not None else None
        session = conn.session
        try:
            await session.send_realtime_input(activity_start=types.ActivityStart())
            if request.context:
                await session.send_realtime_input(text=f"Earlier in this visit: {request.context}")
            pcm = _pcm16(request.audio)
            step = max(int(self.settings.audio_chunk_s * 16000) * 2, 2)
            for offset in range(0, len(pcm), step):
                blob = types.Blob(data=pcm[offset : offset + step], mime_type=AUDIO_MIME)
                await session.send_realtime_input(audio=blob)
            if not pcm and request.transcript:
                await session.send_realtime_input(text=request.transcript)
            if request.frame_jpeg:
                digest = hashlib.sha256(request.frame_jpeg).hexdigest()
                first = not conn.sent_frame_digests
                new_view = digest not in conn.sent_frame_digests
                if first or (new_view and is_visual(request.transcript)):
                    frame = types.Blob(data=request.frame_jpeg, mime_type="image/jpeg")
                    await session.send_realtime_input(video=frame)
                    conn.sent_frame_digests.add(digest)
            await session.send_realtime_input(activity_end=types.ActivityEnd())
        except Exception as exc:
            raise _AttemptFailed(conn.closed or Closed(1006, f"send failed: {exc}")) from None
        sent_ns = time.monotonic_ns()
        timings.setdefault("activity_end", (sent_ns - start_ns) / 1e6)
        timings["activity_end_ns"] = float(sent_ns)
        state.activity_end_ns = sent_ns
        await self._receive(conn, state, deadline)

    async def _receive(self, conn: LiveConnection, state: ReplyState, deadline: float) -> None:
        """Wait for the reply to complete. The messages themselves are taken as they arrive
        by `_on_message`; this only watches for the end, a close, or a stall."""
        gap = self.settings.reply_timeout_s
        while not state.complete:
            if conn.closed is not None:
                raise _AttemptFailed(conn.closed)
            wait = gap if state.has_audio else deadline - time.monotonic()
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), timeout=max(wait, 0.0))
            except TimeoutError:
                raise _AttemptFailed(Closed(CODE_STALL, "the server stalled")) from None
        if state.send_error is not None:
            raise _AttemptFailed(conn.closed or Closed(1006, state.send_error))

    def _on_message(self, conn: LiveConnection, item: Inbound) -> None:
        state = self._turn
        if state is None or conn is not self._turn_conn or state.complete:
            return
        if item.received_ns < state.activity_end_ns:
            return  # left over from a finished or interrupted turn
        responses = state.absorb(item, self.tools, self._turn_sink or self.sink)
        if responses and not state.interrupted:
            self._loop.create_task(self._send_tool_responses(conn, state, responses))
        self._progress.set()

    async def _send_tool_responses(
        self, conn: LiveConnection, state: ReplyState, responses: list[types.FunctionResponse]
    ) -> None:
        try:
            await conn.session.send_tool_response(function_responses=responses)
        except Exception as exc:
            state.send_error = f"tool response not sent: {_short(exc)}"
            state.complete = True
            self._progress.set()

    async def _barge_in(self) -> None:
        conn, state = self._conn, self._turn
        if state is not None and not state.complete:
            state.interrupt(self.sink)
            self._progress.set()
        if conn is not None and conn.usable:
            with contextlib.suppress(Exception):
                await conn.session.send_realtime_input(activity_start=types.ActivityStart())

    # ----- connections -----

    async def _connection(self, deadline: float) -> LiveConnection:
        conn = self._conn
        if conn is not None and conn.usable and conn.age_s() < self.settings.session_max_s:
            pending = self._next
            ready = pending is not None and pending.done() and not pending.cancelled()
            if ready and pending is not None and pending.exception() is None:
                fresh = pending.result()
                if fresh.resumed_from == self._handle or conn.going_away:
                    self._next = None
                    await self._promote(fresh)  # rotate now, between turns
                    return fresh
            if not (conn.going_away and pending is not None):
                return conn
        if self._next is None:
            self._next = self._loop.create_task(self._dial_with_retry(deadline))
        pending = self._next
        try:
            fresh = await asyncio.wait_for(
                asyncio.shield(pending), timeout=max(deadline - time.monotonic(), 0.01)
            )
        except TimeoutError:
            raise CloudError("cloud connection not ready in time") from None
        except CloudError:
            if self._next is pending:
                self._next = None
            raise
        if self._next is pending:
            self._next = None
        await self._promote(fresh)
        return fresh

    async def _promote(self, fresh: LiveConnection) -> None:
        old, self._conn = self._conn, fresh
        if old is not None and old is not fresh:
            await old.close()
        if self._drop_ns is not None:
            self.stats.reconnect_ms.append((fresh.opened_ns - self._drop_ns) / 1e6)
            self._drop_ns = None

    async def _dial_with_retry(self, deadline: float | None) -> LiveConnection:
        while True:
            if not self._breaker.allow():
                raise CloudError("cloud unreachable (circuit breaker open)")
            try:
                return await self._dial()
            except CloudError:
                raise
            except Exception as exc:
                self._breaker.failure()
                delay = self._backoff.next_delay()
                log.info("cloud connect failed (%s); next try in %.2f s", _short(exc), delay)
                if deadline is not None and time.monotonic() + delay >= deadline:
                    raise CloudError(f"cloud connect failed: {_short(exc)}") from None
                await asyncio.sleep(delay)

    async def _dial(self) -> LiveConnection:
        handle = self._handle
        self._numbers += 1
        start = time.monotonic_ns()
        try:
            conn = await asyncio.wait_for(
                LiveConnection.open(
                    self._genai,
                    self.settings.model,
                    self._connect_config(handle),
                    self._numbers,
                    self._on_message,
                    self._on_handle,
                    self._on_go_away,
                    self._on_closed,
                ),
                timeout=self.settings.connect_timeout_s,
            )
        except genai_errors.APIError as exc:
            if exc.code == 1007:
                self._handle = None  # a stale handle or a bad setup: start afresh, once
                self.stats.fresh_starts += 1
                self._refusals += 1
                if self._refusals >= 2:
                    self._breaker.trip()
                    raise CloudError(f"refused afresh: {exc.message}", False) from None
            elif exc.code in (1008, 401, 403):
                self._breaker.trip()
                raise CloudError(f"cloud refused our credentials: {exc.message}", False) from None
            raise
        self._breaker.success()
        self._backoff.reset()
        self.stats.connects += 1
        self.stats.resumed += handle is not None
        self.stats.connect_ms.append((conn.opened_ns - start) / 1e6)
        return conn

    def _connect_config(self, handle: str | None) -> types.LiveConnectConfig:
        compression = types.ContextWindowCompressionConfig(
            sliding_window=types.SlidingWindow(),
            trigger_tokens=self.settings.compression_trigger_tokens,
        )
        return types.LiveConnectConfig(
            response_modalities=[types.Modality.AUDIO],
            output_audio_transcription=types.AudioTranscriptionConfig(),
            system_instruction=self._instruction,
            tools=list(tool_declarations()),
            realtime_input_config=types.RealtimeInputConfig(
                automatic_activity_detection=types.AutomaticActivityDetection(disabled=True),
                activity_handling=types.ActivityHandling.START_OF_ACTIVITY_INTERRUPTS,
            ),
            session_resumption=types.SessionResumptionConfig(handle=handle),
            context_window_compression=compression,
        )

    async def _retire(self, conn: LiveConnection, closed: Closed) -> None:
        if conn.usable:  # a stall or a malformed message: this session is no good
            conn.abort()
            conn._finish(closed)
        await conn.close()

    def _on_handle(self, conn: LiveConnection, handle: str) -> None:
        if conn is self._conn or self._conn is None:
            self._handle = handle

    def _on_go_away(self, conn: LiveConnection, time_left: str) -> None:
        self.stats.go_aways += 1
        log.info("cloud session %d: goAway (%s left); dialling the next", conn.number, time_left)
        if self._turn is None:  # else right after the turn, with the handle it brings
            self._predial_if_due()

    def _predial_if_due(self) -> None:
        conn = self._conn
        if conn is None or self._next is not None or not self._breaker.allow():
            return
        lead = self.settings.session_max_s - self.settings.rotate_lead_s
        if conn.going_away or conn.age_s() >= lead:
            self._next = self._loop.create_task(self._dial_with_retry(None))

    def _on_closed(self, conn: LiveConnection, closed: Closed) -> None:
        if conn is self._turn_conn:
            self._progress.set()
        if closed.code == 0 or conn is not self._conn:
            return
        self.stats.closes.append(closed.code)
        self._drop_ns = time.monotonic_ns()
        if closed.fresh_start:
            self._handle = None
            self.stats.fresh_starts += 1
            self._refusals += 1
            if self._refusals >= 2:
                self._breaker.trip()  # refused again after starting afresh: never loop
                return
        if self._next is None and time.monotonic_ns() < self._wanted_until_ns:
            self._next = self._loop.create_task(self._dial_with_retry(None))

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            try:
                await self._tidy()
            except Exception as exc:
                log.warning("cloud housekeeping: %s", _short(exc))

    async def _tidy(self) -> None:
        if self._turn is not None:
            return
        now = time.monotonic_ns()
        pending = self._next
        if pending is not None and pending.done():
            self._next = None
            if pending.exception() is None:
                fresh = pending.result()
                if fresh.resumed_from != self._handle and self._conn is not None:
                    await fresh.close()  # dialled before the last turn: its context is stale
                else:
                    await self._promote(fresh)
        conn = self._conn
        if conn is None:
            return
        if now > self._wanted_until_ns:
            await self._close_all()
            return
        self._predial_if_due()

    async def _close_all(self) -> None:
        pending, self._next = self._next, None
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                fresh = await pending
                await fresh.close()
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _shutdown(self) -> None:
        if self._housekeeper is not None:
            self._housekeeper.cancel()
        await self._end_visit()

    async def _end_visit(self) -> None:
        self._wanted_until_ns = 0
        await self._close_all()
        self._handle = None
        self.tools.forget()


class _AttemptFailed(Exception):
    def __init__(self, closed: Closed) -> None:
        super().__init__(closed.reason)
        self.closed = closed


_VISUAL = re.compile(
    r"\b(this|these|that|those|here|look|see|show|holding|hold|colou?r|label|picture|it)\b", re.I
)


def is_visual(transcript: str) -> bool:
    """Does the question point at what the camera sees? (Unknown words count as yes.)"""
    return not transcript.strip() or bool(_VISUAL.search(transcript))


def _pcm16(audio: np.ndarray) -> bytes:
    samples = np.asarray(audio)
    if samples.dtype != np.int16:
        finite = np.nan_to_num(samples.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
        samples = np.clip(finite, -1.0, 1.0) * 32767.0
    return np.asarray(samples, dtype="<i2").tobytes()


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"
