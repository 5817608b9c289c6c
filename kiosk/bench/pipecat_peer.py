"""The peer in `kiosk bench e2e`: the same kiosk built the way Pipecat's documentation builds a
Gemini Live voice agent, on the same simulator, microphone and speaker as the kiosk.

It runs in Pipecat's own virtual environment (Pipecat pins google-genai < 3; scripts/dev.sh
makes `.venv/pipecat` from the `pipecat` extra), as a process of its own so its CPU time and
memory are its alone:

    .venv/pipecat/bin/python kiosk/bench/pipecat_peer.py PLAN.json SETUP.json

SETUP.json says which configuration to run and where things are: the simulator's URL and CA,
the catalog service for the tools, the model, the system instruction and the tool schemas
(the kiosk's own, so both agents are told the same). The two configurations:

- `server-vad`: Pipecat's default for Gemini Live (`examples/realtime/realtime-gemini-live.py`):
  the pipeline is transport in, user aggregator, the Gemini Live service, transport out,
  assistant aggregator, in realtime-service mode; audio streams to the service all the time and
  the service's own activity detection ends the turn, with the settings Pipecat sends (none:
  the service's defaults).
- `smart-turn`: the locally driven turns of `realtime-gemini-live-locally-driven-turns.py`,
  the low-latency setup: the service's activity detection off (`GeminiVADParams(disabled=True)`)
  and local Silero VAD in the user aggregator, whose default stop strategy is Smart Turn v3
  (`LocalSmartTurnAnalyzerV3`), driving `activityStart` / `activityEnd`.

Both keep Pipecat's defaults otherwise (VAD confidence 0.7, start 0.2 s, stop 0.2 s; Smart
Turn's 3 s fallback). The transport is the benchmark's virtual microphone (20 ms blocks, as
Pipecat's local audio transport reads a sound card) and virtual speaker (a blocking device
write, as PyAudio's is). Tools are answered by the kiosk's catalog over loopback HTTP. No
camera frames are sent: that spares Pipecat the frames' tokens and CPU.

It prints one JSON object per line, like `kiosk.bench.e2e_kiosk`: `mark` lines and a final
`result`. After `started` it waits for a line on stdin before the shopper starts talking (the
benchmark sends it once the simulator has this agent's session).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.bench.virtual_audio import (
    RATE,
    Director,
    MicFeed,
    Plan,
    VirtualOutput,
    mark,
)

CONFIGS = ("server-vad", "smart-turn")
BLOCK = RATE // 50
"""20 ms: what Pipecat's local audio transport reads per callback."""


def say(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


async def run(plan_path: Path, setup_path: Path) -> int:
    from google.genai.types import HttpOptions
    from loguru import logger
    from pipecat.adapters.schemas.function_schema import FunctionSchema
    from pipecat.adapters.schemas.tools_schema import ToolsSchema
    from pipecat.frames.frames import (
        BotStoppedSpeakingFrame,
        Frame,
        InputAudioRawFrame,
        LLMRunFrame,
        OutputAudioRawFrame,
        StartFrame,
    )
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.processors.frame_processor import FrameDirection
    from pipecat.services.google.gemini_live.llm import GeminiLiveLLMService, GeminiVADParams
    from pipecat.services.llm_service import FunctionCallParams
    from pipecat.transports.base_input import BaseInputTransport
    from pipecat.transports.base_output import BaseOutputTransport
    from pipecat.transports.base_transport import TransportParams
    from pipecat.workers.runner import WorkerRunner

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    setup = json.loads(setup_path.read_text(encoding="utf-8"))
    config = setup["config"]
    if config not in CONFIGS:
        raise SystemExit(f"pipecat_peer: unknown configuration {config!r}; one of {CONFIGS}")
    plan = Plan.load(plan_path)
    director = Director(plan, on_ask=lambda q, t_ns: say({"asked": q.id, "t_ns": t_ns}))
    device = VirtualOutput(director, plan.speaker_speed, plan.output_latency_ms)
    params = TransportParams(
        audio_in_enabled=True,
        audio_in_sample_rate=RATE,
        audio_out_enabled=True,
        audio_out_sample_rate=24000,
    )

    class VirtualMicInput(BaseInputTransport):  # type: ignore[misc]
        """The virtual microphone, delivered from its capture thread like a sound card's."""

        feed: MicFeed | None = None

        async def start(self, frame: StartFrame) -> None:
            await super().start(frame)
            await self.set_transport_ready(frame)

        def listen(self) -> None:
            loop = self.get_event_loop()

            def deliver(samples: np.ndarray, stamp_ns: int) -> None:
                pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
                frame = InputAudioRawFrame(audio=pcm, sample_rate=RATE, num_channels=1)
                asyncio.run_coroutine_threadsafe(self.push_audio_frame(frame), loop)

            self.feed = MicFeed(director, BLOCK, deliver).start()

        async def cleanup(self) -> None:
            if self.feed is not None:
                self.feed.stop()
            await super().cleanup()

    class VirtualSpeakerOutput(BaseOutputTransport):  # type: ignore[misc]
        """The virtual speaker: a write returns once the device has room, as PyAudio's does."""

        async def start(self, frame: StartFrame) -> None:
            await super().start(frame)
            await self.set_transport_ready(frame)

        async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
            device.put(np.frombuffer(frame.audio, dtype="<i2"), frame.sample_rate)
            while device.pending_s() > 0.04:
                await asyncio.sleep(0.005)
            return True

        async def push_frame(
            self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM
        ) -> None:
            if isinstance(frame, BotStoppedSpeakingFrame):
                director.system_done()
            await super().push_frame(frame, direction)

    tools = ToolsSchema(
        standard_tools=[
            FunctionSchema(
                name=t["name"],
                description=t["description"],
                properties=t["parameters"]["properties"],
                required=t["parameters"].get("required", []),
            )
            for t in setup["tools"]
        ]
    )
    settings = GeminiLiveLLMService.Settings(
        model=setup["model"],
        system_instruction=setup["system_instruction"],
        vad=GeminiVADParams(disabled=True) if config == "smart-turn" else None,
    )
    llm = GeminiLiveLLMService(
        api_key="pipecat-bench",
        settings=settings,
        tools=tools,
        http_options=HttpOptions(
            base_url=setup["base_url"],
            async_client_args={"ssl": ssl.create_default_context(cafile=setup["ca"])},
        ),
        inference_on_context_initialization=False,  # a kiosk waits to be spoken to
    )

    async def answer(params: FunctionCallParams) -> None:
        call = {
            "id": params.tool_call_id,
            "name": params.function_name,
            "args": dict(params.arguments),
        }
        await params.result_callback(await asyncio.to_thread(post, setup["tools_url"], call))

    for tool in setup["tools"]:
        llm.register_function(tool["name"], answer)
    user_params = None
    if config == "smart-turn":
        from pipecat.audio.vad.silero import SileroVADAnalyzer

        user_params = LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer())
    user, assistant = LLMContextAggregatorPair(
        LLMContext(), realtime_service_mode=True, user_params=user_params
    )
    mic = VirtualMicInput(params)
    pipeline = Pipeline([mic, user, llm, VirtualSpeakerOutput(params), assistant])
    worker = PipelineWorker(pipeline, params=PipelineParams(), idle_timeout_secs=None)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    await worker.queue_frames([LLMRunFrame()])
    say(mark("started", config=config))
    await asyncio.to_thread(sys.stdin.readline)  # the simulator has our session
    mic.listen()
    say(mark("ready", config=config))
    seen = ""
    while not director.finished.is_set() and not running.done():
        if director.phase != seen:
            seen = director.phase
            say(mark(seen))
        await asyncio.sleep(0.05)
    say(mark("done"))
    await worker.cancel()
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(running, 10)
    device.close()
    say({"result": director.results(), "config": config})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run(Path(sys.argv[1]), Path(sys.argv[2]))))
