"""`kiosk-fleet`: operator tools for a fleet of kiosks.

`kiosk-fleet validate CONFIG` checks a config the way every kiosk will: the same schema, the
environment ignored, and no secrets allowed in a file that is pushed to many machines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import check_config_text
from kiosk.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-fleet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check a config before pushing it")
    validate.add_argument("config", type=Path)
    args = parser.parse_args(argv)
    try:
        text = args.config.read_text(encoding="utf-8")
        config = check_config_text(text, source=str(args.config))
    except OSError as exc:
        print(f"kiosk-fleet: {args.config}: cannot read: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"kiosk-fleet: {line}", file=sys.stderr)
        return 1
    print(f"{args.config}: ok to push (revision {config.revision or 'unset'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
