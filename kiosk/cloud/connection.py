"""One Gemini Live websocket session, held open across turns.

A reader task hands everything the server sends to the owner's `on_message` callback at once,
as `Inbound` items stamped with the time they arrived (so reply audio reaches the speaker without
waiting behind the messages after it), and reports the end once through `on_closed`, saying why:
the close code, a malformed message, or a local close. Session-level messages (resumption
handles, goAway) have their own callbacks, so the owner can act on them between turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

log = logging.getLogger(__name__)

CODE_LOCAL = 0
"""We closed it ourselves."""
CODE_MALFORMED = -1
"""The server sent something that is not a Live message."""
CODE_ABNORMAL = 1006


@dataclass(frozen=True)
class Inbound:
    message: types.LiveServerMessage
    received_ns: int


@dataclass(frozen=True)
class Closed:
    code: int
    reason: str

    @property
    def fresh_start(self) -> bool:
        """1007: the server refused what we sent (a stale handle, a bad setup): start afresh."""
        return self.code == 1007


@dataclass
class LiveConnection:
    number: int
    resumed_from: str | None
    opened_ns: int
    session: genai.live.AsyncSession
    _stack: contextlib.AsyncExitStack
    on_message: Callable[[LiveConnection, Inbound], None]
    on_handle: Callable[[LiveConnection, str], None]
    on_go_away: Callable[[LiveConnection, str], None]
    on_closed: Callable[[LiveConnection, Closed], None]
    closed: Closed | None = None
    going_away: bool = False
    turns: int = 0
    last_used_ns: int = 0
    sent_frame_digests: set[str] = field(default_factory=set)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        client: genai.Client,
        model: str,
        config: types.LiveConnectConfig,
        number: int,
        on_message: Callable[[LiveConnection, Inbound], None],
        on_handle: Callable[[LiveConnection, str], None],
        on_go_away: Callable[[LiveConnection, str], None],
        on_closed: Callable[[LiveConnection, Closed], None],
    ) -> LiveConnection:
        stack = contextlib.AsyncExitStack()
        try:
            session = await stack.enter_async_context(
                client.aio.live.connect(model=model, config=config)
            )
        except BaseException:
            await stack.aclose()
            raise
        handle = config.session_resumption.handle if config.session_resumption else None
        now = time.monotonic_ns()
        conn = cls(
            number,
            handle,
            now,
            session,
            stack,
            on_message,
            on_handle,
            on_go_away,
            on_closed,
            last_used_ns=now,
        )
        conn._reader = asyncio.get_running_loop().create_task(conn._read())
        return conn

    @property
    def usable(self) -> bool:
        return self.closed is None

    def age_s(self, now_ns: int | None = None) -> float:
        return ((now_ns or time.monotonic_ns()) - self.opened_ns) / 1e9

    async def close(self) -> None:
        if self.closed is None:
            self._finish(Closed(CODE_LOCAL, "closed by the kiosk"))
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._stack.aclose(), timeout=1.0)

    def abort(self) -> None:
        """Drop the socket without a closing handshake (a stalled server gets no goodbye)."""
        transport = getattr(self.session._ws, "transport", None)
        if transport is not None:
            transport.abort()

    def _finish(self, closed: Closed) -> None:
        if self.closed is None:
            self.closed = closed
            self.on_closed(self, closed)

    async def _read(self) -> None:
        try:
            while True:
                async for message in self.session.receive():
                    self._dispatch(message)
        except asyncio.CancelledError:
            self._finish(Closed(CODE_LOCAL, "closed by the kiosk"))
            raise
        except genai_errors.APIError as exc:
            self._finish(Closed(int(exc.code or CODE_ABNORMAL), str(exc)[:120]))
        except ValueError as exc:
            self._finish(Closed(CODE_MALFORMED, f"malformed server message: {str(exc)[:80]}"))
        except Exception as exc:  # a socket error of any kind ends this session only
            self._finish(Closed(CODE_ABNORMAL, f"{type(exc).__name__}: {str(exc)[:80]}"))

    def _dispatch(self, message: types.LiveServerMessage) -> None:
        self.on_message(self, Inbound(message, time.monotonic_ns()))
        update = message.session_resumption_update
        if update is not None and update.resumable and update.new_handle:
            self.on_handle(self, update.new_handle)
        if message.go_away is not None:
            self.going_away = True
            self.on_go_away(self, message.go_away.time_left or "")
