"""The running kiosk's reload and health: a bad file never replaces a good one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.agent.turn import TurnEngine
from kiosk.config import load_config
from kiosk.events import StatusChanged
from kiosk.live import LiveKiosk, changed_fields, restart_fields
from kiosk.models import ModelCache
from kiosk.notify import Notifier
from kiosk.runtime import Runtime
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.fakes import LoudnessVad, ScriptedStt, ToneTts

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _live(tmp_path: Path, mini_store_dir: Path, text: str, windowed: bool = False):  # type: ignore[no-untyped-def]
    config_path = tmp_path / "kiosk.toml"
    config_path.write_text(text)
    config = load_config(config_path)
    store = load_store(mini_store_dir)
    catalog = Catalog(store)
    engine = TurnEngine(catalog, LoudnessVad(), ScriptedStt(), ToneTts())
    runtime = Runtime(config, store, catalog, engine, ModelCache(tmp_path / "models"))
    clock = Clock()
    live = LiveKiosk(
        runtime, config_path, windowed=windowed, notifier=Notifier({}), clock=clock, stall_s=15
    )
    return live, config_path, engine, clock


def test_changed_and_restart_fields() -> None:
    old = load_config(None)
    new = old.model_copy(
        update={
            "revision": "r2",
            "router": old.router.model_copy(update={"min_confidence": 0.7}),
            "stt": old.stt.model_copy(update={"beam_size": 3}),
        }
    )
    assert changed_fields(old, new) == ["revision", "router.min_confidence", "stt.beam_size"]
    assert restart_fields(old, new) == ["stt.beam_size"]


def test_live_reload_swaps_router_thresholds(tmp_path: Path, mini_store_dir: Path) -> None:
    live, path, engine, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    path.write_text('revision = "r2"\n[router]\nmin_confidence = 0.8\n')
    outcome = live.reload()
    assert outcome.ok and outcome.revision == "r2"
    assert engine.router_options.min_confidence == 0.8
    assert live.health()["config_revision"] == "r2"
    assert live.reload().message == "unchanged"  # the watcher's second look costs nothing


def test_bad_file_is_refused_and_the_old_config_keeps_running(
    tmp_path: Path, mini_store_dir: Path
) -> None:
    live, path, engine, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    before = engine.router_options
    path.write_text('revision = "r2"\n[router]\nmin_confidence = 7\n')
    outcome = live.reload()
    assert not outcome.ok and "router.min_confidence" in outcome.message
    assert engine.router_options is before
    health = live.health()
    assert health["config_revision"] == "r1"
    assert health["last_reload"]["ok"] is False


def test_a_store_pack_that_would_not_load_is_refused_without_a_restart(
    tmp_path: Path, mini_store_dir: Path
) -> None:
    live, path, engine, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    path.write_text(
        f'revision = "r2"\n[router]\nmin_confidence = 0.9\n[store]\npath = "{tmp_path}/nope"\n'
    )
    outcome = live.reload(force=True)
    assert not outcome.ok and not outcome.restart_required
    assert "nope/store.toml" in outcome.message
    assert engine.router_options.min_confidence != 0.9
    assert live.health()["config_revision"] == "r1"


def test_a_store_pack_that_loads_needs_a_restart(tmp_path: Path, mini_store_dir: Path) -> None:
    live, path, engine, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    shutil.copytree(mini_store_dir, tmp_path / "store2")
    catalog = engine.catalog
    path.write_text(f'revision = "r2"\n[store]\npath = "{tmp_path}/store2"\n')
    outcome = live.reload()
    assert outcome.restart_required == ("store.path",)
    assert engine.catalog is catalog


def test_models_missing_from_the_cache_are_refused_without_a_restart(
    tmp_path: Path, mini_store_dir: Path
) -> None:
    live, path, _, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    path.write_text(f'revision = "r2"\n[models]\ncache_dir = "{tmp_path}/empty"\n')
    outcome = live.reload()
    assert not outcome.ok and not outcome.restart_required
    assert "kiosk models fetch" in outcome.message


def test_settings_needing_a_restart_are_named_not_applied(
    tmp_path: Path, mini_store_dir: Path
) -> None:
    live, path, _, _ = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    path.write_text('revision = "r2"\n[tts]\nlength_scale = 1.2\n')
    outcome = live.reload()
    assert not outcome.ok and outcome.restart_required == ("tts.length_scale",)
    assert live.health()["config_revision"] == "r1"
    assert live.health()["pending_restart"] == ["tts.length_scale"]


def test_health_follows_the_agent_loop(tmp_path: Path, mini_store_dir: Path) -> None:
    live, _, _, clock = _live(tmp_path, mini_store_dir, 'revision = "r1"\n')
    assert live.health()["healthy"] is False  # no audio yet
    events: list[object] = []
    sink = live.observe(events.append)
    sink(StatusChanged("listening"))
    live.agent_beat()
    assert live.health()["healthy"] is True and live.health()["state"] == "listening"
    clock.now += 20  # the loop stalls
    health = live.health()
    assert health["healthy"] is False and "agent loop silent" in health["problems"][0]
    sink(StatusChanged("thinking"))  # a long turn is not a stall
    assert live.health()["healthy"] is True
    clock.now += 100  # but a turn stuck for minutes is a hang
    assert live.health()["healthy"] is False
    sink(StatusChanged("listening"))
    live.agent_beat()
    sink(StatusChanged("stopped"))
    assert live.health()["healthy"] is False
    assert len(events) == 4  # every event still reaches the observer


def test_with_a_window_the_gui_thread_must_tick_too(tmp_path: Path, mini_store_dir: Path) -> None:
    live, _, _, clock = _live(tmp_path, mini_store_dir, 'revision = "r1"\n', windowed=True)
    live.agent_beat()
    live.gui_tick()
    assert live.health()["healthy"] is True
    clock.now += 20
    live.agent_beat()  # the agent still runs, but the UI froze
    health = live.health()
    assert health["healthy"] is False and "GUI thread" in health["problems"][0]
