"""Ansible callback: one result per kiosk of a config push, written as JSON for kiosk-fleet.

Enabled by deploy/ansible/ansible.cfg (`callbacks_enabled = kiosk_results`); writes to the file
named by $KIOSK_FLEET_RESULTS when the playbook ends. Statuses: applied, unchanged, rolled back,
refused, failed, unreachable, would change, no change (dry run), not attempted (the rollout
stopped before that kiosk's wave).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: kiosk_results
type: aggregate
short_description: per-kiosk results of a kiosk config push, as JSON
description:
  - Records what happened on each kiosk and writes it to $KIOSK_FLEET_RESULTS.
requirements:
  - enabled in ansible.cfg (callbacks_enabled = kiosk_results)
"""

APPLY_TASK = "kiosk config apply"
DIFF_TASK = "show the change against the kiosk's config"
APPLY_RESULTS = {"refused": "refused", "rolled_back": "rolled back", "failed": "failed"}


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kiosk_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.hosts: list[str] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.waves: list[list[str]] = []

    # the hosts the play was meant for, in inventory order; each serial batch starts the play
    def v2_playbook_on_play_start(self, play: Any) -> None:
        try:
            inventory = play.get_variable_manager()._inventory
            batch = [h.name for h in inventory.get_hosts(play.hosts)]
            every = inventory.get_hosts(play.hosts, ignore_restrictions=True)
        except Exception as exc:  # internals moved: results still list every kiosk seen
            self._display.warning(f"kiosk_results: cannot list the play's hosts: {exc}")
            return
        if not self.hosts:
            self.hosts = [h.name for h in every]
        self.waves.append(batch)

    def v2_runner_on_ok(self, result: Any) -> None:
        host, name, data = _parts(result)
        if data.get("unreachable"):  # a task with ignore_unreachable
            self._set(host, "unreachable", str(data.get("msg", "")).strip())
        elif name == APPLY_TASK:
            report = _json_line(data.get("stdout", ""))
            status = "unchanged" if report.get("result") == "unchanged" else "applied"
            self._set(host, status, str(report.get("message", "")), report)
        elif name == DIFF_TASK:
            self._set(host, "would change" if data.get("changed") else "no change", "")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        host, _, data = _parts(result)
        self._set(host, "unreachable", str(data.get("msg", "")).strip())

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        host, name, data = _parts(result)
        if name == APPLY_TASK:
            report = _json_line(data.get("stdout", ""))
            status = APPLY_RESULTS.get(str(report.get("result")), "failed")
            message = str(report.get("message") or data.get("stderr") or data.get("msg", ""))
            self._set(host, status, message, report)
        else:
            self._set(host, "failed", f"{name}: {str(data.get('msg', '')).strip()}")

    def v2_on_file_diff(self, result: Any) -> None:
        host, _, data = _parts(result)
        diffs = data.get("diff") or []
        if isinstance(diffs, dict):
            diffs = [diffs]
        text = "".join(self._get_diff(diffs) or "")
        self.results.setdefault(host, {"status": "would change", "message": ""})["diff"] = text

    def v2_playbook_on_stats(self, stats: Any) -> None:
        seen = list(self.hosts) + [h for h in self.results if h not in self.hosts]
        kiosks = []
        for host in seen:
            entry = self.results.get(host, {"status": "not attempted", "message": ""})
            kiosks.append({"host": host, **entry})
        path = os.environ.get("KIOSK_FLEET_RESULTS")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"kiosks": kiosks, "waves": self.waves}, handle, indent=1)

    def _set(
        self, host: str, status: str, message: str, report: dict[str, Any] | None = None
    ) -> None:
        entry: dict[str, Any] = {"status": status, "message": message}
        if report:
            entry["revision"] = report.get("revision")
            entry["previous_revision"] = report.get("previous_revision")
            entry["seconds"] = report.get("seconds")
            entry["restarted"] = report.get("restarted")
        self.results[host] = {**self.results.get(host, {}), **entry}


def _parts(result: Any) -> tuple[str, str, dict[str, Any]]:
    return result._host.get_name(), _short(result._task.get_name()), dict(result._result)


def _short(task_name: str) -> str:
    """A role's task is named 'role : task'."""
    return task_name.rsplit(" : ", 1)[-1]


def _json_line(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return {}
