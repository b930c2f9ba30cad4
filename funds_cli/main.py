"""`funds`: init, ingest, report, lookup, demo (and the auditor's commands), with one error handler."""

from __future__ import annotations

import argparse
import atexit
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from funds import settings
from funds.errors import FundsError

log = logging.getLogger("funds")
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register a sub-command's handler."""
    def wrap(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = fn
        return fn
    return wrap


def emit(data: Any) -> None:
    """Print JSON for scripts: UTF-8, amounts already strings."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


AUTO = "auto"  # `funds ingest auto FILE...`: each file's kind told from its header


def lang(args: argparse.Namespace) -> str:
    """The language of messages: --lang, else FUNDS_LANG, else zh."""
    return getattr(args, "lang", None) or settings.get("lang")


def parser() -> argparse.ArgumentParser:
    """The argument parser (exact interface, see the README)."""
    from schemas.columns import KINDS

    p = argparse.ArgumentParser(prog="funds", description="Fund disclosure and beneficiary lookup database.")
    p.add_argument("--lang", choices=["zh", "en", "ko"], help="language of messages (default FUNDS_LANG or zh)")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--db", help="database file (default FUNDS_DB or data/funds.duckdb)")
        sp.add_argument("--lang", choices=["zh", "en", "ko"], default=argparse.SUPPRESS)
        return sp

    add("init", "create the database and its HMAC key")
    sp = add("ingest", "check and load spreadsheets")
    sp.add_argument("kind", choices=[*KINDS, AUTO], help="the sheets' kind, or auto: told from each file's header")
    sp.add_argument("files", nargs="+", type=Path, help="files, or folders of them")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--replace", type=int, metavar="BATCH")
    sp.add_argument("--user", default=None)
    sp.add_argument("--dry-run", action="store_true", help="check only, load nothing")
    sp = add("report", "the annual disclosure summary")
    sp.add_argument("--year", type=int, required=True)
    sp.add_argument("--json", action="store_true")
    sp = add("lookup", "what a kiosk shows one household")
    sp.add_argument("--id", required=True)
    sp.add_argument("--name", required=True)
    sp.add_argument("--json", action="store_true")
    sp = add("demo", "generate and load a demo county")
    sp.add_argument("--households", type=int, default=2000)
    sp.add_argument("--year", type=int, default=2007)
    sp.add_argument("--seed", type=int, default=7)
    sp = add("batches", "list loaded batches")
    sp.add_argument("--json", action="store_true")
    for extra in EXTRA_PARSERS:
        extra(sub, add)
    return p


# other modules (auditor, users, backup) add their sub-commands here
EXTRA_PARSERS: list[Callable[[Any, Callable[[str, str], argparse.ArgumentParser]], None]] = []


def _setup_logging(db: Path) -> None:
    try:
        path = settings.log_path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


def _load_command_modules() -> None:
    """Import funds_cli/commands.py and every funds_cli/cmd_*.py: each registers its sub-commands."""
    import importlib
    import pkgutil

    import funds_cli

    importlib.import_module("funds_cli.commands")
    for info in pkgutil.iter_modules(funds_cli.__path__):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"funds_cli.{info.name}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; no traceback ever reaches the user."""
    _load_command_modules()
    args = parser().parse_args(argv)
    db = settings.db_path(getattr(args, "db", None))
    _setup_logging(db)
    try:
        return COMMANDS[args.command](args)
    except FundsError as exc:
        print(exc.message(lang(args)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in %s", args.command)
        print(
            "出现意外错误，未做任何更改。详情已写入日志 / An unexpected error occurred; nothing was changed. "
            f"Details are in the log: {settings.log_path(db)}",
            file=sys.stderr,
        )
        return 1


def entry() -> None:
    """The `funds` command: `main`, then a quick exit.

    Tearing down an interpreter that has loaded pandas, pandera and DuckDB takes 0.2-0.4 s of a
    command's time (and DuckDB's bindings print leak notices on the way out). The exit handlers
    still run first (the log is flushed, cached snapshot connections are closed), then the
    process ends without the teardown. Tests call `main` itself.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (`funds ... | head`): nothing more can be written anyway
    atexit._run_exitfuncs()  # the handlers a normal exit would run
    os._exit(code)


def current_user(args: argparse.Namespace) -> str:
    """Who is uploading: --user, else the login name."""
    if getattr(args, "user", None):
        return str(args.user)
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


if __name__ == "__main__":  # run as a script: use the package's module so handlers register in one place
    from funds_cli.main import entry as package_entry

    package_entry()
