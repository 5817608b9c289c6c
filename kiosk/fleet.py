"""`kiosk-fleet`: operator tools for a fleet of kiosks.

`kiosk-fleet validate CONFIG` checks a config the way every kiosk will: the same schema, the
environment ignored, and no secrets allowed in a file that is pushed to many machines.

`kiosk-fleet push CONFIG --inventory INV [--dry-run]` validates the config the same way, then
runs the Ansible playbook shipped in deploy/ansible/ (ansible-core: `pip install 'kiosk[fleet]'`),
which copies the file to each kiosk and runs `kiosk config apply` there, in waves: a canary,
then batches, stopping when a wave's failures exceed the allowed percentage. It prints one row
per kiosk (applied, rolled back, unreachable, ...) and appends the outcome, with the config's
revision and sha256, to an audit log.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, check_config_text
from kiosk.errors import ConfigError, KioskError

OK_STATUSES = frozenset({"applied", "unchanged", "would change", "no change"})
EXIT_ALL_APPLIED, EXIT_INVALID, EXIT_SOME_FAILED, EXIT_HALTED, EXIT_NO_RESULTS = 0, 1, 2, 3, 4


class FleetError(KioskError):
    """The push could not run (no Ansible, no playbook, no inventory)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-fleet", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check a config before pushing it")
    validate.add_argument("config", type=Path)
    push_cmd = sub.add_parser("push", help="push a config to the kiosks in an inventory, in waves")
    push_cmd.add_argument("config", type=Path)
    push_cmd.add_argument(
        "--inventory", "-i", required=True, help="Ansible inventory (file or dir)"
    )
    push_cmd.add_argument(
        "--dry-run", action="store_true", help="show each kiosk's diff, change nothing"
    )
    push_cmd.add_argument(
        "--waves", default="1,25%", help="wave sizes: canary first, the last repeats (1,25%%)"
    )
    push_cmd.add_argument(
        "--max-fail-percent", type=int, default=0, help="stop after a wave with more failures"
    )
    push_cmd.add_argument("--forks", type=int, help="kiosks handled at once (ansible.cfg: 50)")
    push_cmd.add_argument("--limit", help="only kiosks matching this Ansible host pattern")
    push_cmd.add_argument("--playbook", type=Path, help="default: deploy/ansible/push-config.yml")
    push_cmd.add_argument("--audit-log", type=Path, help="default: ~/.local/state/kiosk-fleet/...")
    push_cmd.add_argument("--json", type=Path, dest="json_out", help="also write the results here")
    push_cmd.add_argument("--verbose", "-v", action="store_true", help="show Ansible's output")
    args = parser.parse_args(argv)
    try:
        config = _validated(args.config)
        if args.command == "validate":
            print(f"{args.config}: ok to push (revision {config.revision or 'unset'})")
            return 0
        return push(args, config)
    except ConfigError as exc:
        refused = "refused, nothing was copied: " if args.command == "push" else ""
        for line in str(exc).splitlines():
            print(f"kiosk-fleet: {refused}{line}", file=sys.stderr)
        return EXIT_INVALID
    except FleetError as exc:
        print(f"kiosk-fleet: error: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _validated(path: Path) -> KioskConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read: {exc}"]) from None
    return check_config_text(text, source=str(path))


def parse_waves(spec: str) -> list[int | str]:
    """'1,10,25%' -> [1, 10, '25%']: Ansible's `serial` list (the last size repeats)."""
    waves: list[int | str] = []
    for part in (p.strip() for p in spec.split(",")):
        number = part[:-1] if part.endswith("%") else part
        if not number.isdigit() or int(number) < 1 or (part.endswith("%") and int(number) > 100):
            raise FleetError(f"--waves {spec!r}: {part!r} is not a count or a percentage 1-100%")
        waves.append(part if part.endswith("%") else int(part))
    return waves


def push(args: argparse.Namespace, config: KioskConfig) -> int:
    started = time.monotonic()
    source = args.config.resolve()
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    playbook = _playbook(args.playbook)
    ansible = _ansible_playbook()
    inventory = Path(args.inventory)
    if not inventory.exists() and "," not in args.inventory:
        raise FleetError(f"--inventory {args.inventory}: no such file or directory")
    waves = parse_waves(args.waves)
    if not 0 <= args.max_fail_percent <= 100:
        raise FleetError("--max-fail-percent must be 0 to 100")
    with tempfile.TemporaryDirectory(prefix="kiosk-fleet-") as tmp:
        extra = {
            "kiosk_config_src": str(source),
            "kiosk_config_sha": sha,
            "kiosk_revision": config.revision,
            "kiosk_waves": waves,
            "kiosk_max_fail_percentage": args.max_fail_percent,
            "kiosk_dry_run": bool(args.dry_run),
        }
        extra_file = Path(tmp) / "vars.json"
        extra_file.write_text(json.dumps(extra), encoding="utf-8")
        results_file = Path(tmp) / "results.json"
        command = [ansible, "-i", args.inventory, str(playbook), "-e", f"@{extra_file}"]
        if args.forks:
            command += ["--forks", str(args.forks)]
        if args.limit:
            command += ["--limit", args.limit]
        env = dict(os.environ, KIOSK_FLEET_RESULTS=str(results_file))
        env.setdefault("ANSIBLE_CONFIG", str(playbook.parent / "ansible.cfg"))
        env.setdefault("ANSIBLE_NOCOLOR", "1")
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if args.verbose:
            print(done.stdout, end="")
            print(done.stderr, end="", file=sys.stderr)
        results: dict[str, Any] = {"kiosks": [], "waves": []}
        if results_file.exists():
            results = json.loads(results_file.read_text(encoding="utf-8"))
        else:
            tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
            print("kiosk-fleet: ansible-playbook produced no results:", file=sys.stderr)
            for line in tail:
                print(f"  {line}", file=sys.stderr)
    kiosks: list[dict[str, Any]] = results["kiosks"]
    halted = not args.dry_run and any(k["status"] == "not attempted" for k in kiosks)
    code = _exit_code(kiosks, halted) if kiosks else EXIT_NO_RESULTS
    if kiosks:
        print(render_table(kiosks))
        print(_summary(config, sha, kiosks, results.get("waves", []), halted, args.dry_run))
    if args.dry_run:
        _print_diffs(kiosks)
    record = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "user": getpass.getuser(),
        "config": str(source),
        "revision": config.revision,
        "sha256": sha,
        "inventory": args.inventory,
        "dry_run": bool(args.dry_run),
        "waves": waves,
        "wave_hosts": results.get("waves", []),
        "max_fail_percent": args.max_fail_percent,
        "halted": halted,
        "exit_code": code,
        "seconds": round(time.monotonic() - started, 2),
        "kiosks": [{k: v for k, v in row.items() if k != "diff"} for row in kiosks],
    }
    _append_audit(args.audit_log or _default_audit_log(), record)
    if args.json_out:
        args.json_out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return code


def _exit_code(kiosks: list[dict[str, Any]], halted: bool) -> int:
    if halted:
        return EXIT_HALTED
    if all(k["status"] in OK_STATUSES for k in kiosks):
        return EXIT_ALL_APPLIED
    return EXIT_SOME_FAILED


def render_table(kiosks: list[dict[str, Any]]) -> str:
    rows = [("kiosk", "result", "revision", "seconds", "detail")]
    for k in kiosks:
        seconds = k.get("seconds")
        rows.append(
            (
                str(k["host"]),
                str(k["status"]),
                str(k.get("revision") or "-"),
                f"{seconds:.2f}" if isinstance(seconds, int | float) else "-",
                _one_line(str(k.get("message") or ""))[:90],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        for row in rows
    ).rstrip()


def _summary(
    config: KioskConfig,
    sha: str,
    kiosks: list[dict[str, Any]],
    waves: list[list[str]],
    halted: bool,
    dry_run: bool,
) -> str:
    counts: dict[str, int] = {}
    for k in kiosks:
        counts[k["status"]] = counts.get(k["status"], 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    line = f"revision {config.revision or 'unset'} (sha256 {sha[:12]}): {tally}"
    if dry_run:
        return line + " (dry run: nothing was changed)"
    if halted:
        where = "after the canary" if len(waves) <= 1 else f"after wave {len(waves)}"
        return line + f"; rollout stopped {where}: later kiosks were not touched"
    return line


def _print_diffs(kiosks: list[dict[str, Any]]) -> None:
    for k in kiosks:
        if k.get("diff"):
            print(f"--- {k['host']}")
            print(k["diff"].rstrip())


def _playbook(given: Path | None) -> Path:
    candidates = [given] if given else []
    if os.environ.get("KIOSK_FLEET_PLAYBOOK"):
        candidates.append(Path(os.environ["KIOSK_FLEET_PLAYBOOK"]))
    candidates.append(
        Path(__file__).resolve().parents[1] / "deploy" / "ansible" / "push-config.yml"
    )
    for path in candidates:
        if path is not None and path.is_file():
            return path.resolve()
    raise FleetError(
        "cannot find deploy/ansible/push-config.yml: run from a checkout, or pass --playbook"
    )


def _ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if not found:
        raise FleetError("ansible-playbook not found: pip install 'kiosk[fleet]' (ansible-core)")
    return found


def _default_audit_log() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kiosk-fleet" / "audit.jsonl"


def _append_audit(path: Path, record: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as exc:
        print(f"kiosk-fleet: warning: cannot write the audit log {path}: {exc}", file=sys.stderr)


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
