"""The learned echo path survives a restart: a kiosk that has learned its room starts the next
run cancelling its echo, and a file it cannot use costs only the head start."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from edge.linear_echo import LinearEchoCanceller
from edge.room import EchoPath, EchoPathOptions
from kiosk.room_memory import RoomKeeper, recall, remember

pytestmark = pytest.mark.unit
RATE = 16000
PATH = EchoPath(EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.5))


def noise(seconds: float, seed: int) -> np.ndarray:
    n = int(seconds * RATE)
    return (np.random.default_rng(seed).standard_normal(n) * 0.1).astype(np.float32)


def erle_first_half_second(canceller: LinearEchoCanceller) -> float:
    played = noise(0.5, seed=9)
    echo = PATH.apply(played)
    residue = canceller.process(echo, played)
    return 10 * float(np.log10(np.mean(echo**2) / np.mean(residue**2)))


def learned(tmp_path: Path) -> Path:
    canceller = LinearEchoCanceller()
    played = noise(4.0, seed=1)
    canceller.process(PATH.apply(played), played)
    remember(canceller, tmp_path / "echo_path.npy")
    return tmp_path / "echo_path.npy"


def test_a_restarted_kiosk_cancels_its_rooms_echo_from_the_first_block(tmp_path: Path) -> None:
    saved = learned(tmp_path)
    assert not list(tmp_path.glob("*.partial"))
    assert erle_first_half_second(recall(saved)) >= 25
    assert erle_first_half_second(LinearEchoCanceller()) < 10  # what it would start from


@pytest.mark.parametrize(
    "content",
    [b"not a numpy file", "other shape"],
    ids=["corrupt", "another canceller's"],
)
def test_a_file_it_cannot_use_is_named_and_the_room_learned_again(
    tmp_path: Path, content: bytes | str, caplog: pytest.LogCaptureFixture
) -> None:
    saved = tmp_path / "echo_path.npy"
    if isinstance(content, bytes):
        saved.write_bytes(content)
    else:
        np.save(saved, np.ones((3, 7), np.complex64))
    with caplog.at_level(logging.WARNING):
        canceller = recall(saved)
    assert str(saved) in caplog.text and "learning the room again" in caplog.text
    assert not canceller.weights().any()


def test_a_path_with_nan_weights_is_refused(tmp_path: Path) -> None:
    weights = LinearEchoCanceller().weights()
    weights[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearEchoCanceller().restore(weights)


def test_a_state_folder_it_cannot_write_is_reported_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING):
        remember(LinearEchoCanceller(), blocker / "echo_path.npy")
    assert "not saved" in caplog.text


def test_the_room_is_saved_when_learned_and_not_again_within_a_minute(tmp_path: Path) -> None:
    """Saved while running, so a power cut does not lose it; the detector's trust flickering
    at its threshold does not rewrite the file every few windows."""
    now = [100.0]
    canceller = LinearEchoCanceller()
    keeper = RoomKeeper(canceller, tmp_path / "echo_path.npy", clock=lambda: now[0])
    played = noise(4.0, seed=1)
    canceller.process(PATH.apply(played), played)
    keeper.learned()
    keeper.wait()
    assert erle_first_half_second(recall(tmp_path / "echo_path.npy")) >= 25
    now[0] += 30.0
    keeper.learned()
    assert keeper.saves == 1
    now[0] += 31.0
    keeper.learned()
    assert keeper.saves == 2
