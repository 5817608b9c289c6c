"""The config watch follows the directory: an atomic rename over the file is seen, every time."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.watch import DirectoryWatcher

pytestmark = pytest.mark.unit


class Calls:
    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()

    def wait(self) -> bool:
        hit = self.event.wait(5)
        self.event.clear()
        return hit


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Calls, DirectoryWatcher]]:
    config = tmp_path / "kiosk.toml"
    config.write_text('revision = "a"\n')
    calls = Calls()
    watcher = DirectoryWatcher(config, calls, debounce_s=0.05)
    watcher.start()
    yield config, calls, watcher
    watcher.stop()


def _rename_into_place(config: Path, text: str) -> None:
    tmp = config.with_name(".kiosk.toml.tmp")
    tmp.write_text(text)
    os.replace(tmp, config)


def test_uses_inotify_on_linux(watched: tuple[Path, Calls, DirectoryWatcher]) -> None:
    assert watched[2].method == "inotify"


def test_each_atomic_rename_is_seen(watched: tuple[Path, Calls, DirectoryWatcher]) -> None:
    config, calls, _ = watched
    for revision in ("b", "c", "d"):  # a watch on the file would go silent after the first
        _rename_into_place(config, f'revision = "{revision}"\n')
        assert calls.wait(), f"rename to revision {revision} was not seen"


def test_a_plain_write_is_seen(watched: tuple[Path, Calls, DirectoryWatcher]) -> None:
    config, calls, _ = watched
    config.write_text('revision = "e"\n')
    assert calls.wait()


def test_other_files_in_the_directory_are_ignored(
    watched: tuple[Path, Calls, DirectoryWatcher],
) -> None:
    config, calls, _ = watched
    (config.parent / "kiosk.toml.bak").write_text("old")
    (config.parent / "notes.txt").write_text("hello")
    _rename_into_place(config, 'revision = "f"\n')
    assert calls.wait()
    assert calls.count == 1


def test_polling_fallback_sees_a_rename(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('revision = "a"\n')
    calls = Calls()
    watcher = DirectoryWatcher(config, calls, prefer="poll")
    watcher.start()
    assert watcher.method == "poll"
    try:
        _rename_into_place(config, 'revision = "bb"\n')
        assert calls.wait()
    finally:
        watcher.stop()
