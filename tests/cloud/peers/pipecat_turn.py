"""One turn with pipecat's Gemini Live service against the simulator (a second, independent
client of its wire protocol). Runs in pipecat's own virtual environment, not the kiosk's:
    python pipecat_turn.py BASE_URL CA_PEM QUESTION.wav
and prints one JSON line: {"audio_bytes", "text", "calls"}."""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import wave

from google.genai.types import HttpOptions
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    LLMContextFrame,
    TTSAudioRawFrame,
    TTSTextFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineTask
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.google.gemini_live.llm import GeminiLiveLLMService
from pipecat.services.llm_service import FunctionCallParams


class Collector(FrameProcessor):
    def __init__(self) -> None:
        super().__init__()
        self.audio_bytes = 0
        self.text: list[str] = []
        self.last_audio = asyncio.get_running_loop().time()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame):
            self.audio_bytes += len(frame.audio)
            self.last_audio = asyncio.get_running_loop().time()
        elif isinstance(frame, TTSTextFrame):
            self.text.append(frame.text)
        await self.push_frame(frame, direction)


async def main(base_url: str, ca: str, wav_path: str) -> None:
    calls: list[dict[str, object]] = []

    async def lookup_product(params: FunctionCallParams) -> None:
        calls.append({"name": "lookup_product", "args": dict(params.arguments)})
        match = {"name": "Banana Boat sunscreen", "shelf_id": "P1", "shelf": "Pharmacy, aisle 1"}
        await params.result_callback({"matches": [match]})

    tools = ToolsSchema(
        standard_tools=[
            FunctionSchema(
                name="lookup_product",
                description="Search the catalog.",
                properties={"query": {"type": "string"}},
                required=["query"],
            )
        ]
    )
    options = HttpOptions(
        base_url=base_url, async_client_args={"ssl": ssl.create_default_context(cafile=ca)}
    )
    llm = GeminiLiveLLMService(
        api_key="pipecat-cross-check",
        settings=GeminiLiveLLMService.Settings(model="models/gemini-3.8-live"),
        system_instruction="You are a shop's help kiosk.",
        tools=tools,
        http_options=options,
    )
    llm.register_function("lookup_product", lookup_product)
    collector = Collector()
    task = PipelineTask(Pipeline([llm, collector]))
    runner = asyncio.create_task(PipelineRunner(handle_sigint=False).run(task))
    with wave.open(wav_path, "rb") as wav:
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    await task.queue_frame(LLMContextFrame(LLMContext()))  # no history: ready for audio
    await asyncio.sleep(2.0)  # setup and setupComplete
    block = rate // 50 * 2
    audio = bytes(rate) + pcm + bytes(rate * 3)  # 0.5 s, the question, 1.5 s of quiet
    for offset in range(0, len(audio), block):
        await task.queue_frame(InputAudioRawFrame(audio[offset : offset + block], rate, 1))
        await asyncio.sleep(0.005)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        await asyncio.sleep(0.2)
        if collector.audio_bytes and loop.time() - collector.last_audio > 1.5:
            break
    await task.cancel()
    await asyncio.wait_for(runner, 10)
    text = "".join(collector.text)
    print(json.dumps({"audio_bytes": collector.audio_bytes, "text": text, "calls": calls}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
