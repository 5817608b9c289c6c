"""The real sound-device path, with PulseAudio null sinks standing in for the sound card.

The test starts its own PulseAudio daemon (nothing needs to be running) with two null sinks:
the shopper's voice is played into `shopper`, the kiosk records `shopper.monitor` as its
microphone (sounddevice's `pulse` device, PULSE_SOURCE) and plays into `kiosk_out` (PULSE_SINK);
the test records `kiosk_out.monitor` and checks that the answer came out of the "speaker".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.wav import read_wav
from kiosk.bench.pulse import PulseUnavailable, null_sinks
from kiosk.models import ModelCache
from tests.conftest import SPEECH

pytestmark = pytest.mark.models
AA = SPEECH / "local_aa_batteries__piper_en-US-joe-medium_x100.wav"


@pytest.fixture(scope="module")
def pulse() -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with the `shopper` and `kiosk_out` null sinks."""
    try:
        with null_sinks("shopper", "kiosk_out") as env:
            yield env
    except PulseUnavailable as exc:
        pytest.fail(str(exc))


def test_a_question_played_into_a_sink_is_answered_through_the_sound_device_path(
    model_cache: ModelCache, pulse: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, **pulse}
    recording = tmp_path / "speaker.wav"
    recorder = subprocess.Popen(
        [
            "parecord",
            "--device=kiosk_out.monitor",
            "--rate=16000",
            "--channels=1",
            "--file-format=wav",
            str(recording),
        ],
        env=env,
    )
    kiosk_env = {
        **env,
        "PULSE_SOURCE": "shopper.monitor",
        "PULSE_SINK": "kiosk_out",
        "KIOSK_AUDIO__INPUT_DEVICE": "pulse",
        "KIOSK_AUDIO__OUTPUT_DEVICE": "pulse",
        "KIOSK_CLOUD__MODE": "off",
        "KIOSK_TELEMETRY__STATE_DIR": str(tmp_path / "state"),
    }
    kiosk = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--headless",
            "--turns",
            "1",
            "--control-socket",
            str(tmp_path / "control.sock"),
        ],
        env=kiosk_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert kiosk.stdout is not None
        lines = []
        for line in kiosk.stdout:  # wait until it listens on the pulse microphone
            lines.append(line)
            if "state listening" in line:
                break
        assert any("microphone: pulse" in line for line in lines), "".join(lines)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=shopper", str(AA)], env=env, check=True, timeout=30)
        out, _ = kiosk.communicate(timeout=180)
        lines.append(out)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
        time.sleep(0.5)
        recorder.terminate()
        recorder.wait(timeout=10)
    text = "".join(lines)
    assert kiosk.returncode == 0, text[-3000:]
    assert "kiosk: [local, shelf A5-L]" in text, text[-3000:]
    played = read_wav(recording)
    loud = np.abs(played) > 0.05
    assert loud.any(), "nothing reached the speaker's sink"
    first, last = np.flatnonzero(loud)[[0, -1]]
    assert (last - first) / 16000 > 2.0  # the spoken answer, not a click


def test_the_linear_canceller_learns_the_kiosk_s_voice_through_the_room_sink(
    pulse: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kiosk plays into the sink its microphone records, as into the air of a room: one
    clock for both streams, which the sample clocks must agree on, and an echo the linear
    canceller must learn through PortAudio, soxr and PulseAudio's own resampling."""
    from edge.audio_io import SoundDeviceMic
    from edge.echo import WebRtcEchoCanceller
    from edge.linear_echo import LinearEchoCanceller
    from edge.listen import AudioFrontEnd
    from edge.playback import SoundDeviceSpeaker
    from tests.fakes import LoudnessVad

    for key, value in {**pulse, "PULSE_SOURCE": "shopper.monitor", "PULSE_SINK": "shopper"}.items():
        monkeypatch.setenv(key, value)
    voice = np.concatenate([read_wav(f) for f in sorted(SPEECH.glob("*joe*.wav"))])
    mic, speaker = SoundDeviceMic("pulse"), SoundDeviceSpeaker("pulse")
    front = AudioFrontEnd(
        LoudnessVad(), WebRtcEchoCanceller(), speaker.timeline, linear=LinearEchoCanceller()
    )
    taken: list[float] = []
    try:
        speaker.play(np.tile(voice, 3)[: 30 * 16000], 16000)
        end = time.monotonic() + 30
        for block in mic.blocks():
            for window in front.feed(block):
                if window.reference_dbfs > -40 and window.linear_dbfs is not None:
                    taken.append(window.mic_dbfs - window.linear_dbfs)
            if time.monotonic() > end:
                break
        assert abs(mic.clock_ppm - speaker.clock_ppm) < 50
    finally:
        speaker.close()
        mic.close()
    assert len(taken) > 400
    assert np.median(taken[-300:]) > 15  # dB, over the last 10 s (it stayed under 0 dB before)
